"""The in-app inbox (Notification) and the email outbox (OutboxEmail).

A notification stores its kind and parameters, never rendered text: the
message is rendered when it is read, in the reader's language. An outbox row
is written in the same transaction as the change it reports, with the job
that sends it; the worker sends it (community.outbox).
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import User, utcnow
from extensions import db


class Notification(db.Model):
    """One message in a member's inbox: what happened (kind + params) and where to look."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    link: Mapped[str | None] = mapped_column(String(200))  # a path on this site
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def param_values(self) -> dict:
        try:
            values = json.loads(self.params or "{}")
        except ValueError:
            return {}
        return values if isinstance(values, dict) else {}

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"


class OutboxEmail(db.Model):
    """An email waiting to be sent (or sent). ``dedupe_key`` makes a mail go out at most once."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # after a failed send: not tried again before this (community.outbox.retry_delay)
    next_attempt_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()
