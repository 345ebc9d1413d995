"""The card side of a booking's life (Stripe through marketplace.stripe_gateway).

The booking services call these three at each transition; each does nothing
for a booking that is not paid by card. Contract (the card helper fills in
the Stripe part; until then a card booking raises NotImplementedError):

- ``release(booking)``: let the authorisation go (PaymentIntent cancel), or
  forget a saved card; nothing is charged. Decline, expiry, free cancellation.
- ``capture(booking, amount_fen)``: take ``amount_fen`` (≤ the authorised
  amount): the full payable on completion, the fee on a late cancellation
  (0 → same as release). A saved card (off-session) is authorised first.
- ``refund(booking, amount_fen)``: give back part or all of what was captured.

Each raises PaymentFailed when Stripe refuses, and records what happened on
the booking's CardPayment so a second call never charges or refunds twice.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from extensions import db
from marketplace.booking_models import Booking
from marketplace.card_models import CardPayment


def card_payments_enabled() -> bool:
    """True when Stripe keys are configured; without them card payment is not offered."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def card_payment(booking: Booking) -> CardPayment | None:
    """The booking's CardPayment row, if it is paid by card."""
    return db.session.scalar(select(CardPayment).where(CardPayment.booking_id == booking.id))


def release(booking: Booking) -> None:
    if card_payment(booking) is None:
        return
    raise NotImplementedError("card release")


def capture(booking: Booking, amount_fen: int) -> None:
    if card_payment(booking) is None:
        return
    raise NotImplementedError("card capture")


def refund(booking: Booking, amount_fen: int) -> None:
    if card_payment(booking) is None:
        return
    raise NotImplementedError("card refund")
