"""Disputed bookings: what was paid, a coordinator's decision, and the dispute desk.

The resident's side disputes a booking (marketplace.transitions.dispute); a
coordinator of the resident's community, or the street admin, decides it here
(marketplace.access.may_decide_dispute). The decision moves money, so it is
written to the audit log with the amounts before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community import audit
from community.audit import Action
from community.models import User, utcnow
from extensions import db
from marketplace import card, subsidies
from marketplace.access import staff_booking_condition
from marketplace.booking_models import Booking
from marketplace.booking_models import BookingStatus as S
from marketplace.errors import InvalidInput, NotAllowed
from marketplace.formatting import format_yuan
from marketplace.states import check_transition
from marketplace.transitions import (
    check_action,
    complete_booking,
    hold_is_open,
    locked_booking,
    record_step,
)
from timebank.ledger import post_transfer, release_hold, settle_hold
from timebank.models import Transfer, TransferKind

OUTCOMES = ("uphold", "refund")


@dataclass(frozen=True, slots=True)
class Paid:
    """What the resident has paid (or would pay if the service is upheld) on a disputed booking."""

    fen: int
    minutes: int
    transfer_id: int | None  # the hours transfer to the provider, once made
    settled: bool  # the money has moved already (completed or fee taken)


def paid_on(booking: Booking) -> Paid:
    """What a refund can give back at most on ``booking``."""
    minutes = 0
    if booking.hours_transfer_id is not None:
        minutes = db.session.scalar(
            select(Transfer.amount_minutes).where(Transfer.id == booking.hours_transfer_id)
        )
    if booking.completed_at is not None:
        return Paid(booking.payable_fen, minutes, booking.hours_transfer_id, True)
    if booking.cancel_fee_fen or booking.hours_transfer_id is not None:
        return Paid(booking.cancel_fee_fen, minutes, booking.hours_transfer_id, True)
    held = booking.total_minutes if hold_is_open(booking) else 0
    # disputed before completion: nothing moved yet, the whole payable is at stake
    if booking.delivered_at is not None:
        return Paid(booking.payable_fen, held or 0, None, False)
    return Paid(0, 0, None, False)


def _refund_hours(booking: Booking, paid: Paid, minutes: int, *, full: bool, by: User) -> None:
    """Pay ``minutes`` back from the provider's account to the resident's."""
    transfer = db.session.get(Transfer, paid.transfer_id)
    post_transfer(
        from_account_id=transfer.to_account_id,
        to_account_id=transfer.from_account_id,
        minutes=minutes,
        kind=TransferKind.REVERSAL if full else TransferKind.ADJUSTMENT,
        idempotency_key=f"booking:{booking.id}:refund",
        entered_by=by,
        on_behalf_of=booking.resident,
        memo=booking.title,
        reverses_id=paid.transfer_id if full else None,
    )


def resolve_dispute(
    booking: Booking,
    *,
    by: User,
    outcome: str,
    note: str,
    refund_fen: int = 0,
    now: datetime | None = None,
) -> Booking:
    """A coordinator of the resident's community (or the street admin) decides a dispute.

    "uphold": the booking completes (paid normally if it was not yet); an
    upheld no-show ends cancelled with its fee kept.
    "refund": ``refund_fen`` (1 … what was paid) goes back to the resident —
    by card, or the same share of the hours from the provider's account; on a
    full refund the subsidy goes back too. The decision is audited.
    Raises InvalidInput, NotAllowed, Conflict.
    """
    now = now or utcnow()
    note = note.strip()
    booking = locked_booking(booking.id)
    # who may decide comes first: an outsider learns nothing from the other answers
    check_action("resolve", booking, by, now)
    if not note:
        raise InvalidInput(_l("Please write down why you decided this way."))
    if outcome not in OUTCOMES:
        raise InvalidInput(_l("Choose to uphold the booking or to refund it."))
    paid = paid_on(booking)
    before = {
        "status": booking.status,
        "paid_fen": paid.fen,
        "paid_minutes": paid.minutes,
        "refunded_fen": booking.refunded_fen,
    }
    if outcome == "uphold":
        _uphold(booking, by=by, note=note, now=now)
    else:
        _refund(booking, paid, refund_fen, by=by, note=note)
    audit.record(
        Action.BOOKING_DISPUTE_DECIDED,
        actor=by,
        subject=booking.resident,
        target=f"booking:{booking.id}",
        before=before,
        after={
            "decision": outcome,
            "status": booking.status,
            "refunded_fen": booking.refunded_fen,
            "note": note,
        },
    )
    return booking


def _uphold(booking: Booking, *, by: User, note: str, now: datetime) -> None:
    if booking.completed_at is None and booking.delivered_at is None:
        # a no-show upheld: it ends as a missed booking, the fee stands
        check_transition(booking.status, S.CANCELLED)
        record_step(booking, S.CANCELLED, by=by, note=note)
        return
    complete_booking(booking, by=by, now=now, note=note)


def _refund(booking: Booking, paid: Paid, refund_fen: int, *, by: User, note: str) -> None:
    check_transition(booking.status, S.REFUNDED)
    if not isinstance(refund_fen, int) or refund_fen <= 0 or refund_fen > paid.fen:
        raise InvalidInput(
            _l(
                "The refund must be more than ¥0 and at most what was paid (%(paid)s).",
                paid=format_yuan(paid.fen),
            )
        )
    full = refund_fen == paid.fen
    if paid.settled:
        card.refund(booking, refund_fen)
        minutes = paid.minutes if full else _share(paid.minutes, refund_fen, paid.fen)
        if minutes > 0 and paid.transfer_id is not None:
            _refund_hours(booking, paid, minutes, full=full, by=by)
    else:
        # disputed before completion: take only what is not refunded
        keep = paid.fen - refund_fen
        if keep > 0:
            card.capture(booking, keep)
        else:
            card.release(booking)
        if hold_is_open(booking):
            if full:
                release_hold(booking.hold_id, entered_by=by)
            else:
                booking.hours_transfer_id = settle_hold(
                    booking.hold_id,
                    to_account_id=booking.provider.account_id,
                    kind=TransferKind.REDEMPTION,
                    entered_by=by,
                    memo=booking.title,
                )
                back = _share(paid.minutes, refund_fen, paid.fen)
                if back > 0:
                    _refund_hours(
                        booking,
                        Paid(paid.fen, paid.minutes, booking.hours_transfer_id, True),
                        back,
                        full=False,
                        by=by,
                    )
    if full:
        subsidies.give_back(booking)
    else:
        subsidies.mark_used(booking)
    booking.refunded_fen = refund_fen
    record_step(booking, S.REFUNDED, by=by, note=note)


def _share(minutes: int, part_fen: int, whole_fen: int) -> int:
    """The minutes in the same proportion as ``part_fen`` of ``whole_fen``, rounded half up."""
    if whole_fen <= 0:
        return 0
    return (minutes * part_fen * 2 + whole_fen) // (2 * whole_fen)


def disputes_for(actor: User) -> list[Booking]:
    """Disputed bookings of ``actor``'s residents (a street admin: of their street), oldest
    first, leaving out those of a provider ``actor`` runs.

    Raises NotAllowed for a member who coordinates nothing.
    """
    if not actor.is_coordinator:
        raise NotAllowed(_l("Only coordinators decide disputes."))
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.status == S.DISPUTED, staff_booking_condition(actor))
            .options(
                selectinload(Booking.provider),
                selectinload(Booking.resident),
                selectinload(Booking.community),
            )
            .order_by(Booking.updated_at, Booking.id)
        )
    )
