"""Bookings, their history, and the community subsidies that pay part of them.

A booking copies the item's title and prices when it is made; later menu
changes never touch it. Times are UTC (naive, like every timestamp here).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import Community, User, utcnow
from extensions import db
from marketplace.models import Provider, ServiceItem, WeeklySlot


class BookingStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # the slot is held ~15 min while the card is entered
    REQUESTED = "requested"  # paid or payment arranged; the provider must answer
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"  # payment never came, or the provider never answered
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    DISPUTED = "disputed"
    REFUNDED = "refunded"


class PaymentMethod(StrEnum):
    CARD = "card"  # Stripe PaymentIntent, manual capture
    HOURS = "hours"  # a time-bank hold, settled to the provider on completion
    ON_SITE = "on_site"  # cash or a QR code at the door; the provider marks it paid
    SUBSIDY = "subsidy"  # the community subsidy pays all of it


class Fulfilment(StrEnum):
    """Where a meal is handed over (other items: at the resident's or the provider's)."""

    PICKUP = "pickup"
    DELIVERY = "delivery"


BOOKING_STATUSES = tuple(s.value for s in BookingStatus)


class Booking(db.Model):
    """One resident's booking of one item at one slot."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in BOOKING_STATUSES) + ")", name="status"
        ),
        CheckConstraint(
            "payment_method IN ('card', 'hours', 'on_site', 'subsidy')", name="payment_method"
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen > 0", name="unit_price_positive"),
        CheckConstraint(
            "subsidy_fen >= 0 AND subsidy_fen <= total_fen", name="subsidy_within_total"
        ),
        CheckConstraint("total_minutes IS NULL OR total_minutes > 0", name="minutes_positive"),
        CheckConstraint("cancel_fee_fen >= 0 AND refunded_fen >= 0", name="fees_not_negative"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        # capacity counts: the provider's bookings at one start time
        Index("ix_bookings_provider_start", "provider_id", "starts_at", "status"),
        Index("ix_bookings_resident", "resident_id", "starts_at"),
        # "my bookings": those a member made for others, as ix_bookings_resident their own
        Index("ix_bookings_booked_by", "booked_by_id", "starts_at"),
        Index("ix_bookings_status_deadline", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("weekly_slots.id"))
    # who receives the service, and who booked it (a family member or coordinator
    # booking for an elder is recorded as such)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    quantity: Mapped[int] = mapped_column(default=1)
    # copied from the item when booked
    title: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(10))
    unit_price_fen: Mapped[int]
    total_fen: Mapped[int]
    subsidy_fen: Mapped[int] = mapped_column(default=0)
    # when paying in hours: the minutes held, then paid to the provider
    total_minutes: Mapped[int | None]
    payment_method: Mapped[str] = mapped_column(String(10))
    fulfilment: Mapped[str | None] = mapped_column(String(10))
    child_age_months: Mapped[int | None]
    address: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.PENDING_PAYMENT)
    # pending_payment: when the held slot is let go; requested: when it expires unanswered
    expires_at: Mapped[datetime | None]
    # the provider said it is done; the resident confirms or it completes by itself later
    delivered_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancel_fee_fen: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(default=0)
    # hours: the ledger hold, and the transfer that paid the provider
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), unique=True)
    hours_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    # on site: when and by whom it was marked paid
    paid_on_site_at: Mapped[datetime | None]
    paid_on_site_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispute_reason: Mapped[str] = mapped_column(String(500), default="")
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider] = relationship()
    item: Mapped[ServiceItem] = relationship()
    slot: Mapped[WeeklySlot | None] = relationship()
    resident: Mapped[User] = relationship(foreign_keys=[resident_id])
    booked_by: Mapped[User] = relationship(foreign_keys=[booked_by_id])
    community: Mapped[Community] = relationship()
    events: Mapped[list[BookingEvent]] = relationship(
        back_populates="booking", order_by="BookingEvent.id"
    )

    @property
    def payable_fen(self) -> int:
        """What the resident pays after the subsidy."""
        return self.total_fen - self.subsidy_fen


class BookingEvent(db.Model):
    """One step in a booking's life: who moved it, for whom, from what to what."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    # None when the system moved it (expiry, automatic completion, a webhook)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class SubsidyRule(db.Model):
    """A community's subsidy: so many fen off each unit for residents of an age, within a budget."""

    __tablename__ = "subsidy_rules"
    __table_args__ = (
        CheckConstraint(
            "category IS NULL OR category IN ('housekeeping', 'childcare', 'meals')",
            name="category",
        ),
        CheckConstraint("fen_per_unit > 0", name="fen_per_unit_positive"),
        CheckConstraint("monthly_budget_fen >= 0", name="budget_not_negative"),
        CheckConstraint("min_age IS NULL OR min_age >= 0", name="min_age_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    category: Mapped[str | None] = mapped_column(String(20))  # None: every category
    min_age: Mapped[int | None]  # None: every age
    fen_per_unit: Mapped[int]
    monthly_budget_fen: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped[Community] = relationship()


class SubsidyMonth(db.Model):
    """What a rule may spend in one month and has spent; locked while a booking draws on it."""

    __tablename__ = "subsidy_months"
    __table_args__ = (
        UniqueConstraint("rule_id", "month", name="uq_subsidy_months_rule_month"),
        # the budget can never be overspent, whatever the code above does
        CheckConstraint("spent_fen >= 0 AND spent_fen <= budget_fen", name="within_budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("subsidy_rules.id"))
    month: Mapped[date]  # the first day of the month (Asia/Shanghai)
    budget_fen: Mapped[int]
    spent_fen: Mapped[int] = mapped_column(default=0)


class SubsidyGrantStatus(StrEnum):
    RESERVED = "reserved"  # the booking is open
    USED = "used"  # the booking completed
    RETURNED = "returned"  # the booking ended without service; the budget got it back


class SubsidyGrant(db.Model):
    """The subsidy one booking draws, for the community's report."""

    __tablename__ = "subsidy_grants"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('reserved', 'used', 'returned')", name="status"),
        Index("ix_subsidy_grants_community_month", "community_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("subsidy_rules.id"))
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    month: Mapped[date]
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=SubsidyGrantStatus.RESERVED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rule: Mapped[SubsidyRule] = relationship()
    booking: Mapped[Booking] = relationship()
