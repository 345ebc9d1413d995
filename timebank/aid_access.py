"""Who may see and do what with a request for help.

The requester's side is the elder, a family member whose active link allows
booking (``may_book``), and coordinators of the elder's community (street
admins of its street).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from community.models import User
from community.reach import agrees_for, coordinates, family_may, in_street, members_reached
from extensions import db
from timebank.aid_models import AidRequest, RequestStatus
from timebank.errors import NotAllowed, NotFound
from timebank.visit_models import Visit, VisitStatus


def on_requester_side(actor: User, requester: User) -> bool:
    """True if ``actor`` is the requester, family allowed to book for them, or their coordinator."""
    return agrees_for(actor, requester)


def requesters_on_side(actor: User, requesters: Iterable[User]) -> set[int]:
    """The ids of ``requesters`` whose side ``actor`` is on (as in ``on_requester_side``),
    with one family query however many there are (none for ``actor`` alone)."""
    return members_reached(actor, requesters, "may_book")


def check_may_post_for(actor: User, requester: User) -> None:
    """Raise NotAllowed unless ``actor`` may post or ask for help for ``requester``."""
    if on_requester_side(actor, requester):
        return
    if family_may(actor, requester, "may_confirm") or family_may(
        actor, requester, "may_receive_gifts"
    ):
        raise NotAllowed(_l("Your family link does not allow you to ask for help for them."))
    raise NotAllowed(_l("You may only ask for help for yourself or for family who agreed."))


def requester_for(actor: User, requester_id: int | None) -> User:
    """The person ``actor`` posts for: themself, or ``requester_id`` if they may act for them.

    Raises NotFound for an unknown id, NotAllowed when they may not.
    """
    if requester_id is None or requester_id == actor.id:
        return actor
    requester = db.session.get(User, requester_id)
    if requester is None:
        raise NotFound(_l("No member found for “%(who)s”.", who="#" + str(requester_id)))
    check_may_post_for(actor, requester)
    return requester


def may_view_request(actor: User, request: AidRequest) -> bool:
    """The requester's side, its volunteer, whoever posted it, and — while it is open —
    volunteers of the same street (to take it)."""
    if actor.id in (request.entered_by_id, request.volunteer_id):
        return True
    if on_requester_side(actor, request.requester):
        return True
    return (
        request.status == RequestStatus.OPEN
        and actor.is_volunteer
        and in_street(actor, request.community)
    )


# A volunteer reads the notes once the requester's side agreed to them.
AGREED = (RequestStatus.SCHEDULED, RequestStatus.DONE)


def may_see_private_notes(actor: User, request: AidRequest) -> bool:
    """The requester's side (and whoever posted it); its volunteer once that side agreed
    to them: they asked this volunteer (an offer), or approved their take.

    A take waiting for an answer does not show where the key is: a volunteer could
    otherwise take each open request of the street, read it and withdraw.
    """
    if actor.id == request.entered_by_id or on_requester_side(actor, request.requester):
        return True
    return actor.id == request.volunteer_id and (
        request.offer_id is not None or request.status in AGREED
    )


def private_notes_for(actor: User, request: AidRequest) -> str | None:
    """The request's private notes if ``actor`` may read them, else None."""
    return request.private_notes if may_see_private_notes(actor, request) else None


def may_approve(actor: User, request: AidRequest) -> bool:
    """Who approves a take: the requester's side; for a request made by asking for an
    offer, the offer's volunteer (or their coordinator). Never the volunteer's own take."""
    if request.status != RequestStatus.TAKEN or request.volunteer is None:
        return False
    if request.offer_id is not None:
        return actor.id == request.volunteer_id or coordinates(actor, request.volunteer)
    return actor.id != request.volunteer_id and on_requester_side(actor, request.requester)


def may_take(actor: User, request: AidRequest) -> bool:
    return (
        request.status == RequestStatus.OPEN
        and actor.is_volunteer
        and actor.id != request.requester_id
        and in_street(actor, request.community)
    )


def may_cancel(actor: User, request: AidRequest) -> bool:
    """The requester's side, while the request is open or taken, or scheduled with its
    visit not started yet (requests.cancel_request cancels that visit too)."""
    if not on_requester_side(actor, request.requester):
        return False
    if request.status in (RequestStatus.OPEN, RequestStatus.TAKEN):
        return True
    if request.status != RequestStatus.SCHEDULED:
        return False
    visit = db.session.get(Visit, request.visit_id)
    return visit is None or visit.status in (VisitStatus.SCHEDULED, VisitStatus.CANCELLED)


def request_for(actor: User, request_id: int) -> AidRequest:
    """The request ``request_id`` as seen by ``actor``. Raises NotFound, NotAllowed."""
    request = db.session.get(AidRequest, request_id)
    if request is None:
        raise NotFound(_l("This request does not exist."))
    if not may_view_request(actor, request):
        raise NotAllowed(_l("You may not see this request."))
    return request
