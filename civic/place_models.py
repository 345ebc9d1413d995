"""Where residents live: compounds (小区) in a community, their buildings, the homes in
them, and who owns each home (业主).

A home's floor area is kept in square decimetres (1 m² = 100 dm²): owners' votes are
weighted by area (《民法典》 Article 278), and integers keep the sums exact.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import Community, User, utcnow
from extensions import db


class Compound(db.Model):
    """A residential compound (小区, e.g. 桂花新村 or 金狮河沿5号) in one community."""

    __tablename__ = "civic_compounds"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        CheckConstraint("name <> ''", name="name_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship()
    buildings: Mapped[list[Building]] = relationship(
        back_populates="compound", order_by="Building.id"
    )


class Building(db.Model):
    """A building (楼 or 幢) of a compound, named as residents say it ("3幢")."""

    __tablename__ = "civic_buildings"
    __table_args__ = (
        UniqueConstraint("compound_id", "name"),
        CheckConstraint("name <> ''", name="name_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("civic_compounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))

    compound: Mapped[Compound] = relationship(back_populates="buildings")
    homes: Mapped[list[Home]] = relationship(back_populates="building", order_by="Home.id")


class Home(db.Model):
    """One home (专有部分) in a building: its unit and door ("2单元301") and floor area."""

    __tablename__ = "civic_homes"
    __table_args__ = (
        UniqueConstraint("building_id", "unit"),
        CheckConstraint("unit <> ''", name="unit_given"),
        CheckConstraint("area_dm2 > 0", name="area_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("civic_buildings.id"), index=True)
    unit: Mapped[str] = mapped_column(String(40))
    # Square decimetres: 85.5 m² is 8550.
    area_dm2: Mapped[int]

    building: Mapped[Building] = relationship(back_populates="homes")
    owners: Mapped[list[HomeOwner]] = relationship(back_populates="home")


class HomeOwner(db.Model):
    """A member who owns (or co-owns) a home. Co-owners of one home are one owner
    when owners are counted, and share its area once."""

    __tablename__ = "civic_home_owners"
    __table_args__ = (UniqueConstraint("home_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("civic_homes.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    home: Mapped[Home] = relationship(back_populates="owners")
    member: Mapped[User] = relationship(foreign_keys=[member_id])
