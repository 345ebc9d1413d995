"""Organisations that answer for places: property companies (物业公司), compounds'
self-management groups (自管小组) and the street's departments (街道科室).

A property company or self-management group serves the compounds the street admin
links it to; a street department serves its whole street. Its staff are members
with a role for it: a manager runs its work, a worker is sent to do it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import Street, User, utcnow
from extensions import db


class OrganisationKind(StrEnum):
    PROPERTY_COMPANY = "property_company"
    SELF_MANAGEMENT = "self_management"
    STREET_DEPARTMENT = "street_department"


class StaffRole(StrEnum):
    MANAGER = "manager"
    WORKER = "worker"


class Organisation(db.Model):
    __tablename__ = "civic_organisations"
    __table_args__ = (
        UniqueConstraint("street_id", "name"),
        CheckConstraint("name <> ''", name="name_given"),
        CheckConstraint(
            "kind IN ('property_company', 'self_management', 'street_department')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    street: Mapped[Street] = relationship()
    staff: Mapped[list[OrganisationStaff]] = relationship(back_populates="organisation")


class OrganisationCompound(db.Model):
    """The street admin's link: this organisation serves this compound."""

    __tablename__ = "civic_organisation_compounds"
    __table_args__ = (UniqueConstraint("organisation_id", "compound_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("civic_organisations.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("civic_compounds.id"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrganisationStaff(db.Model):
    """A member working for an organisation, as its manager or as a worker."""

    __tablename__ = "civic_organisation_staff"
    __table_args__ = (
        UniqueConstraint("organisation_id", "member_id"),
        CheckConstraint("role IN ('manager', 'worker')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("civic_organisations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(12), default=StaffRole.WORKER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="staff")
    member: Mapped[User] = relationship()
