"""Requests for help (needs): posting, taking, approving, declining, cancelling, flagging.

Who is on the requester's side: the elder, a family member whose active link
allows booking (``may_book``), and coordinators of the elder's community
(street admins of its street). A volunteer takes an open request; the
requester's side approves the take, which schedules a visit. A request that
came from asking for an offer (timebank.offers.ask_for_offer) is approved by
its volunteer instead, because the resident's asking was already their side's
consent. Every action taken for someone else records who acted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from community.models import User, utcnow
from community.reach import in_street
from extensions import db
from idempotency import add_once
from timebank.aid_access import check_may_post_for, may_approve, on_requester_side
from timebank.aid_models import AidRequest, RequestStatus, Urgency
from timebank.categories import BY_CODE
from timebank.clock import local_today
from timebank.errors import AlreadySettled, AlreadySubmitted, InvalidRequest, NotAllowed
from timebank.scheduling import cancel_visit, schedule_agreed_visit
from timebank.signals import request_posted, request_taken, visit_confirmed
from timebank.staff_audit import acted_for
from timebank.visit_models import Visit, VisitStatus

MAX_REQUEST_MINUTES = 12 * 60
ACTIVE_STATUSES = (RequestStatus.OPEN, RequestStatus.TAKEN, RequestStatus.SCHEDULED)


# --- posting ---------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """What is needed, when and where — shared by posting and by asking for an offer."""

    category: str
    estimated_minutes: int
    needed_on: date | None = None
    window_start: time | None = None
    window_end: time | None = None
    flexible: bool = False
    building: str = ""
    unit: str = ""
    urgency: str = Urgency.NORMAL
    private_notes: str = ""


def check_need(need: Need, today: date) -> None:
    """Raise InvalidRequest for an unknown category, a date in the past, a window out of
    order, an absurd length or over-long text."""
    if need.category not in BY_CODE:
        raise InvalidRequest(_l("Choose a kind of help."))
    if need.needed_on is None and not need.flexible:
        raise InvalidRequest(_l("Choose a date, or say the date is flexible."))
    if need.needed_on is not None and need.needed_on < today:
        raise InvalidRequest(_l("The date cannot be in the past."))
    if need.window_end is not None and need.window_start is None:
        raise InvalidRequest(_l("Enter the earliest time too, or leave both times empty."))
    if need.window_start and need.window_end and need.window_end <= need.window_start:
        raise InvalidRequest(_l("The latest time must be after the earliest time."))
    if not 1 <= need.estimated_minutes <= MAX_REQUEST_MINUTES:
        raise InvalidRequest(
            _l(
                "Estimate between %(min)s minute and %(max)s hours.",
                min=1,
                max=MAX_REQUEST_MINUTES // 60,
            )
        )
    if need.urgency not in tuple(Urgency):
        raise InvalidRequest(_l("Choose how urgent it is."))
    if len(need.building) > 20 or len(need.unit) > 20 or len(need.private_notes) > 500:
        raise InvalidRequest(_l("Some of the text is too long."))


def new_request(
    need: Need, *, requester: User, by: User, idempotency_key: str, today: date | None = None
) -> AidRequest:
    """Check who acts and what is asked, and add the (open) request. Used by post_request and
    ask_for_offer. Raises NotAllowed, InvalidRequest, AlreadySubmitted."""
    check_may_post_for(by, requester)
    if not requester.is_active_member:
        raise InvalidRequest(_l("This member's account is closed."))
    check_need(need, today or local_today())
    if db.session.scalar(
        select(AidRequest.id).where(AidRequest.idempotency_key == idempotency_key)
    ):
        raise AlreadySubmitted()
    request = AidRequest(
        requester_id=requester.id,
        entered_by_id=by.id,
        on_behalf_of_id=None if by.id == requester.id else requester.id,
        community_id=requester.community_id,
        idempotency_key=idempotency_key,
        status=RequestStatus.OPEN,
        **need.__dict__,
    )
    add_once(request, AlreadySubmitted)  # the same form sent twice at once
    return request


def post_request(
    need: Need, *, requester: User, by: User, idempotency_key: str, today: date | None = None
) -> AidRequest:
    """Post a need for ``requester`` (by them, family allowed to book, or their coordinator).

    Sends request_posted. Raises NotAllowed (403), InvalidRequest (400), AlreadySubmitted (409).
    """
    request = new_request(
        need, requester=requester, by=by, idempotency_key=idempotency_key, today=today
    )
    db.session.flush()
    request_posted.send(request)
    acted_for(by, requester, "request_posted", target=f"aid_request:{request.id}")
    return request


# --- taking, approving, declining, cancelling -----------------------------------------


def take_request(request: AidRequest, *, volunteer: User) -> AidRequest:
    """The volunteer takes an open request; it waits for the requester's side to approve.

    Sends request_taken. Raises NotAllowed (not a volunteer, their own request, another
    street) and AlreadySettled (409) when someone else took it first.
    """
    if not volunteer.is_volunteer:
        raise NotAllowed(_l("Only volunteers can take a request."))
    if volunteer.id == request.requester_id:
        raise NotAllowed(_l("You cannot take your own request."))
    if not in_street(volunteer, request.community):
        raise NotAllowed(_l("This request is in another street."))
    now = utcnow()
    # One conditional UPDATE: of two volunteers taking at once, only one matches.
    taken = db.session.execute(
        update(AidRequest)
        .where(AidRequest.id == request.id, AidRequest.status == RequestStatus.OPEN)
        .values(status=RequestStatus.TAKEN, volunteer_id=volunteer.id, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(request)
    if taken.rowcount != 1:
        raise AlreadySettled(_l("Someone else has already taken this request."))
    request_taken.send(request)
    return request


def approve_take(
    request: AidRequest,
    *,
    by: User,
    scheduled_date: date | None = None,
    scheduled_time: time | None = None,
    today: date | None = None,
) -> AidRequest:
    """Approve the volunteer's take and schedule the visit (see may_approve for who).

    The visit is on ``scheduled_date`` (else the date needed) at ``scheduled_time`` (else
    the window's start). Raises NotAllowed, AlreadySettled (not waiting for approval),
    InvalidRequest (no date, or a date in the past).
    """
    if request.status != RequestStatus.TAKEN:
        raise AlreadySettled(_l("This request is not waiting for approval."))
    if not may_approve(by, request):
        raise NotAllowed(
            _l("Only the person asking for help, their family or a coordinator can approve.")
        )
    day = scheduled_date or request.needed_on
    if day is None:
        raise InvalidRequest(_l("Choose the date of the visit."))
    if day < (today or local_today()):
        raise InvalidRequest(_l("The date cannot be in the past."))
    volunteer, requester = request.volunteer, request.requester
    assert volunteer is not None
    # The request is the requester's side's agreement: they posted it (or asked for the
    # offer) and, for a take, approve it now.
    for_requester = on_requester_side(by, requester)
    acting_for = requester if for_requester else volunteer
    visit = schedule_agreed_visit(
        volunteer=volunteer,
        recipient=requester,
        category=request.category,
        scheduled_date=day,
        scheduled_time=scheduled_time or request.window_start,
        by=by,
        on_behalf_of=None if by.id in (volunteer.id, requester.id) else acting_for,
        note=f"aid request #{request.id}",
    )
    request.visit_id = visit.id
    request.status = RequestStatus.SCHEDULED
    request.approved_by_id = by.id
    request.approved_at = utcnow()
    db.session.flush()
    acted_for(
        by, acting_for, "request_approved", target=f"aid_request:{request.id}", visit=visit.id
    )
    return request


def decline_take(request: AidRequest, *, by: User) -> AidRequest:
    """Put a taken request back on the open list: the approver says no, or the volunteer
    withdraws. A request that came from an offer becomes an ordinary open request.

    Raises AlreadySettled (not taken) and NotAllowed.
    """
    if request.status != RequestStatus.TAKEN:
        raise AlreadySettled(_l("This request is not waiting for approval."))
    if not (by.id == request.volunteer_id or may_approve(by, request)):
        raise NotAllowed()
    request.status = RequestStatus.OPEN
    request.volunteer_id = None
    request.taken_at = None
    request.offer_id = None
    request.flagged_at = None
    db.session.flush()
    acted_for(by, request.requester, "request_declined", target=f"aid_request:{request.id}")
    return request


def cancel_request(request: AidRequest, *, by: User) -> AidRequest:
    """The requester's side withdraws a request (who did it is kept).

    A scheduled request's visit is cancelled with it, through scheduling.cancel_visit,
    so the volunteer's rounds no longer show it; a visit already called off on its own
    page only leaves the request to cancel. Raises NotAllowed, AlreadySettled (done or
    cancelled), InvalidVisit (the visit has started or is finished).
    """
    if not on_requester_side(by, request.requester):
        raise NotAllowed(
            _l("Only the person asking for help, their family or a coordinator can cancel.")
        )
    if request.status not in ACTIVE_STATUSES:
        raise AlreadySettled(_l("This request can no longer be cancelled."))
    if request.status == RequestStatus.SCHEDULED:
        visit = db.session.get(Visit, request.visit_id)
        if visit is not None and visit.status != VisitStatus.CANCELLED:
            cancel_visit(visit, by=by, reason=f"aid request #{request.id} cancelled")
    request.status = RequestStatus.CANCELLED
    request.cancelled_by_id = by.id
    request.cancelled_at = utcnow()
    db.session.flush()
    acted_for(by, request.requester, "request_cancelled", target=f"aid_request:{request.id}")
    return request


def flag_unclaimed(
    now: datetime,
    *,
    hours: int,
    urgent_hours: int,
) -> int:
    """Flag open requests nobody took: older than ``hours`` (urgent: ``urgent_hours``).

    ``now`` is naive UTC like created_at. Returns how many were newly flagged.
    """
    flagged = 0
    for urgency, limit in ((Urgency.NORMAL, hours), (Urgency.URGENT, urgent_hours)):
        result = db.session.execute(
            update(AidRequest)
            .where(
                AidRequest.status == RequestStatus.OPEN,
                AidRequest.flagged_at.is_(None),
                AidRequest.urgency == urgency,
                AidRequest.created_at <= now - timedelta(hours=limit),
            )
            .values(flagged_at=now)
            .execution_options(synchronize_session=False)
        )
        flagged += result.rowcount
    db.session.expire_all()
    return flagged


def mark_done_when_confirmed(record, **_facts) -> None:
    """visit_confirmed receiver: the request whose scheduled visit logged ``record`` is done."""
    visit_id = db.session.scalar(select(Visit.id).where(Visit.service_record_id == record.id))
    if visit_id is None:
        return
    request = db.session.scalar(select(AidRequest).where(AidRequest.visit_id == visit_id))
    if request is not None and request.status == RequestStatus.SCHEDULED:
        request.status = RequestStatus.DONE
        db.session.flush()


def connect_request_receivers() -> None:
    """Subscribe to the visit signals (idempotent: blinker keeps one of each)."""
    visit_confirmed.connect(mark_done_when_confirmed)
