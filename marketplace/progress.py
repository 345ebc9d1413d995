"""Where a booking stands, as the steps a resident knows from shopping apps:
booked → accepted → done → confirmed, each done, the one waited for now, or still to come.

Read from the booking's own fields and its history (already loaded for its page), so
it costs no query of its own. A booking that left the path (declined, cancelled,
expired, missed, in dispute, refunded) shows the steps it reached and then how it ended.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace.booking_models import Booking
from marketplace.booking_models import BookingStatus as S
from marketplace.formatting import BOOKING_STATUS_LABELS, local_time
from translated_labels import label

DONE, NOW, LATER, ENDED = "done", "now", "later", "ended"

# Each step named so that it reads right done (✓), waited for now, or still to come.
STEP_LABELS = (
    _l("Booking made"),
    _l("The provider accepts"),
    _l("The service"),
    _l("Confirming it was done"),
)
# What the step that is waited for waits on, said plainly (the service: its time).
WAITING_FOR = {
    0: _l("waiting for payment"),
    1: _l("waiting for the provider's answer"),
    3: _l("please confirm it was done"),
}


@dataclass(frozen=True, slots=True)
class Step:
    label: str
    state: str  # DONE, NOW (waited for), LATER, or ENDED (how an unfinished booking ended)
    note: str = ""


def _reached(booking: Booking) -> int:
    """How many of the four steps the booking has passed."""
    if booking.completed_at is not None or booking.status == S.COMPLETED:
        return 4
    if booking.delivered_at is not None:
        return 3
    if booking.status == S.ACCEPTED or any(e.to_status == S.ACCEPTED for e in booking.events):
        return 2
    if booking.status == S.PENDING_PAYMENT:
        return 0
    if booking.status == S.EXPIRED and not any(e.to_status == S.REQUESTED for e in booking.events):
        return 0  # the payment never came
    return 1


def booking_steps(booking: Booking) -> list[Step]:
    """The booking's steps in order, for an ordered list on its page."""
    reached = _reached(booking)
    on_path = booking.status in (S.PENDING_PAYMENT, S.REQUESTED, S.ACCEPTED, S.COMPLETED)
    steps = []
    for index, name in enumerate(STEP_LABELS):
        if index < reached:
            steps.append(Step(str(name), DONE))
        elif on_path and index == reached:
            if index == 2:
                note = _l("the provider comes on %(when)s", when=local_time(booking.starts_at))
            else:
                note = WAITING_FOR[index]
            steps.append(Step(str(name), NOW, str(note)))
        elif on_path:
            steps.append(Step(str(name), LATER))
    if not on_path:
        steps.append(Step(label(BOOKING_STATUS_LABELS, booking.status), ENDED))
    return steps
