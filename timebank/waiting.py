"""What is waiting for a member: the "等您办的事" list at the top of their home.

It gathers, for the member and for each elder they act for by an active family link
(with what the elder consented to, community.reach), everything that waits for
them: a visit to confirm, a volunteer's offer to approve (or, for a volunteer, a
resident who asked them), today's visits of a volunteer, and whatever the packages
built on this one register (``register_waiting_source``: the marketplace adds
services marked done and bookings to rate). The time bank imports none of them.

Each source reads its items for every member of the list in one query, so the home
sends the same number of statements however long the lists are. An item is one
plain line and one button; its words are lazy, translated when the page shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload

from community.models import User
from community.reach import active_elder_links

# The item, the scope and the sources live in community so that packages the time bank
# does not know (civic) add to the list too; named here for those built on the time bank.
from community.waiting_items import (  # noqa: F401  (named here for the marketplace)
    _SOURCES,
    ITEMS_PER_SOURCE,
    WaitingItem,
    WaitingScope,
    register_waiting_kind,
    register_waiting_source,
)
from extensions import db
from timebank.aid_models import AidRequest, RequestStatus
from timebank.categories import category_label
from timebank.clock import local_today
from timebank.formatting import format_clock, format_date, format_minutes
from timebank.models import RecordStatus, ServiceRecord
from timebank.visit_models import Visit, VisitStatus


@dataclass
class WaitingGroup:
    """The items waiting for one person: the viewer first, then each elder they act for."""

    member: User
    is_viewer: bool
    items: list[WaitingItem]


def _lazy(func, *args) -> LazyString:
    return LazyString(func, *args)


def day_text(day: date | None) -> object:
    """A day as the lists show it, in the reader's language; "any day" for a flexible one."""
    if day is None:
        return _l("any day")
    return _lazy(format_date, day)


def category_text(code: str) -> LazyString:
    return _lazy(category_label, code)


def waiting_for(viewer: User, *, today: date | None = None) -> list[WaitingGroup]:
    """The viewer's waiting items, then each linked elder's (elders they may book or
    confirm for, by an active link), each list in the order things are to be done."""
    links = tuple(
        link
        for link in active_elder_links(viewer)
        if (link.may_book or link.may_confirm) and link.elder.is_active_member
    )
    scope = WaitingScope(viewer=viewer, links=links, today=today or local_today())
    groups = {viewer.id: WaitingGroup(member=viewer, is_viewer=True, items=[])}
    for link in links:
        groups.setdefault(link.elder_id, WaitingGroup(member=link.elder, is_viewer=False, items=[]))
    for name in sorted(_SOURCES):
        for item in _SOURCES[name](scope):
            group = groups.get(item.member_id)
            if group is not None:
                group.items.append(item)
    for group in groups.values():
        group.items.sort(key=lambda item: item.sort_key)
    return list(groups.values())


# --- the time bank's own sources ----------------------------------------------------------

# Built once (every member's home runs each of them): a statement made anew on each
# request costs more to build and look up in SQLAlchemy's cache than it takes to run.
_TO_CONFIRM = (
    select(ServiceRecord)
    .where(
        ServiceRecord.status == RecordStatus.PENDING,
        ServiceRecord.recipient_id.in_(bindparam("member_ids", expanding=True)),
        ServiceRecord.volunteer_id != bindparam("viewer_id"),
    )
    .order_by(ServiceRecord.service_date, ServiceRecord.id)
    .limit(ITEMS_PER_SOURCE)
    .options(joinedload(ServiceRecord.volunteer), joinedload(ServiceRecord.recipient))
)
_TO_APPROVE = (
    select(AidRequest)
    .where(
        AidRequest.status == RequestStatus.TAKEN,
        or_(
            and_(
                AidRequest.offer_id.is_(None),
                AidRequest.requester_id.in_(bindparam("member_ids", expanding=True)),
                AidRequest.volunteer_id != bindparam("viewer_id"),
            ),
            and_(
                AidRequest.offer_id.is_not(None),
                AidRequest.volunteer_id == bindparam("viewer_id"),
            ),
        ),
    )
    .order_by(AidRequest.needed_on, AidRequest.id)
    .limit(ITEMS_PER_SOURCE)
    .options(joinedload(AidRequest.volunteer), joinedload(AidRequest.requester))
)
_TODAY = (
    select(Visit)
    .where(
        Visit.volunteer_id == bindparam("volunteer_id"),
        or_(
            Visit.status == VisitStatus.IN_PROGRESS,
            and_(
                Visit.status == VisitStatus.SCHEDULED,
                Visit.scheduled_date == bindparam("today"),
            ),
        ),
    )
    .order_by(Visit.scheduled_time, Visit.id)
    .limit(ITEMS_PER_SOURCE)
    .options(joinedload(Visit.recipient))
)


def visits_to_confirm(scope: WaitingScope) -> list[WaitingItem]:
    """Logged visits to the viewer (or an elder whose link lets them confirm) waiting for an
    answer; never the viewer's own visits as a volunteer."""
    records = db.session.scalars(
        _TO_CONFIRM,
        {"member_ids": scope.member_ids("may_confirm"), "viewer_id": scope.viewer.id},
    )
    items = []
    for record in records:
        facts = {
            "volunteer": record.volunteer.display_name,
            "day": day_text(record.service_date),
            "category": category_text(record.category),
            "length": _lazy(format_minutes, record.minutes),
        }
        if scope.is_viewer(record.recipient_id):
            text = _l(
                "%(volunteer)s helped you on %(day)s: %(category)s, %(length)s. Please confirm it.",
                **facts,
            )
        else:
            text = _l(
                "%(volunteer)s helped %(name)s on %(day)s: %(category)s, %(length)s. "
                "Please confirm it.",
                name=record.recipient.display_name,
                **facts,
            )
        items.append(
            WaitingItem(
                kind="visit_to_confirm",
                member_id=record.recipient_id,
                text=text,
                button=_l("Confirm this visit"),
                endpoint="timebank.visit",
                values={"record_id": record.id},
                day=record.service_date,
            )
        )
    return items


def help_to_approve(scope: WaitingScope) -> list[WaitingItem]:
    """Requests a volunteer took that wait for the requester's side (the viewer, or an elder
    whose link lets them book), and requests a resident asked the viewer, as a volunteer,
    to do (an offer asked for: the volunteer agrees)."""
    requests = db.session.scalars(
        _TO_APPROVE,
        {"member_ids": scope.member_ids("may_book"), "viewer_id": scope.viewer.id},
    )
    items = []
    for request in requests:
        facts = {
            "day": day_text(request.needed_on),
            "category": category_text(request.category),
        }
        if request.offer_id is not None:
            items.append(
                WaitingItem(
                    kind="asked_to_help",
                    member_id=scope.viewer.id,
                    text=_l(
                        "%(name)s asked you for help: %(category)s, %(day)s. Please answer.",
                        name=request.requester.display_name,
                        **facts,
                    ),
                    button=_l("Answer the request"),
                    endpoint="aid.request_page",
                    values={"request_id": request.id},
                    anchor="approve-title",
                    day=request.needed_on,
                )
            )
            continue
        name = request.volunteer.display_name if request.volunteer else "…"
        if scope.is_viewer(request.requester_id):
            text = _l(
                "%(volunteer)s would like to help you: %(category)s, %(day)s. Please agree.",
                volunteer=name,
                **facts,
            )
        else:
            text = _l(
                "%(volunteer)s would like to help %(name)s: %(category)s, %(day)s. Please agree.",
                volunteer=name,
                name=request.requester.display_name,
                **facts,
            )
        items.append(
            WaitingItem(
                kind="help_to_approve",
                member_id=request.requester_id,
                text=text,
                button=_l("Agree to the help"),
                endpoint="aid.request_page",
                values={"request_id": request.id},
                anchor="approve-title",
                day=request.needed_on,
            )
        )
    return items


def visits_today(scope: WaitingScope) -> list[WaitingItem]:
    """A volunteer's visits planned for today, or under way."""
    if not scope.viewer.is_volunteer:
        return []
    visits = db.session.scalars(_TODAY, {"volunteer_id": scope.viewer.id, "today": scope.today})
    items = []
    for visit in visits:
        facts = {"name": visit.recipient.display_name, "category": category_text(visit.category)}
        if visit.status == VisitStatus.IN_PROGRESS:
            text = _l("You are visiting %(name)s now (%(category)s).", **facts)
            button = _l("Check out")
        elif visit.scheduled_time is not None:
            text = _l(
                "Today at %(time)s: %(category)s for %(name)s.",
                time=_lazy(format_clock, visit.scheduled_time),
                **facts,
            )
            button = _l("Open the visit")
        else:
            text = _l("Today: %(category)s for %(name)s.", **facts)
            button = _l("Open the visit")
        items.append(
            WaitingItem(
                kind="visit_today",
                member_id=scope.viewer.id,
                text=text,
                button=button,
                endpoint="visits.visit",
                values={"visit_id": visit.id},
                day=visit.scheduled_date,
            )
        )
    return items


def connect_waiting_sources() -> None:
    """Register the time bank's own sources and where their kinds go (idempotent)."""
    for kind, rank in (
        ("visit_today", 0),
        ("help_to_approve", 1),
        ("asked_to_help", 1),
        ("visit_to_confirm", 2),
    ):
        register_waiting_kind(kind, rank)
    register_waiting_source("timebank.visits_to_confirm", visits_to_confirm)
    register_waiting_source("timebank.help_to_approve", help_to_approve)
    register_waiting_source("timebank.visits_today", visits_today)
