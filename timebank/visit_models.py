"""Scheduled visits (check-in and check-out) and confirmation cards for elders without phones."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
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
    """An elder's printed card of numbered one-time codes (口令卡, see CardCode)."""

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


class CardCode(db.Model):
    """One numbered box of a card: a 6-digit code, stored as a keyed hash, that confirms
    one visit and never another.

    A visit's confirmation asks for one box (``asked_for_record_id``), fixed for that
    visit so retries cannot try other boxes; ``used_at`` marks the box spent.
    """

    __tablename__ = "card_codes"
    __table_args__ = (
        UniqueConstraint("card_id", "position", name="uq_card_codes_card_position"),
        # one box asked of a card per visit (NULLs: boxes not asked for yet)
        UniqueConstraint("card_id", "asked_for_record_id", name="uq_card_codes_card_record"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("used_at IS NULL OR asked_for_record_id IS NOT NULL", name="used_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("confirmation_cards.id"))
    position: Mapped[int]
    code_hash: Mapped[str] = mapped_column(String(64))
    asked_for_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_records.id"), index=True
    )
    asked_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]

    card: Mapped[ConfirmationCard] = relationship()


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
