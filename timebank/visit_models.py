"""Scheduled visits (check-in and check-out) and confirmation cards for elders without phones."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import User, utcnow
from extensions import db
from timebank.models import ServiceRecord


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"  # checked in, not yet out
    DONE = "done"  # checked out; its ServiceRecord waits for (or has) confirmation
    SKIPPED = "skipped"  # this one occurrence will not happen (e.g. of a care plan)
    CANCELLED = "cancelled"


class Visit(db.Model):
    """A visit planned ahead; checking out turns it into a logged ServiceRecord."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(
            "status IN ('scheduled', 'in_progress', 'done', 'skipped', 'cancelled')",
            name="status",
        ),
        CheckConstraint("volunteer_id <> recipient_id", name="not_self"),
        Index("ix_visits_volunteer_date", "volunteer_id", "scheduled_date"),
        Index("ix_visits_recipient_date", "recipient_id", "scheduled_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(20))
    scheduled_date: Mapped[date]
    scheduled_time: Mapped[time | None]
    status: Mapped[str] = mapped_column(String(12), default=VisitStatus.SCHEDULED)
    checked_in_at: Mapped[datetime | None]  # naive UTC
    checked_out_at: Mapped[datetime | None]  # naive UTC
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    service_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_records.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    care_plan_id: Mapped[int | None] = mapped_column(ForeignKey("care_plans.id"), index=True)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    service_record: Mapped[ServiceRecord | None] = relationship()


class ConfirmationCard(db.Model):
    """An elder's printed card: its code (stored hashed) confirms a visit for them."""

    __tablename__ = "confirmation_cards"
    __table_args__ = (
        # one active card per elder; reissuing revokes the old one first
        Index(
            "uq_confirmation_cards_active_elder",
            "elder_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    elder: Mapped[User] = relationship(foreign_keys=[elder_id])
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CardAttempt(db.Model):
    """One try of an elder's card code; at most a few an hour per elder are allowed."""

    __tablename__ = "card_attempts"
    __table_args__ = (Index("ix_card_attempts_elder_time", "elder_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attempted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    service_record_id: Mapped[int | None] = mapped_column(ForeignKey("service_records.id"))
    succeeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
