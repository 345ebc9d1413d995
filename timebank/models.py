"""The hour ledger (accounts, transfers, holds) and logged service hours.

All amounts are integer minutes. Transfers are append-only: the migration
installs triggers that refuse UPDATE and DELETE on the transfers table.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import Community, User, utcnow
from extensions import db


class AccountKind(StrEnum):
    MEMBER = "member"
    FUND = "fund"  # 爱心池: hours members donate
    GUARANTEE = "guarantee"  # hours the community issues; may go negative
    PROVIDER = "provider"  # a marketplace provider's earnings in hours; never negative


class Account(db.Model):
    """A member's or a community's hour account, with its cached balance."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('member', 'fund', 'guarantee', 'provider')", name="kind"),
        CheckConstraint("(kind = 'member') = (user_id IS NOT NULL)", name="member_has_user"),
        CheckConstraint("held_minutes >= 0", name="held_not_negative"),
        # one fund and one guarantee account per community
        Index(
            "uq_accounts_community_system",
            "community_id",
            "kind",
            unique=True,
            sqlite_where=text("kind IN ('fund', 'guarantee')"),
            postgresql_where=text("kind IN ('fund', 'guarantee')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    balance_minutes: Mapped[int] = mapped_column(default=0)
    held_minutes: Mapped[int] = mapped_column(default=0)
    # the digest of the last transfer that touched this account (timebank.chain)
    chain_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # a member account's copy of its holder's birth date: the summary row its
    # balance is counted in (timebank.summaries), read under the account's lock
    holder_birth_date: Mapped[date | None]

    user: Mapped[User | None] = relationship()
    community: Mapped[Community] = relationship()

    @property
    def available_minutes(self) -> int:
        return self.balance_minutes - self.held_minutes


class TransferKind(StrEnum):
    SERVICE = "service"
    GIFT = "gift"
    DONATION = "donation"
    GRANT = "grant"
    REDEMPTION = "redemption"
    HOLD_SETTLEMENT = "hold_settlement"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"


class Transfer(db.Model):
    """One movement of minutes between two accounts. Never updated or deleted."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount_minutes > 0", name="amount_positive"),
        CheckConstraint("from_account_id <> to_account_id", name="not_self"),
        Index("ix_transfers_from_account", "from_account_id", "id"),
        Index("ix_transfers_to_account", "to_account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_minutes: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    memo: Mapped[str] = mapped_column(String(200), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # covers this transfer's content and both accounts' chains before it (timebank.chain)
    row_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # each side's balance once this transfer posted, written under the accounts' lock,
    # so a statement page reads its running balance instead of summing history
    from_balance_after: Mapped[int]
    to_balance_after: Mapped[int]

    from_account: Mapped[Account] = relationship(foreign_keys=[from_account_id])
    to_account: Mapped[Account] = relationship(foreign_keys=[to_account_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class HoldStatus(StrEnum):
    OPEN = "open"
    SETTLED = "settled"
    RELEASED = "released"


class Hold(db.Model):
    """Minutes reserved for a pending booking or request: available = balance − open holds."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount_minutes > 0", name="amount_positive"),
        CheckConstraint("status IN ('open', 'settled', 'released')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount_minutes: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default=HoldStatus.OPEN)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settlement_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()


class RecordStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    DISPUTED = "disputed"


class ServiceRecord(db.Model):
    """A visit a volunteer logged; its hours post when the recipient's side confirms."""

    __tablename__ = "service_records"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("volunteer_id <> recipient_id", name="not_self"),
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected', 'disputed')", name="status"
        ),
        Index("ix_service_records_volunteer_date", "volunteer_id", "service_date"),
        Index("ix_service_records_service_date", "service_date"),
        Index("ix_service_records_recipient_status", "recipient_id", "status"),
        # the visits waiting for an answer, oldest first (the desk, the confirmations page):
        # read in order and stopped after a page, however long the history
        Index("ix_service_records_status_date", "status", "service_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(20))
    service_date: Mapped[date]
    started_at: Mapped[time | None]
    ended_at: Mapped[time | None]
    minutes: Mapped[int]
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.PENDING, index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    # how the recipient's side confirmed: online / family / coordinator / card / callback
    confirmation_method: Mapped[str | None] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    decided_on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[decided_on_behalf_of_id])
    transfer: Mapped[Transfer | None] = relationship()
