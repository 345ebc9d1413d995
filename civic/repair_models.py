"""Repair requests (报修): a resident asks the organisation serving their compound to
mend something in their home or in a shared part of the compound.

A repair is sent, then assigned (a worker and an appointment), visited (the worker
says what was done), and done once the resident confirms and rates it; a resident
who finds it not fixed sends it back to be assigned again. Repairs inside the
property fee cost nothing; others carry a price in fen that the resident accepts
before the work, paid on site.

Times are stored as naive UTC, like every timestamp of the app (civic.clock).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.organisation_models import Organisation
from civic.place_models import Compound, Home
from community.models import User, utcnow
from extensions import db


class RepairStatus(StrEnum):
    SENT = "sent"  # waiting for the organisation to send someone (again, if reopened)
    ASSIGNED = "assigned"  # a worker and an appointment are set
    VISITED = "visited"  # the worker recorded what was done; the resident confirms
    DONE = "done"  # confirmed and rated


class Repair(db.Model):
    __tablename__ = "civic_repairs"
    __table_args__ = (
        CheckConstraint("status IN ('sent', 'assigned', 'visited', 'done')", name="status_known"),
        CheckConstraint("description <> ''", name="description_given"),
        CheckConstraint("window_end > window_start", name="window_order"),
        CheckConstraint("price_fen IS NULL OR price_fen > 0", name="price_positive"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_civic_repairs_organisation_status", "organisation_id", "status"),
        Index("ix_civic_repairs_worker_appointment", "worker_id", "appointment_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("civic_compounds.id"))
    # The resident's own home when it is on record; else the spot in words (place_detail).
    home_id: Mapped[int | None] = mapped_column(ForeignKey("civic_homes.id"))
    shared_part: Mapped[bool] = mapped_column(default=False)
    place_detail: Mapped[str] = mapped_column(String(80), default="")
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Who filled in the request: the resident, family, or a coordinator on their behalf.
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("civic_organisations.id"))
    description: Mapped[str] = mapped_column(String(1000))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default=RepairStatus.SENT)

    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appointment_at: Mapped[datetime | None]
    appointment_note: Mapped[str] = mapped_column(String(200), default="")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # None: inside the property fee (free). A price must be accepted before the work.
    price_fen: Mapped[int | None]
    price_accepted_at: Mapped[datetime | None]
    price_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    visited_at: Mapped[datetime | None]
    work_done: Mapped[str] = mapped_column(String(1000), default="")
    paid_on_site: Mapped[bool] = mapped_column(default=False)

    rating: Mapped[int | None]
    resident_comment: Mapped[str] = mapped_column(String(500), default="")
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_count: Mapped[int] = mapped_column(default=0)
    # One form, one repair: the same request sent twice (a double tap) is sent once.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    compound: Mapped[Compound] = relationship()
    home: Mapped[Home | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
    resident: Mapped[User] = relationship(foreign_keys=[resident_id])
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    worker: Mapped[User | None] = relationship(foreign_keys=[worker_id])
    photos: Mapped[list[RepairPhoto]] = relationship(
        back_populates="repair", order_by="RepairPhoto.id"
    )

    @property
    def is_free(self) -> bool:
        return self.price_fen is None

    @property
    def waits_for_price(self) -> bool:
        """A price is asked and the resident has not accepted it yet."""
        return self.price_fen is not None and self.price_accepted_at is None


class RepairPhoto(db.Model):
    """A cleaned photo of a repair (the resident's, with the request; the worker's, of
    the work), kept in the photo store under ``key``."""

    __tablename__ = "civic_repair_photos"
    __table_args__ = (CheckConstraint("stage IN ('request', 'visit')", name="stage_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("civic_repairs.id"), index=True)
    stage: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    repair: Mapped[Repair] = relationship(back_populates="photos")
