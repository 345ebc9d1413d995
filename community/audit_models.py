"""The append-only audit log of staff actions, and the head of its hash chain.

The migration installs triggers that refuse UPDATE and DELETE on audit_entries,
as on transfers; the hash chain (community.audit) reveals a change made with
the triggers out of the way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import User, utcnow
from extensions import db


class AuditEntry(db.Model):
    """One staff action: who did what, for whom, before and after, when and from where."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_street", "street_id", "id"),
        Index("ix_audit_entries_actor", "actor_id", "id"),
        Index("ix_audit_entries_subject", "subject_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # None: the system (a CLI command or a scheduled job)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the member the action was for, if any
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # whose street admins read it
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    # what was acted on, as "kind:id" (e.g. "booking:12")
    target: Mapped[str] = mapped_column(String(80), default="")
    before: Mapped[str] = mapped_column(Text, default="")  # JSON, "" when nothing was there
    after: Mapped[str] = mapped_column(Text, default="")  # JSON
    origin: Mapped[str] = mapped_column(String(64), default="")  # the client address, or "cli"
    row_hash: Mapped[str] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class AuditChainHead(db.Model):
    """The one row holding the audit chain's last digest.

    Locked while an entry is appended, so two staff actions at once still form
    one chain; it also reveals entries deleted from the end.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_entry_id: Mapped[int | None]
    last_hash: Mapped[str] = mapped_column(String(64), default="")
