"""Group sessions: one community activity, logged once, crediting every participant."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import Community, User, utcnow
from extensions import db
from timebank.models import Transfer


class GroupSession(db.Model):
    """An activity many volunteers served at together (e.g. a birthday party at the hall)."""

    __tablename__ = "group_sessions"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index("ix_group_sessions_community_held_on", "community_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    title: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date]
    minutes: Mapped[int]  # each participant's minutes unless their line says otherwise
    note: Mapped[str] = mapped_column(String(500), default="")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)

    community: Mapped[Community] = relationship()
    entered_by: Mapped[User] = relationship()
    participants: Mapped[list[GroupParticipant]] = relationship(
        back_populates="session", order_by="GroupParticipant.id"
    )

    @property
    def total_minutes(self) -> int:
        return sum(p.minutes for p in self.participants)


class GroupParticipant(db.Model):
    """One volunteer's part in a group session and the transfer that credited it."""

    __tablename__ = "group_participants"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        UniqueConstraint(
            "session_id", "volunteer_id", name="uq_group_participants_session_volunteer"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    minutes: Mapped[int]
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), unique=True)

    session: Mapped[GroupSession] = relationship(back_populates="participants")
    volunteer: Mapped[User] = relationship()
    transfer: Mapped[Transfer] = relationship()
