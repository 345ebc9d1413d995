"""Scheduled visits: plan one, check in and out (or a coordinator records the times), skip or cancel.

Checking out logs the visit through timebank.visits.log_visit, so the daily cap
and every logging rule apply; its hours still post only after the recipient's
side confirms (timebank.visits.confirm_visit, or a card or call-back in
timebank.cards).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User
from community.permissions import coordinates, family_may
from extensions import db
from timebank.categories import BY_CODE
from timebank.clock import LOCAL_ZONE, local_today
from timebank.errors import InvalidVisit, NotAllowed
from timebank.models import ServiceRecord
from timebank.signals import visit_scheduled
from timebank.visit_models import Visit, VisitStatus
from timebank.visits import OPEN_STATUSES

# How long a scheduled visit is taken to occupy its volunteer, to find clashes.
SLOT_MINUTES = 60
ACTIVE_STATUSES = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.DONE)


def to_local(moment: datetime) -> datetime:
    """A naive UTC datetime as the communities' local time (naive)."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_ZONE).replace(tzinfo=None)


def to_utc(day: date, at: time) -> datetime:
    """A local date and time as a naive UTC datetime."""
    local = datetime.combine(day, at, tzinfo=LOCAL_ZONE)
    return local.astimezone(UTC).replace(tzinfo=None)


def _minute_of_day(at: time) -> int:
    return at.hour * 60 + at.minute


def _clashes(volunteer: User, day: date, at: time, exclude_visit_id: int | None = None) -> bool:
    """True if a slot at ``at`` on ``day`` overlaps the volunteer's other visits or logged records."""
    start = _minute_of_day(at)
    end = start + SLOT_MINUTES
    visits = db.session.scalars(
        select(Visit).where(
            Visit.volunteer_id == volunteer.id,
            Visit.scheduled_date == day,
            Visit.scheduled_time.is_not(None),
            Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)),
        )
    )
    for other in visits:
        if other.id == exclude_visit_id:
            continue
        other_start = _minute_of_day(other.scheduled_time)
        if other_start < end and start < other_start + SLOT_MINUTES:
            return True
    records = db.session.scalars(
        select(ServiceRecord).where(
            ServiceRecord.volunteer_id == volunteer.id,
            ServiceRecord.service_date == day,
            ServiceRecord.started_at.is_not(None),
            ServiceRecord.ended_at.is_not(None),
            ServiceRecord.status.in_(OPEN_STATUSES),
        )
    )
    return any(
        _minute_of_day(r.started_at) < end and start < _minute_of_day(r.ended_at) for r in records
    )


def may_arrange(actor: User, volunteer: User, recipient: User) -> bool:
    """True if ``actor`` may schedule, skip or cancel a visit between these two people."""
    return (
        actor.id in (volunteer.id, recipient.id)
        or family_may(actor, recipient, "may_book")
        or coordinates(actor, recipient)
        or coordinates(actor, volunteer)
    )


def schedule_visit(
    *,
    volunteer: User,
    recipient: User,
    category: str,
    scheduled_date: date,
    scheduled_time: time | None,
    by: User,
    note: str = "",
) -> Visit:
    """Schedule a visit (status 'scheduled') and send visit_scheduled.

    The volunteer, the recipient, family allowed to book for the recipient, or a
    coordinator may schedule; someone acting for the recipient is recorded as
    on their behalf. Raises NotAllowed, InvalidVisit (past date, unknown
    category, a clash with the volunteer's other visits at that date and time).
    """
    if not may_arrange(by, volunteer, recipient):
        raise NotAllowed(
            _l("Only the people involved, their family or a coordinator can plan this visit.")
        )
    if volunteer.id == recipient.id:
        raise InvalidVisit(_l("A volunteer cannot visit themselves."))
    if not (volunteer.is_active_member and recipient.is_active_member):
        raise InvalidVisit(_l("This member's account is closed."))
    if category not in BY_CODE:
        raise InvalidVisit(_l("Choose a kind of service."))
    if scheduled_date < local_today():
        raise InvalidVisit(_l("A visit cannot be planned in the past."))
    if scheduled_time is not None and _clashes(volunteer, scheduled_date, scheduled_time):
        raise InvalidVisit(
            _l("%(name)s already has a visit at that time.", name=volunteer.display_name)
        )
    visit = Visit(
        volunteer_id=volunteer.id,
        recipient_id=recipient.id,
        category=category,
        scheduled_date=scheduled_date,
        scheduled_time=scheduled_time,
        status=VisitStatus.SCHEDULED,
        entered_by_id=by.id,
        on_behalf_of_id=None if by.id in (volunteer.id, recipient.id) else recipient.id,
        note=(note or "").strip()[:500],
    )
    db.session.add(visit)
    db.session.flush()
    visit_scheduled.send(visit)
    return visit
