"""Offers: what volunteers can do, where and when, and residents asking for them.

Asking for an offer (ask_for_offer) makes a request already matched to the
offer's volunteer (status 'taken', offer_id set): the resident's side agreed by
asking, so the volunteer accepts it with requests.approve_take (which schedules
the visit) or turns it down with requests.decline_take (which puts the need on
the open list for any volunteer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User, utcnow
from community.reach import in_street, in_street_condition
from extensions import db
from timebank.aid_models import WEEKDAYS, AidRequest, Offer, RequestStatus
from timebank.categories import BY_CODE
from timebank.errors import InvalidRequest, NotAllowed, NotFound
from timebank.requests import Need, new_request
from timebank.signals import request_posted
from timebank.staff_audit import acted_for


@dataclass(frozen=True)
class OfferDetails:
    """What an offer says: the kind of help, a description, areas, weekdays and hours."""

    category: str
    description: str = ""
    areas: str = ""
    weekdays: tuple[int, ...] = ()
    available_from: time | None = None
    available_until: time | None = None


def _weekday_mask(days: tuple[int, ...]) -> int:
    if any(day not in WEEKDAYS for day in days):
        raise InvalidRequest(_l("Choose days of the week."))
    return sum(1 << day for day in set(days))


def _check_details(details: OfferDetails) -> None:
    if details.category not in BY_CODE:
        raise InvalidRequest(_l("Choose a kind of help."))
    if len(details.description) > 500 or len(details.areas) > 500:
        raise InvalidRequest(_l("Some of the text is too long."))
    start, end = details.available_from, details.available_until
    if start is not None and end is not None and end <= start:
        raise InvalidRequest(_l("The latest time must be after the earliest time."))


def _apply(offer: Offer, details: OfferDetails) -> None:
    offer.category = details.category
    offer.description = details.description
    offer.areas = details.areas
    offer.weekdays = _weekday_mask(details.weekdays)
    offer.available_from = details.available_from
    offer.available_until = details.available_until


def check_may_offer(actor: User) -> None:
    """Raise NotAllowed unless ``actor`` is an active volunteer (who may offer help)."""
    if not actor.is_volunteer or not actor.is_active_member:
        raise NotAllowed(_l("Only volunteers can offer help."))


def publish_offer(details: OfferDetails, *, by: User) -> Offer:
    """A volunteer publishes what they can do. Raises NotAllowed (not a volunteer), InvalidRequest."""
    check_may_offer(by)
    _check_details(details)
    offer = Offer(volunteer_id=by.id, active=True)
    _apply(offer, details)
    db.session.add(offer)
    db.session.flush()
    return offer


def _check_owner(offer: Offer, by: User) -> None:
    if offer.volunteer_id != by.id:
        raise NotAllowed(_l("Only the volunteer who made this offer can change it."))


def update_offer(offer: Offer, details: OfferDetails, *, by: User) -> Offer:
    """Change an offer. Raises NotAllowed (not its volunteer), InvalidRequest."""
    _check_owner(offer, by)
    _check_details(details)
    _apply(offer, details)
    db.session.flush()
    return offer


def set_offer_active(offer: Offer, *, by: User, active: bool) -> Offer:
    """Pause (``active=False``) or resume an offer. Raises NotAllowed (not its volunteer)."""
    _check_owner(offer, by)
    offer.active = active
    db.session.flush()
    return offer


def offer_for(actor: User, offer_id: int) -> Offer:
    """The offer ``offer_id`` if ``actor`` may see it: its volunteer, or anyone in the same
    street while it is active. Raises NotFound, NotAllowed."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(_l("This offer does not exist."))
    if offer.volunteer_id == actor.id:
        return offer
    if not offer.active:
        raise NotFound(_l("This offer is paused."))
    if not in_street(actor, offer.volunteer.community):
        raise NotAllowed(_l("This offer is in another street."))
    return offer


def own_offer_for(actor: User, offer_id: int) -> Offer:
    """The offer ``offer_id`` if it is ``actor``'s own, to change. Raises NotFound, NotAllowed."""
    offer = offer_for(actor, offer_id)
    _check_owner(offer, actor)
    return offer


def list_offers(
    viewer: User, *, category: str | None = None, community_id: int | None = None
) -> list[Offer]:
    """Active offers of active volunteers in the viewer's street, by category then newest."""
    query = (
        select(Offer)
        .join(User, User.id == Offer.volunteer_id)
        .where(
            Offer.active.is_(True),
            User.is_active_member.is_(True),
            in_street_condition(viewer, User.community_id),
        )
    )
    if category:
        query = query.where(Offer.category == category)
    if community_id:
        query = query.where(User.community_id == community_id)
    return list(db.session.scalars(query.order_by(Offer.category, Offer.id.desc()).limit(200)))


def offers_of(volunteer: User) -> list[Offer]:
    """The volunteer's own offers, active or paused."""
    return list(
        db.session.scalars(
            select(Offer).where(Offer.volunteer_id == volunteer.id).order_by(Offer.id.desc())
        )
    )


def check_may_ask(offer: Offer, requester: User) -> None:
    """Raise NotFound for a paused offer, NotAllowed for one's own or another street's offer."""
    if not offer.active:
        raise NotFound(_l("This offer is paused."))
    if offer.volunteer_id == requester.id:
        raise NotAllowed(_l("You cannot ask for your own offer."))
    if not in_street(requester, offer.volunteer.community):
        raise NotAllowed(_l("This offer is in another street."))


def ask_for_offer(
    offer: Offer,
    need: Need,
    *,
    requester: User,
    by: User,
    idempotency_key: str,
    today: date | None = None,
) -> AidRequest:
    """Ask the offer's volunteer for help: a request already matched to them (status 'taken').

    The volunteer then accepts (requests.approve_take) or declines it. The kind of help is
    the offer's. Sends request_posted (receivers see ``volunteer_id`` set: it is for that
    volunteer only). Raises NotFound (paused offer), NotAllowed (who acts; asking yourself;
    another street), InvalidRequest, AlreadySubmitted.
    """
    check_may_ask(offer, requester)
    if need.category != offer.category:
        raise InvalidRequest(_l("This offer is for another kind of help."))
    request = new_request(
        need, requester=requester, by=by, idempotency_key=idempotency_key, today=today
    )
    request.status = RequestStatus.TAKEN
    request.volunteer_id = offer.volunteer_id
    request.offer_id = offer.id
    request.taken_at = utcnow()
    db.session.flush()
    request_posted.send(request)
    acted_for(by, requester, "offer_asked", target=f"aid_request:{request.id}", offer=offer.id)
    return request
