"""The booking state machine: which step may follow which.

Every change of a booking's status, by a person, a CLI sweep or a Stripe
webhook, goes through ``check_transition`` so an out-of-order event is
refused instead of applied.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.booking_models import BookingStatus as S
from marketplace.errors import TransitionNotAllowed

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.REQUESTED, S.EXPIRED, S.CANCELLED}),
    S.REQUESTED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.COMPLETED, S.CANCELLED, S.NO_SHOW, S.DISPUTED}),
    S.COMPLETED: frozenset({S.DISPUTED}),
    S.NO_SHOW: frozenset({S.DISPUTED}),
    S.DISPUTED: frozenset({S.COMPLETED, S.REFUNDED, S.CANCELLED}),
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# Statuses whose booking still takes a place in its slot (pending_payment only
# until its hold expires).
OCCUPYING = frozenset(
    {S.PENDING_PAYMENT, S.REQUESTED, S.ACCEPTED, S.COMPLETED, S.NO_SHOW, S.DISPUTED}
)
FINAL = frozenset(s for s, nexts in ALLOWED.items() if not nexts)


def may_move(from_status: str, to_status: str) -> bool:
    """True if a booking in ``from_status`` may move to ``to_status``."""
    return to_status in ALLOWED.get(from_status, frozenset())


def check_transition(from_status: str, to_status: str) -> None:
    """Raise TransitionNotAllowed unless ``from_status`` → ``to_status`` is allowed."""
    if not may_move(from_status, to_status):
        raise TransitionNotAllowed(
            _l("This booking can no longer be changed that way. Please reload the page.")
        )
