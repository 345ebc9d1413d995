"""Who may act for whom. Pure functions of the people involved."""

from __future__ import annotations

from sqlalchemy import select

from community.models import Community, FamilyLink, LinkStatus, Role, User
from extensions import db

FAMILY_PERMISSIONS = ("may_book", "may_confirm", "may_receive_gifts")


def coordinates_community(actor: User, community: Community) -> bool:
    """True if ``actor`` coordinates ``community`` or is a street admin of its street."""
    if actor.role == Role.STREET_ADMIN:
        return actor.community.street_id == community.street_id
    return actor.role == Role.COORDINATOR and actor.community_id == community.id


def coordinates(actor: User, member: User) -> bool:
    """True if ``actor`` coordinates ``member``'s community (see coordinates_community)."""
    if actor.role not in (Role.COORDINATOR, Role.STREET_ADMIN):
        return False  # without reading the member's community
    return coordinates_community(actor, member.community)


def active_link(elder: User, relative: User) -> FamilyLink | None:
    """The active family link from ``relative`` to ``elder``, if any."""
    return db.session.scalar(
        select(FamilyLink).where(
            FamilyLink.elder_id == elder.id,
            FamilyLink.relative_id == relative.id,
            FamilyLink.status == LinkStatus.ACTIVE,
        )
    )


def family_may(relative: User, elder: User, permission: str) -> bool:
    """True if ``relative`` holds an active link to ``elder`` granting ``permission``."""
    if permission not in FAMILY_PERMISSIONS:
        raise ValueError(permission)
    link = active_link(elder, relative)
    return link is not None and bool(getattr(link, permission))


def are_family(a: User, b: User) -> bool:
    """True if an active family link joins the two members, in either direction."""
    return active_link(a, b) is not None or active_link(b, a) is not None


def _links_granting(relative: User, permission: str) -> tuple:
    """The conditions for ``relative``'s active links that grant ``permission``.

    Raises ValueError for an unknown permission.
    """
    if permission not in FAMILY_PERMISSIONS:
        raise ValueError(permission)
    return (
        FamilyLink.relative_id == relative.id,
        FamilyLink.status == LinkStatus.ACTIVE,
        getattr(FamilyLink, permission).is_(True),
    )


def family_elder_ids(relative: User, permission: str) -> set[int]:
    """The ids of the elders ``relative`` may act for with ``permission`` (one query)."""
    granting = _links_granting(relative, permission)
    return set(db.session.scalars(select(FamilyLink.elder_id).where(*granting)))


def linked_elders(relative: User, permission: str) -> list[User]:
    """The elders ``relative`` may act for with ``permission``."""
    granting = _links_granting(relative, permission)
    return list(
        db.session.scalars(
            select(User)
            .join(FamilyLink, FamilyLink.elder_id == User.id)
            .where(*granting)
            .order_by(User.display_name)
        )
    )
