"""Scheduled visits: plan one, check in and out (or a coordinator records the times), skip or cancel.

A visit needs the agreement of the side of the person visited (community.reach):
they, family allowed to book for them, or their coordinator plan it, or approve a
request (timebank.requests). Only that side's coordinators act on it; the
volunteer's coordinator may see it. Checking out logs the visit through
timebank.visits.write_visit_record, so the daily cap and every logging rule apply;
its hours still post only after the recipient's side confirms
(timebank.visits.confirm_visit, or a card or call-back in timebank.cards).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User, utcnow
from community.reach import (
    agrees_for,
    coordinates,
    same_street,
)
from extensions import db
from timebank.categories import BY_CODE
from timebank.clock import LOCAL_ZONE, local_today
from timebank.errors import InvalidVisit, NotAllowed
from timebank.models import ServiceRecord
from timebank.signals import visit_scheduled
from timebank.staff_audit import acted_for
from timebank.visit_models import Visit, VisitStatus
from timebank.visits import OPEN_STATUSES, write_visit_record

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


def _clashes(volunteer: User, day: date, at: time) -> bool:
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
        other_start = _minute_of_day(other.scheduled_time)
        if other_start < end and start < other_start + SLOT_MINUTES:
            return True
    return _overlaps_records(volunteer.id, day, start, end)


def _overlaps_records(volunteer_id: int, day: date, start: int, end: int) -> bool:
    """True if minutes-of-day [start, end) overlap the volunteer's open logged records that day."""
    records = db.session.scalars(
        select(ServiceRecord).where(
            ServiceRecord.volunteer_id == volunteer_id,
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
    """True if ``actor`` may plan a visit by ``volunteer`` to ``recipient``: the
    recipient's side agrees (the recipient, family allowed to book for them, or a
    coordinator of the recipient's community). A volunteer alone may not: asking goes
    through a request, which the recipient's side approves (timebank.requests)."""
    return agrees_for(actor, recipient)


def may_call_off(actor: User, visit: Visit) -> bool:
    """True if ``actor`` may skip or cancel the visit: its volunteer (who may always
    withdraw) or the recipient's side (see may_arrange)."""
    return actor.id == visit.volunteer_id or agrees_for(actor, visit.recipient)


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
    """Plan a visit (status 'scheduled') for the recipient's side, and send visit_scheduled.

    The recipient, family allowed to book for them, or a coordinator of their
    community may plan one (see may_arrange); someone acting for the recipient is
    recorded as on their behalf, a coordinator also in the audit log. Raises
    NotAllowed (anyone else; the two live in different streets), InvalidVisit
    (past date, unknown category, a clash with the volunteer's other visits).
    """
    if not may_arrange(by, volunteer, recipient):
        raise NotAllowed(
            _l("Only the person visited, their family or their coordinator can plan this visit.")
        )
    visit = schedule_agreed_visit(
        volunteer=volunteer,
        recipient=recipient,
        category=category,
        scheduled_date=scheduled_date,
        scheduled_time=scheduled_time,
        by=by,
        on_behalf_of=None if by.id == recipient.id else recipient,
        note=note,
    )
    acted_for(by, recipient, "visit_scheduled", target=f"visit:{visit.id}")
    return visit


def schedule_agreed_visit(
    *,
    volunteer: User,
    recipient: User,
    category: str,
    scheduled_date: date,
    scheduled_time: time | None,
    by: User,
    on_behalf_of: User | None,
    note: str = "",
) -> Visit:
    """Plan a visit the recipient's side has agreed to, WITHOUT checking who ``by`` is.

    The caller established the agreement (schedule_visit: ``by`` is on the
    recipient's side; timebank.requests.approve_take: the request flow; a care
    plan: its generation checks the plan's creator). Sends visit_scheduled.
    Raises NotAllowed (different streets) and InvalidVisit.
    """
    if volunteer.id == recipient.id:
        raise InvalidVisit(_l("A volunteer cannot visit themselves."))
    if not same_street(volunteer, recipient):
        raise NotAllowed(_l("Visits are planned only with members of your own street."))
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
        on_behalf_of_id=on_behalf_of.id if on_behalf_of is not None else None,
        note=(note or "").strip()[:500],
    )
    db.session.add(visit)
    db.session.flush()
    visit_scheduled.send(visit)
    return visit


# --- check-in, check-out, recording ------------------------------------------------------


def _lock_visit(visit: Visit) -> None:
    """Lock the visit's row and re-read it, so two check-ins or check-outs cannot both pass."""
    db.session.execute(select(Visit.id).where(Visit.id == visit.id).with_for_update())
    db.session.refresh(visit)


def _may_do_rounds(actor: User, visit: Visit) -> bool:
    """The volunteer, or a coordinator of the person visited (the elder's side)."""
    return actor.id == visit.volunteer_id or coordinates(actor, visit.recipient)


def _acted(by: User, visit: Visit, did: str) -> None:
    """Audit a coordinator's step in someone else's visit (the volunteer's own: nothing)."""
    if by.id != visit.volunteer_id:
        acted_for(by, visit.recipient, did, target=f"visit:{visit.id}")


def check_in(visit: Visit, *, by: User, at: datetime | None = None) -> Visit:
    """The volunteer arrives: the visit is under way from ``at`` (naive UTC, default now).

    Only the volunteer (or a coordinator of the person visited, recording it), only
    on the scheduled (local) day, and not while the volunteer is checked in elsewhere.
    Raises NotAllowed, InvalidVisit.
    """
    if not _may_do_rounds(by, visit):
        raise NotAllowed(_l("Only the volunteer or a coordinator can check in."))
    at = at or utcnow()
    _lock_visit(visit)
    if visit.status != VisitStatus.SCHEDULED:
        raise InvalidVisit(_l("Only a planned visit can be checked in."))
    if to_local(at).date() != visit.scheduled_date:
        raise InvalidVisit(_l("You can check in only on the day of the visit."))
    elsewhere = db.session.scalar(
        select(Visit.id).where(
            Visit.volunteer_id == visit.volunteer_id,
            Visit.status == VisitStatus.IN_PROGRESS,
            Visit.id != visit.id,
        )
    )
    if elsewhere is not None:
        raise InvalidVisit(_l("Check out of your other visit first."))
    visit.status = VisitStatus.IN_PROGRESS
    visit.checked_in_at = at
    db.session.flush()
    _acted(by, visit, "visit_checked_in")
    return visit


def visit_minutes(visit: Visit, checked_in_at: datetime, checked_out_at: datetime) -> int:
    """Whole minutes between check-in and check-out, at least 1, at most the category's standard.

    Raises InvalidVisit when check-out is not after check-in.
    """
    if checked_out_at <= checked_in_at:
        raise InvalidVisit(_l("Check-out must be after check-in."))
    minutes = max(int((checked_out_at - checked_in_at).total_seconds() // 60), 1)
    return min(minutes, BY_CODE[visit.category].standard_minutes)


def _log(visit: Visit, by: User, checked_in_at: datetime, checked_out_at: datetime) -> Visit:
    """Log the finished visit as a ServiceRecord (every logging rule applies) and link it."""
    minutes = visit_minutes(visit, checked_in_at, checked_out_at)
    record = write_visit_record(
        volunteer=visit.volunteer,
        recipient=visit.recipient,
        category=visit.category,
        service_date=visit.scheduled_date,
        entered_by=by,
        idempotency_key=f"scheduled-visit:{visit.id}",
        minutes=minutes,
        note=visit.note,
    )
    start = to_local(checked_in_at).replace(second=0, microsecond=0)
    end = to_local(checked_out_at).replace(second=0, microsecond=0)
    if start.date() == end.date() and end > start:
        record.started_at, record.ended_at = start.time(), end.time()
    visit.checked_in_at = checked_in_at
    visit.checked_out_at = checked_out_at
    visit.status = VisitStatus.DONE
    visit.service_record_id = record.id
    db.session.flush()
    return visit


def check_out(visit: Visit, *, by: User, at: datetime | None = None) -> Visit:
    """The volunteer leaves: log the visit (minutes from the times, capped by the
    category's standard) as waiting for the recipient's side to confirm.

    Raises NotAllowed, InvalidVisit (not checked in, check-out before check-in),
    DailyCapReached and the other errors of timebank.visits.write_visit_record.
    """
    if not _may_do_rounds(by, visit):
        raise NotAllowed(_l("Only the volunteer or a coordinator can check out."))
    at = at or utcnow()
    _lock_visit(visit)
    if visit.status != VisitStatus.IN_PROGRESS or visit.checked_in_at is None:
        raise InvalidVisit(_l("Check in before checking out."))
    _log(visit, by, visit.checked_in_at, at)
    _acted(by, visit, "visit_checked_out")
    return visit


def may_record(actor: User, visit: Visit) -> bool:
    """True if ``actor`` coordinates the person visited (and is not the volunteer)."""
    return actor.id != visit.volunteer_id and coordinates(actor, visit.recipient)


def check_may_record(actor: User, visit: Visit) -> None:
    """Raise NotAllowed unless ``actor`` may record the visit (see may_record)."""
    if not may_record(actor, visit):
        raise NotAllowed(_l("Only a coordinator can record a visit for a volunteer."))


def record_visit(visit: Visit, *, by: User, started_at: time, ended_at: time) -> Visit:
    """A coordinator of the person visited records a planned visit's times afterwards.

    The result is the same as checking in and out at those (local) times on the
    scheduled day. Raises NotAllowed, InvalidVisit and write_visit_record's errors.
    """
    check_may_record(by, visit)
    _lock_visit(visit)
    if visit.status not in (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS):
        raise InvalidVisit(_l("This visit is already finished, skipped or cancelled."))
    if visit.scheduled_date > local_today():
        raise InvalidVisit(_l("A visit cannot be recorded before its day."))
    checked_in_at = to_utc(visit.scheduled_date, started_at)
    checked_out_at = to_utc(visit.scheduled_date, ended_at)
    start, end = _minute_of_day(started_at), _minute_of_day(ended_at)
    if _overlaps_records(visit.volunteer_id, visit.scheduled_date, start, end):
        raise InvalidVisit(
            _l("%(name)s already has a visit at that time.", name=visit.volunteer.display_name)
        )
    _log(visit, by, checked_in_at, checked_out_at)
    _acted(by, visit, "visit_recorded")
    return visit


# --- skipping and cancelling ---------------------------------------------------------------


def _call_off(visit: Visit, by: User, status: str, reason: str) -> Visit:
    if not may_call_off(by, visit):
        raise NotAllowed(
            _l("Only the people involved, their family or a coordinator can change this visit.")
        )
    _lock_visit(visit)
    if visit.status != VisitStatus.SCHEDULED:
        raise InvalidVisit(_l("Only a planned visit that has not started can be called off."))
    visit.status = status
    reason = (reason or "").strip()
    if reason:
        visit.note = f"{visit.note} / {reason}"[:500] if visit.note else reason[:500]
    db.session.flush()
    _acted(by, visit, f"visit_{status}")
    return visit


def skip_visit(visit: Visit, *, by: User, reason: str = "") -> Visit:
    """Skip this one occurrence (e.g. of a care plan); the others stay. Raises NotAllowed, InvalidVisit."""
    return _call_off(visit, by, VisitStatus.SKIPPED, reason)


def cancel_visit(visit: Visit, *, by: User, reason: str = "") -> Visit:
    """Call the visit off altogether. Raises NotAllowed, InvalidVisit."""
    return _call_off(visit, by, VisitStatus.CANCELLED, reason)
