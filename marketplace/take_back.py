"""Taking back (撤回) a booking one just made, free, within the undo window.

The MIIT elder-friendly web spec asks that a resident may undo their own money step
for a while at no cost: whoever made a booking (the resident, or family booking for
them) may cancel it within UNDO_MINUTES of making it, with no fee whatever the
cancellation rules would say, the card's authorisation let go (marketplace.card
records the step; the worker tells Stripe), the hours' hold and the subsidy given back.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from community.models import User, utcnow
from marketplace.access import may_book_for
from marketplace.booking_models import Booking
from marketplace.booking_models import BookingStatus as S
from marketplace.bookings import record_acted_for
from marketplace.errors import Conflict, NotAllowed
from marketplace.states import check_transition
from marketplace.transitions import NOTE_TAKEN_BACK, locked_booking, record_step, release_money
from timebank.take_back import minutes_left, undo_window

# Where a booking can still be taken back (a cancellation that moves no money).
TAKE_BACK_STATUSES = frozenset({S.PENDING_PAYMENT, S.REQUESTED, S.ACCEPTED})


class TooLateToTakeBack(Conflict):
    """The window to take the booking back is over (cancelling may still be possible)."""


def _own_booking(by: User, booking: Booking) -> bool:
    """True if ``by`` made this booking and may still book for its resident."""
    return booking.booked_by_id == by.id and may_book_for(by, booking.resident)


def take_back_left(booking: Booking, by: User | None, now: datetime | None = None) -> int:
    """Minutes ``by`` has left to take ``booking`` back (0: not theirs, not now)."""
    if by is None or not getattr(by, "is_authenticated", True):
        return 0
    now = now or utcnow()
    if booking.status not in TAKE_BACK_STATUSES or now >= booking.starts_at:
        return 0
    left = minutes_left(booking.created_at, now) if booking.booked_by_id == by.id else 0
    # asked last: whether they still reach the resident may cost a query
    return left if left and _own_booking(by, booking) else 0


def take_back(booking: Booking, *, by: User, now: datetime | None = None) -> Booking:
    """Cancel the booking ``by`` just made, free of any fee; money and hours go back.

    Raises NotAllowed (someone else's booking), TooLateToTakeBack (the window is over)
    and TransitionNotAllowed (already cancelled, e.g. by a simultaneous press, or moved
    on). Nothing is written when it refuses.
    """
    now = now or utcnow()
    booking = locked_booking(booking.id)
    if not _own_booking(by, booking):
        raise NotAllowed(_l("Only whoever made this booking can take it back."))
    check_transition(booking.status, S.CANCELLED)
    if booking.status not in TAKE_BACK_STATUSES or now >= booking.starts_at:
        raise Conflict(_l("This booking can no longer be taken back."))
    if now > booking.created_at + undo_window():
        raise TooLateToTakeBack(
            _l(
                "It is more than %(n)s minutes since you booked, so it can no longer be "
                "taken back. You can still cancel it.",
                n=current_app.config["UNDO_MINUTES"],
            )
        )
    release_money(booking, by=by)
    on_behalf_of = booking.resident if by.id != booking.resident_id else None
    record_step(booking, S.CANCELLED, by=by, note=NOTE_TAKEN_BACK, on_behalf_of=on_behalf_of)
    record_acted_for(by, booking, "take_back")
    return booking
