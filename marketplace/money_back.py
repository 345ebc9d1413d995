"""What came back to the resident when a booking ended without its service: the card
money refunded or released, the hours held given back, less any cancellation fee.

Read for a whole list of bookings in one statement, so "my bookings" costs the same
whatever it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, select

from extensions import db
from marketplace.booking_models import Booking, BookingEvent, PaymentMethod
from marketplace.booking_models import BookingStatus as S
from marketplace.card_models import CardPayment, CardStatus
from marketplace.formatting import format_yuan
from timebank.formatting import format_minutes
from timebank.models import Hold, HoldStatus, Transfer

# a booking in one of these ended without its service being paid in full
ENDED_UNSERVED = frozenset({S.CANCELLED, S.DECLINED, S.EXPIRED, S.NO_SHOW})


@dataclass(frozen=True, slots=True)
class MoneyBack:
    """What the resident got back, and what a fee kept (fen and minutes; 0: none)."""

    method: str
    refunded_fen: int = 0  # card money refunded or let go
    fee_fen: int = 0
    minutes_back: int = 0  # hours that were held, given back
    fee_minutes: int = 0
    charged: bool = True  # False: the card was never charged (nothing to give back)


def money_back_for(bookings: Iterable[Booking]) -> dict[int, MoneyBack]:
    """For each booking that ended unserved, what came back: booking id → MoneyBack.

    One statement (the holds, the fee transfers and the card payments joined) for any
    number of bookings; none when none of them ended so.
    """
    ended = {b.id: b for b in bookings if b.status in ENDED_UNSERVED}
    if not ended:
        return {}
    # a card payment is in only once the booking went on to the provider (requested);
    # before that an intent may exist that never held any money
    went_on = exists().where(
        BookingEvent.booking_id == Booking.id, BookingEvent.to_status == S.REQUESTED
    )
    rows = db.session.execute(
        select(
            Booking.id,
            Hold.status,
            Hold.amount_minutes,
            Transfer.amount_minutes,
            CardPayment.status,
            CardPayment.payment_intent_id,
            CardPayment.amount_fen,
            CardPayment.captured_fen,
            CardPayment.refunded_fen,
            went_on.label("went_on"),
        )
        .outerjoin(Hold, Hold.id == Booking.hold_id)
        .outerjoin(Transfer, Transfer.id == Booking.hours_transfer_id)
        .outerjoin(CardPayment, CardPayment.booking_id == Booking.id)
        .where(Booking.id.in_(list(ended)))
    )
    found: dict[int, MoneyBack] = {}
    for row in rows:
        booking_id, hold, held, fee_minutes, card, intent, authorised, taken, refunded = row[:9]
        booking = ended[booking_id]
        if booking.payment_method == PaymentMethod.HOURS and hold == HoldStatus.RELEASED:
            fee = fee_minutes or 0
            found[booking_id] = MoneyBack(
                PaymentMethod.HOURS, minutes_back=held - fee, fee_minutes=fee
            )
        elif booking.payment_method == PaymentMethod.CARD:  # no card row: never entered
            held_money = card == CardStatus.CAPTURED or (
                card == CardStatus.CANCELLED and intent is not None and row.went_on
            )
            if not held_money:
                found[booking_id] = MoneyBack(PaymentMethod.CARD, charged=False)
            else:
                kept = taken - refunded
                found[booking_id] = MoneyBack(
                    PaymentMethod.CARD, refunded_fen=authorised - kept, fee_fen=kept
                )
        elif booking.payment_method in (PaymentMethod.ON_SITE, PaymentMethod.SUBSIDY):
            found[booking_id] = MoneyBack(booking.payment_method, charged=False)
    return found


def money_back_lines(back: MoneyBack | None) -> list[str]:
    """What came back, in words: "Refunded ¥80", "The 2 h held were given back", a fee."""
    if back is None:
        return []
    if not back.charged:
        if back.method == PaymentMethod.CARD:
            return [_("Nothing was charged to the card")]
        return [_("Nothing to pay")]
    lines = []
    if back.refunded_fen:
        lines.append(_("Refunded %(amount)s", amount=format_yuan(back.refunded_fen)))
    if back.fee_fen:
        lines.append(_("Cancellation fee %(amount)s", amount=format_yuan(back.fee_fen)))
    if back.minutes_back:
        lines.append(_("The %(time)s held were given back", time=format_minutes(back.minutes_back)))
    if back.fee_minutes:
        lines.append(_("Cancellation fee %(amount)s", amount=format_minutes(back.fee_minutes)))
    return lines
