"""What volunteers and coordinators see of requests for help: the street's open list (no
private notes, no one's phone), a member's own requests, and the requests nobody took in
the communities a coordinator looks after (all scoped by community.reach)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, or_, select
from sqlalchemy.orm import joinedload

from community.models import User
from community.reach import community_condition, in_street_condition
from extensions import db
from timebank.aid_models import AidRequest, RequestStatus, Urgency
from timebank.clock import local_today
from timebank.errors import NotAllowed


@dataclass(frozen=True)
class OpenRequest:
    """An open request as a volunteer sees it: no private notes, no one's phone."""

    id: int
    category: str
    requester_name: str
    community_name: str
    needed_on: date | None
    window_start: time | None
    window_end: time | None
    flexible: bool
    building: str
    estimated_minutes: int
    urgency: str
    created_at: datetime


def _summary(request: AidRequest) -> OpenRequest:
    return OpenRequest(
        id=request.id,
        category=request.category,
        requester_name=request.requester.display_name,
        community_name=request.community.name,
        needed_on=request.needed_on,
        window_start=request.window_start,
        window_end=request.window_end,
        flexible=request.flexible,
        building=request.building,
        estimated_minutes=request.estimated_minutes,
        urgency=request.urgency,
        created_at=request.created_at,
    )


def check_may_see_open_requests(viewer: User) -> None:
    """Raise NotAllowed unless ``viewer`` is a volunteer or a coordinator (the open list is
    for taking requests, and for watching over them)."""
    if not (viewer.is_volunteer or viewer.is_coordinator):
        raise NotAllowed(_l("Only volunteers can see requests for help."))


def open_requests(
    viewer: User,
    *,
    category: str | None = None,
    community_id: int | None = None,
    on_date: date | None = None,
    today: date | None = None,
    limit: int = 200,
) -> list[OpenRequest]:
    """Open requests in the viewer's street, not their own, not past; urgent first, then by date.

    ``on_date`` keeps requests needed that day and flexible ones. Private notes are never
    part of the result. Raises NotAllowed (see check_may_see_open_requests).
    """
    check_may_see_open_requests(viewer)
    today = today or local_today()
    query = select(AidRequest).where(
        AidRequest.status == RequestStatus.OPEN,
        in_street_condition(viewer, AidRequest.community_id),
        AidRequest.requester_id != viewer.id,
        or_(AidRequest.needed_on.is_(None), AidRequest.needed_on >= today),
    )
    if category:
        query = query.where(AidRequest.category == category)
    if community_id:
        query = query.where(AidRequest.community_id == community_id)
    if on_date:
        query = query.where(or_(AidRequest.needed_on == on_date, AidRequest.flexible.is_(True)))
    urgent_first = case((AidRequest.urgency == Urgency.URGENT, 0), else_=1)
    query = query.order_by(
        urgent_first, AidRequest.needed_on.is_(None), AidRequest.needed_on, AidRequest.id
    )
    # each summary names the requester and their community: read with the requests
    query = query.limit(limit).options(
        joinedload(AidRequest.requester), joinedload(AidRequest.community)
    )
    return [_summary(r) for r in db.session.scalars(query)]


def requests_of(member: User, limit: int = 100) -> list[AidRequest]:
    """Requests ``member`` asked for, posted for someone, or took as a volunteer; newest first."""
    return list(
        db.session.scalars(
            select(AidRequest)
            .where(
                or_(
                    AidRequest.requester_id == member.id,
                    AidRequest.entered_by_id == member.id,
                    AidRequest.volunteer_id == member.id,
                )
            )
            .order_by(AidRequest.id.desc())
            .limit(limit)
        )
    )


def unclaimed_requests(coordinator: User, limit: int = 200) -> list[AidRequest]:
    """Open requests in the communities ``coordinator`` looks after: flagged ones first,
    then oldest first. Raises NotAllowed for anyone who is not a coordinator."""
    if not coordinator.is_coordinator:
        raise NotAllowed()
    return list(
        db.session.scalars(
            select(AidRequest)
            .where(
                AidRequest.status == RequestStatus.OPEN,
                community_condition(coordinator, AidRequest.community_id),
            )
            .order_by(AidRequest.flagged_at.is_(None), AidRequest.created_at, AidRequest.id)
            .limit(limit)
        )
    )
