"""Family link requests: a relative asks, the elder (or a coordinator who checked
in person) consents — perhaps to less than was asked — or declines; either side
or a coordinator can end a link.

Consent itself goes through community.services.link_family, so there is one
place that makes a link active.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.errors import CommunityError, InvalidMember, NotPermitted
from community.models import FamilyLink, LinkStatus, User, utcnow
from community.notifications import notify
from community.reach import FAMILY_PERMISSIONS, coordinated_member_ids, coordinates, same_street
from community.services import link_family, revoke_family_link
from extensions import db


class LinkNotFound(CommunityError):
    http_status = 404

    def __init__(self) -> None:
        super().__init__(_l("This family link does not exist."))


class LinkAlreadyAnswered(CommunityError):
    http_status = 409

    def __init__(self, message=None) -> None:
        super().__init__(
            message if message is not None else _l("This request has already been answered.")
        )


def _family_path(link: FamilyLink) -> str:
    return f"/family/requests/{link.id}"


def request_family_link(
    *,
    by: User,
    elder: User,
    relation: str = "",
    may_book: bool = True,
    may_confirm: bool = True,
    may_receive_gifts: bool = True,
) -> FamilyLink:
    """``by`` asks to be linked to ``elder`` as family, with the rights they ask for.

    The link waits (status requested) for the elder's or a coordinator's answer;
    the elder is notified. Raises InvalidMember (self, closed account, nothing
    asked), NotPermitted (another street: family links never cross one) and
    LinkAlreadyAnswered (already linked or already asked).
    """
    if elder.id == by.id:
        raise InvalidMember(_l("A member cannot be linked to themself."))
    if not same_street(by, elder):
        raise NotPermitted(_l("Family links are made only between members of one street."))
    if not elder.is_active_member:
        raise InvalidMember(_l("This member's account is closed."))
    if not (may_book or may_confirm or may_receive_gifts):
        raise InvalidMember(_l("Choose at least one thing you would do for them."))
    link = db.session.scalar(
        select(FamilyLink).where(FamilyLink.elder_id == elder.id, FamilyLink.relative_id == by.id)
    )
    if link is not None and link.status == LinkStatus.ACTIVE:
        raise LinkAlreadyAnswered(_l("You are already linked to this member."))
    if link is not None and link.status == LinkStatus.REQUESTED:
        raise LinkAlreadyAnswered(_l("You have already asked; the answer is still awaited."))
    if link is None:
        link = FamilyLink(elder_id=elder.id, relative_id=by.id)
        db.session.add(link)
    link.relation = (relation or "").strip()[:20]
    link.status = LinkStatus.REQUESTED
    link.may_book, link.may_confirm = may_book, may_confirm
    link.may_receive_gifts = may_receive_gifts
    link.consented_by_id = link.ended_by_id = link.revoked_at = None
    link.created_at = utcnow()
    db.session.flush()
    notify(
        elder,
        "link_requested",
        link=_family_path(link),
        relative=by.display_name,
        elder=elder.display_name,
        relation=link.relation or "—",
    )
    return link


def may_answer(actor: User, link: FamilyLink) -> bool:
    """True if ``actor`` may consent to or decline ``link``: the elder, or their coordinator."""
    return actor.id == link.elder_id or coordinates(actor, link.elder)


def _pending(link: FamilyLink, by: User) -> None:
    if not may_answer(by, link):
        raise NotPermitted(_l("Only the elder or a coordinator can answer a family link request."))
    if link.status != LinkStatus.REQUESTED:
        raise LinkAlreadyAnswered()


def consent_family_link(
    link: FamilyLink,
    *,
    by: User,
    may_book: bool,
    may_confirm: bool,
    may_receive_gifts: bool,
    checked_in_person: bool = False,
) -> FamilyLink:
    """Agree to a requested link, granting what was asked or less (never more).

    A coordinator consents for the elder only after checking with them in
    person (``checked_in_person``). Records who consented and notifies the
    relative. Raises NotPermitted, LinkAlreadyAnswered and InvalidMember (a
    right that was not asked for).
    """
    _pending(link, by)
    if by.id != link.elder_id and not checked_in_person:
        raise NotPermitted(
            _l("Check with the elder in person first; only then can you agree for them.")
        )
    granted = {
        "may_book": may_book,
        "may_confirm": may_confirm,
        "may_receive_gifts": may_receive_gifts,
    }
    if any(granted[right] and not getattr(link, right) for right in FAMILY_PERMISSIONS):
        raise InvalidMember(_l("A consent can only give what the relative asked for, or less."))
    link = link_family(
        by=by, elder=link.elder, relative=link.relative, relation=link.relation, **granted
    )
    notify(
        link.relative,
        "link_answered",
        link="/family",
        elder=link.elder.display_name,
        answer="yes",
    )
    return link


def decline_family_link(link: FamilyLink, *, by: User) -> FamilyLink:
    """Say no to a requested link; record who declined and tell the relative.

    Raises NotPermitted and LinkAlreadyAnswered.
    """
    _pending(link, by)
    revoke_family_link(link, by=by)
    link.ended_by_id = by.id
    db.session.flush()
    notify(
        link.relative,
        "link_answered",
        link="/family",
        elder=link.elder.display_name,
        answer="no",
    )
    return link


def end_family_link(link: FamilyLink, *, by: User) -> FamilyLink:
    """End an active link or withdraw a request: the elder, the relative or a coordinator.

    Raises NotPermitted and LinkAlreadyAnswered (already ended).
    """
    if link.status == LinkStatus.REVOKED:
        raise LinkAlreadyAnswered(_l("This family link has already ended."))
    revoke_family_link(link, by=by)
    link.ended_by_id = by.id
    db.session.flush()
    return link


def link_for(actor: User, link_id: int) -> FamilyLink:
    """The link ``link_id`` if ``actor`` is one of its two members or coordinates the elder.

    Raises LinkNotFound and NotPermitted.
    """
    link = db.session.get(FamilyLink, link_id)
    if link is None:
        raise LinkNotFound()
    if actor.id not in (link.elder_id, link.relative_id) and not coordinates(actor, link.elder):
        raise NotPermitted(_l("This family link is not yours to see."))
    return link


@dataclass(frozen=True)
class FamilyOverview:
    """A member's family links in both directions, requests included."""

    acting_for_me: list[FamilyLink]  # active: relatives who may act for this member
    i_act_for: list[FamilyLink]  # active: elders this member may act for
    to_answer: list[FamilyLink]  # requests to this member, waiting for their answer
    asked: list[FamilyLink]  # this member's own requests, waiting


def family_overview(member: User) -> FamilyOverview:
    """Every live (requested or active) family link that involves ``member``."""
    links = db.session.scalars(
        select(FamilyLink)
        .where(
            (FamilyLink.elder_id == member.id) | (FamilyLink.relative_id == member.id),
            FamilyLink.status != LinkStatus.REVOKED,
        )
        .order_by(FamilyLink.created_at, FamilyLink.id)
    )
    sorted_links: dict[tuple[bool, bool], list[FamilyLink]] = {
        (e, a): [] for e in (True, False) for a in (True, False)
    }
    for link in links:
        sorted_links[(link.elder_id == member.id, link.status == LinkStatus.ACTIVE)].append(link)
    return FamilyOverview(
        acting_for_me=sorted_links[(True, True)],
        i_act_for=sorted_links[(False, True)],
        to_answer=sorted_links[(True, False)],
        asked=sorted_links[(False, False)],
    )


def pending_link_requests(coordinator: User, limit: int = 100) -> list[FamilyLink]:
    """Link requests waiting in the communities ``coordinator`` looks after, oldest first.

    Raises NotPermitted unless ``coordinator`` is a coordinator or street admin.
    """
    if not coordinator.is_coordinator:
        raise NotPermitted()
    elders = coordinated_member_ids(coordinator)
    return list(
        db.session.scalars(
            select(FamilyLink)
            .where(FamilyLink.status == LinkStatus.REQUESTED, FamilyLink.elder_id.in_(elders))
            .order_by(FamilyLink.created_at, FamilyLink.id)
            .limit(limit)
        )
    )
