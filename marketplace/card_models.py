"""Card payments through Stripe, and the Stripe events already applied.

Stripe (and localstripe) may deliver an event twice or out of order, and
localstripe ignores idempotency keys: these rows are what stops a second
authorisation, capture or refund.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import utcnow
from extensions import db
from marketplace.booking_models import Booking


class CardStatus(StrEnum):
    STARTED = "started"  # a PaymentIntent or SetupIntent exists; the card is not in yet
    SAVED = "saved"  # SetupIntent succeeded: to be charged off-session before the start
    AUTHORISED = "authorised"  # the amount is held on the card (requires_capture)
    CAPTURED = "captured"
    CANCELLED = "cancelled"  # the authorisation was let go; nothing charged
    FAILED = "failed"  # declined, or the off-session charge failed


class CardPayment(db.Model):
    """The card side of one booking."""

    __tablename__ = "card_payments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('started', 'saved', 'authorised', 'captured', 'cancelled', 'failed')",
            name="status",
        ),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(
            "captured_fen >= 0 AND captured_fen <= amount_fen", name="captured_within_amount"
        ),
        CheckConstraint(
            "refunded_fen >= 0 AND refunded_fen <= captured_fen", name="refunded_within_captured"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    status: Mapped[str] = mapped_column(String(12), default=CardStatus.STARTED)
    customer_id: Mapped[str | None] = mapped_column(String(255))
    setup_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # off-session bookings: when to authorise the saved card (about 2 days before)
    charge_due_at: Mapped[datetime | None] = mapped_column(index=True)
    captured_fen: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    # The Stripe call a step decided on and committed before making it (marketplace.card_steps):
    # "cancel", "cancel_setup", "capture", "authorise", "authorise_capture" or "refund",
    # its amount, its idempotency key, and since when. Cleared when its result is recorded.
    pending_step: Mapped[str | None] = mapped_column(String(20))
    pending_fen: Mapped[int | None]
    pending_key: Mapped[str | None] = mapped_column(String(120))
    pending_since: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    booking: Mapped[Booking] = relationship()


class StripeEvent(db.Model):
    """A webhook event, stored once by its Stripe id; a replay finds it and does nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    # what we did with it: applied / ignored (not a transition the booking allows) / unknown
    outcome: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
