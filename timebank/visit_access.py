"""Who may see a visit, planned or logged, and the lists of them each person is shown
(acting on a planned visit is timebank.scheduling's, deciding on a logged one
timebank.visits.may_decide).

A visit has two sides: its volunteer's and the person served. Both sides' people
may see it; only the person served's side answers it (community.reach).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from community.models import User
from community.reach import (
    CONTACT_PERMISSIONS,
    COORDINATED_COMMUNITY_IDS,
    coordinated_member_ids,
    coordinates,
    may_see_contact,
    member_condition_param,
    reach_params,
    reaches_any,
)
from extensions import db
from timebank.clock import local_today
from timebank.errors import NotAllowed, NotFound
from timebank.models import RecordStatus, ServiceRecord
from timebank.visit_models import Visit, VisitStatus

# Every list of visits names its volunteer and recipient (and, when a coordinator
# entered it for someone, both of them): read in the visits' own statement.
WITH_PEOPLE = (
    joinedload(ServiceRecord.volunteer),
    joinedload(ServiceRecord.recipient),
    joinedload(ServiceRecord.entered_by),
    joinedload(ServiceRecord.on_behalf_of),
)


def may_view_visit(actor: User, record: ServiceRecord) -> bool:
    """True if ``actor`` took part in the visit or looks after one of its people.

    That is the volunteer, the recipient, whoever entered it, the recipient's
    family who act for them (booking or confirming), and coordinators of the
    recipient's or the volunteer's community.
    """
    if actor.id in (record.volunteer_id, record.recipient_id, record.entered_by_id):
        return True
    return reaches_any(actor, record.recipient, CONTACT_PERMISSIONS) or coordinates(
        actor, record.volunteer
    )


def visit_for(actor: User, record_id: int) -> ServiceRecord:
    """The visit ``record_id`` as seen by ``actor``.

    Raises NotFound for an unknown id and NotAllowed when ``actor`` may not see it.
    """
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound(_l("This visit does not exist."))
    if not may_view_visit(actor, record):
        raise NotAllowed(_l("You may not see this visit."))
    return record


def disputed_visit_for(actor: User, record_id: int) -> ServiceRecord:
    """The visit ``record_id`` for a coordinator of its recipient to settle (never its
    volunteer). Raises NotFound, NotAllowed."""
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound(_l("This visit does not exist."))
    if actor.id == record.volunteer_id or not coordinates(actor, record.recipient):
        raise NotAllowed(_l("Only a coordinator of this community can settle a dispute."))
    return record


@dataclass(frozen=True)
class AwaitingCursor:
    """Where a page of waiting visits ended: the last one's day and id ("20261205-123")."""

    service_date: date
    record_id: int

    def __str__(self) -> str:
        return f"{self.service_date:%Y%m%d}-{self.record_id}"


_CURSOR = re.compile(r"([0-9]{8})-([0-9]{1,10})")  # ASCII digits only
MAX_ID = 2**31 - 1


def parse_awaiting_cursor(text: str | None) -> AwaitingCursor | None:
    """The cursor ``text`` names, or None when it names none (empty, malformed, a day that
    does not exist, an id beyond what a row can have): the list then starts at the oldest,
    as the bookings' lists do (marketplace.keyset)."""
    found = _CURSOR.fullmatch(text or "")
    if found is None or not 0 < int(found.group(2)) <= MAX_ID:
        return None
    try:
        day = datetime.strptime(found.group(1), "%Y%m%d").date()
    except ValueError:
        return None
    return AwaitingCursor(day, int(found.group(2)))


@dataclass(frozen=True)
class Awaiting:
    """One page of the visits waiting for an answer, oldest first: how many wait from its
    first on (on the first page, all of them), and where the next page starts (None: none
    follows)."""

    shown: list[ServiceRecord]
    total: int
    next_after: AwaitingCursor | None = None


def visits_awaiting(actor: User, limit: int = 100, after: AwaitingCursor | None = None) -> Awaiting:
    """Pending visits ``actor`` may answer, oldest first (``limit`` of them, after ``after``
    when given, and how many wait from there on): their own, linked elders' (family allowed
    to confirm), or (coordinators) those to their community's people. Never their own
    visits as a volunteer."""
    # one more than shown: whether another page follows
    params = {**reach_params(actor), "limit": limit + 1}
    statement = _AWAITING
    if after is not None:
        statement = _AWAITING_AFTER
        params.update(after_date=after.service_date, after_id=after.record_id)
    rows = db.session.execute(statement, params).all()
    shown = [record for record, _total in rows[:limit]]
    more = len(rows) > limit
    return Awaiting(
        shown=shown,
        total=rows[0][1] if rows else 0,
        next_after=AwaitingCursor(shown[-1].service_date, shown[-1].id) if more else None,
    )


# Built once (the desk and the confirmations page read it on every request). The total
# comes in the same query (counted over every row that matches, before the limit).
_AWAITING = (
    select(ServiceRecord, func.count().over())
    .where(
        ServiceRecord.status == RecordStatus.PENDING,
        ServiceRecord.volunteer_id != bindparam("actor_id"),
        member_condition_param(ServiceRecord.recipient_id, "may_confirm"),
    )
    .order_by(ServiceRecord.service_date, ServiceRecord.id)
    .limit(bindparam("limit"))
    .options(*WITH_PEOPLE)
)
# A later page: by keyset after the last one shown (the day bounds the index range).
_AWAITING_AFTER = _AWAITING.where(
    ServiceRecord.service_date >= bindparam("after_date"),
    or_(
        ServiceRecord.service_date > bindparam("after_date"),
        ServiceRecord.id > bindparam("after_id"),
    ),
)


def pending_visits_to(member: User, *, by: User) -> list[ServiceRecord]:
    """Visits to ``member`` still waiting for their side to confirm, oldest first, for
    someone who may answer for them. Raises NotAllowed."""
    if not reaches_any(by, member, ("may_confirm",)):
        raise NotAllowed(_l("You may not see this visit."))
    return list(
        db.session.scalars(
            select(ServiceRecord)
            .where(
                ServiceRecord.recipient_id == member.id,
                ServiceRecord.status == RecordStatus.PENDING,
            )
            .order_by(ServiceRecord.service_date, ServiceRecord.id)
            .options(*WITH_PEOPLE)
        )
    )


def disputes_for(actor: User) -> list[ServiceRecord]:
    """Disputed visits to the people ``actor`` coordinates. Raises NotAllowed."""
    if not actor.is_coordinator:
        raise NotAllowed()
    statement = (
        select(ServiceRecord)
        .where(
            ServiceRecord.status == RecordStatus.DISPUTED,
            ServiceRecord.recipient_id.in_(coordinated_member_ids(actor)),
        )
        .order_by(ServiceRecord.id)
        .options(*WITH_PEOPLE)
    )
    return list(db.session.scalars(statement))


def count_disputes(actor: User) -> int:
    """How many visits to the people ``actor`` coordinates are disputed. Raises NotAllowed."""
    if not actor.is_coordinator:
        raise NotAllowed()
    return db.session.scalar(_DISPUTES_COUNTED, reach_params(actor))


# Read from the few disputed visits, each joined to its elder (not from every member of
# the community, which grows with it).
_DISPUTES_COUNTED = (
    select(func.count(ServiceRecord.id))
    .join(User, User.id == ServiceRecord.recipient_id)
    .where(
        ServiceRecord.status == RecordStatus.DISPUTED,
        User.community_id.in_(COORDINATED_COMMUNITY_IDS),
    )
)


# Built once (every volunteer's dashboard reads it): see timebank.accounts.
_LOGGED_BY = (
    select(ServiceRecord)
    .where(ServiceRecord.volunteer_id == bindparam("volunteer_id"))
    .order_by(ServiceRecord.service_date.desc(), ServiceRecord.id.desc())
    .limit(bindparam("limit"))
    .options(*WITH_PEOPLE)
)


def visits_logged_by(volunteer: User, limit: int = 50) -> list[ServiceRecord]:
    """The volunteer's most recent visits, newest first."""
    return list(db.session.scalars(_LOGGED_BY, {"volunteer_id": volunteer.id, "limit": limit}))


# --- planned visits ------------------------------------------------------------------------


def may_view_scheduled(actor: User, visit: Visit) -> bool:
    """True for the volunteer, the recipient, whoever scheduled it, the recipient's family
    (allowed to book or confirm), and coordinators of either person's community (the
    volunteer's coordinator sees the visit; only the recipient's acts on it)."""
    if actor.id in (visit.volunteer_id, visit.recipient_id, visit.entered_by_id):
        return True
    return reaches_any(actor, visit.recipient, CONTACT_PERMISSIONS) or coordinates(
        actor, visit.volunteer
    )


def recipient_phone_for(actor: User, visit: Visit) -> str | None:
    """The phone number of the person visited, if ``actor``'s work needs it: the
    person, family acting for them, their coordinators, and the visit's volunteer
    while the visit is planned or under way. None otherwise (or without a phone)."""
    recipient = visit.recipient
    visiting = actor.id == visit.volunteer_id and visit.status in (
        VisitStatus.SCHEDULED,
        VisitStatus.IN_PROGRESS,
    )
    if visiting or may_see_contact(actor, recipient):
        return recipient.phone
    return None


def scheduled_visit_for(actor: User, visit_id: int) -> Visit:
    """The visit ``visit_id`` as seen by ``actor``. Raises NotFound, NotAllowed."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(_l("This visit does not exist."))
    if not may_view_scheduled(actor, visit):
        raise NotAllowed(_l("You may not see this visit."))
    return visit


def rounds_of(volunteer: User, *, today: date | None = None, limit: int = 50) -> list[Visit]:
    """The volunteer's visits from today on that are still to do or under way, soonest first."""
    day = today or local_today()
    return list(
        db.session.scalars(
            select(Visit)
            .where(
                Visit.volunteer_id == volunteer.id,
                or_(
                    Visit.status == VisitStatus.IN_PROGRESS,
                    (Visit.status == VisitStatus.SCHEDULED) & (Visit.scheduled_date >= day),
                ),
            )
            .order_by(Visit.scheduled_date, Visit.scheduled_time, Visit.id)
            .limit(limit)
        )
    )
