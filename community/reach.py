"""The one rule of reach: whose people and records a member may see and act on.

- A member reaches their own records.
- Family reach a linked elder's, with the permissions the elder consented to
  (``may_book``, ``may_confirm``, ``may_receive_gifts``).
- A coordinator reaches the people of their own community; a street admin the
  people of their own street. Where a record has two sides (a provider serving
  several communities, a volunteer of one community visiting an elder of
  another), a coordinator reaches only their own people's side of it.
- Nothing crosses a street: looking a member up, visits, gifts and family
  links stay inside the actor's street (until an exchange between streets exists).

Services ask these functions (and use the SQL conditions for lists); views and
templates never decide reach themselves.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, bindparam, false, or_, select
from sqlalchemy.orm import joinedload

from community.errors import MemberNotFound
from community.models import Community, FamilyLink, LinkStatus, Role, User, normalise_phone
from extensions import db

FAMILY_PERMISSIONS = ("may_book", "may_confirm", "may_receive_gifts")


# --- streets ---------------------------------------------------------------------------


def street_id_of(member: User) -> int:
    """The street whose community ``member`` belongs to."""
    return member.community.street_id


def same_street(a: User, b: User) -> bool:
    """True if the two members live in communities of the same street."""
    return a.community_id == b.community_id or street_id_of(a) == street_id_of(b)


def street_members(actor: User) -> Select:
    """A query of the members of ``actor``'s street (for looking people up)."""
    return (
        select(User)
        .join(Community, Community.id == User.community_id)
        .where(Community.street_id == street_id_of(actor))
    )


def find_in_street(actor: User, text: str) -> User:
    """The active member of ``actor``'s street named by a phone number, a username or a
    member number (#12).

    Raises MemberNotFound, also for a member of another street (whose existence is
    not ``actor``'s to learn).
    """
    text = (text or "").strip()
    if not text:
        raise MemberNotFound(text)
    member = db.session.scalar(street_members(actor).where(_names(text)).limit(1))
    if member is None or not member.is_active_member:
        raise MemberNotFound(text)
    return member


def _names(text: str, *, display_name: bool = False) -> ColumnElement[bool]:
    """SQL: the member is named by ``text`` (phone, username, member number, and if asked
    their display name)."""
    number = text.lstrip("#")
    conditions = [User.phone == normalise_phone(text), User.username == text]
    if number.isdigit() and len(number) < 10:
        conditions.append(User.id == int(number))
    if display_name:
        conditions.append(User.display_name == text)
    return or_(*conditions)


def street_member_ids_named(actor: User, text: str, *, limit: int = 50) -> list[int]:
    """The ids of the members of ``actor``'s street named by ``text``: a phone number, a
    username, a member number (#12) or a display name (which several may share).

    Unlike ``find_in_street`` it also names members no longer active (the audit log
    asks about staff who have left). Empty for blank text or nobody of this street.
    """
    text = (text or "").strip()
    if not text:
        return []
    named = street_members(actor).where(_names(text, display_name=True))
    return list(db.session.scalars(named.with_only_columns(User.id).order_by(User.id).limit(limit)))


def street_condition(actor: User, street_id_column) -> ColumnElement[bool]:
    """SQL: the row (by ``street_id_column``) belongs to the street ``actor`` administers;
    false for anyone but a street admin (a coordinator reads their community's records
    through ``community_condition``, never a whole street's)."""
    if actor.role != Role.STREET_ADMIN:
        return false()
    return street_id_column == street_id_of(actor)


# --- coordinators and street admins ----------------------------------------------------------


def coordinates_community(actor: User, community: Community) -> bool:
    """True if ``actor`` coordinates ``community`` or is a street admin of its street."""
    if actor.role == Role.STREET_ADMIN:
        return actor.community.street_id == community.street_id
    return actor.role == Role.COORDINATOR and actor.community_id == community.id


def coordinates(actor: User, member: User) -> bool:
    """True if ``actor`` coordinates ``member``'s community (see coordinates_community)."""
    if actor.role not in (Role.COORDINATOR, Role.STREET_ADMIN):
        return False  # without reading the member's community
    if actor.role == Role.COORDINATOR:
        return actor.community_id == member.community_id
    return coordinates_community(actor, member.community)


def manages_account(actor: User, member: User) -> bool:
    """True if ``actor`` may reset ``member``'s password or suspend and reinstate them:
    a coordinator of the member's community for an ordinary member, a street admin of
    their street for a member or a coordinator; never their own account, and never a
    street admin's (staff accounts are in the hands of those above them)."""
    if actor.id == member.id or not coordinates(actor, member):
        return False
    if member.role == Role.MEMBER:
        return True
    return member.role == Role.COORDINATOR and actor.role == Role.STREET_ADMIN


def appoints_in(actor: User, member: User) -> bool:
    """True if ``actor`` may make ``member`` a coordinator or an ordinary member again:
    a street admin of the member's street, for anyone but themself and street admins."""
    return (
        actor.role == Role.STREET_ADMIN
        and actor.id != member.id
        and member.role in (Role.MEMBER, Role.COORDINATOR)
        and coordinates(actor, member)
    )


def coordinated_community_ids(actor: User) -> Select | None:
    """A query of the ids of the communities ``actor`` coordinates; None for a member."""
    if actor.role == Role.STREET_ADMIN:
        return select(Community.id).where(Community.street_id == street_id_of(actor))
    if actor.role == Role.COORDINATOR:
        return select(Community.id).where(Community.id == actor.community_id)
    return None


def coordinated_members(actor: User) -> Select:
    """A query of the members of the communities ``actor`` coordinates (none for a member)."""
    communities = coordinated_community_ids(actor)
    if communities is None:
        return select(User).where(false())
    return select(User).where(User.community_id.in_(communities))


def community_condition(actor: User, community_id_column) -> ColumnElement[bool]:
    """SQL: the row's community (``community_id_column``) is one ``actor`` coordinates."""
    communities = coordinated_community_ids(actor)
    if communities is None:
        return false()
    if actor.role == Role.COORDINATOR:
        return community_id_column == actor.community_id
    return community_id_column.in_(communities)


# --- the same rules for statements built once --------------------------------------------

# The communities a member coordinates, with the member left as bind parameters (see
# reach_params): a coordinator's own community, or every community of a street admin's
# street; none for a member (a comparison with NULL is never true).
COORDINATED_COMMUNITY_IDS = select(Community.id).where(
    or_(
        Community.id == bindparam("coordinated_community_id"),
        Community.street_id == bindparam("coordinated_street_id"),
    )
)
COORDINATED_MEMBER_IDS = select(User.id).where(User.community_id.in_(COORDINATED_COMMUNITY_IDS))


def reach_params(actor: User) -> dict[str, int | None]:
    """The bind values for statements built once with COORDINATED_COMMUNITY_IDS or
    member_condition_param: who ``actor`` is and what they coordinate."""
    community_id = street_id = None
    if actor.role == Role.STREET_ADMIN:
        street_id = street_id_of(actor)
    elif actor.role == Role.COORDINATOR:
        community_id = actor.community_id
    return {
        "actor_id": actor.id,
        "coordinated_community_id": community_id,
        "coordinated_street_id": street_id,
    }


def member_condition_param(member_id_column, permission: str) -> ColumnElement[bool]:
    """``member_condition`` for a statement built once, with the actor left as bind
    parameters (reach_params): the member is the actor, an elder whose active link grants
    ``permission``, or a member of a community the actor coordinates.

    Raises ValueError for an unknown permission."""
    if permission not in FAMILY_PERMISSIONS:
        raise ValueError(permission)
    return or_(
        member_id_column == bindparam("actor_id"),
        member_id_column.in_(
            select(FamilyLink.elder_id).where(
                FamilyLink.relative_id == bindparam("actor_id"),
                FamilyLink.status == LinkStatus.ACTIVE,
                getattr(FamilyLink, permission).is_(True),
            )
        ),
        member_id_column.in_(COORDINATED_MEMBER_IDS),
    )


# --- family -----------------------------------------------------------------------------


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
    """The ids of the elders ``relative`` may act for with ``permission`` (one query).

    Raises ValueError for an unknown permission."""
    if permission not in FAMILY_PERMISSIONS:
        raise ValueError(permission)
    return set(db.session.scalars(_ELDER_IDS[permission], {"relative_id": relative.id}))


# Built once, one per permission: many pages ask it for the member reading them.
_ELDER_IDS = {
    permission: select(FamilyLink.elder_id).where(
        FamilyLink.relative_id == bindparam("relative_id"),
        FamilyLink.status == LinkStatus.ACTIVE,
        getattr(FamilyLink, permission).is_(True),
    )
    for permission in FAMILY_PERMISSIONS
}


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


def active_elder_links(relative: User) -> list[FamilyLink]:
    """The active links by which ``relative`` acts for an elder, each with its elder and what
    the elder consented to (one query; oldest link first)."""
    return list(db.session.scalars(_ACTIVE_ELDER_LINKS, {"relative_id": relative.id}))


# Built once: every member's home asks it.
_ACTIVE_ELDER_LINKS = (
    select(FamilyLink)
    .where(
        FamilyLink.relative_id == bindparam("relative_id"),
        FamilyLink.status == LinkStatus.ACTIVE,
    )
    .order_by(FamilyLink.id)
    .options(joinedload(FamilyLink.elder))
)


# --- the rule ---------------------------------------------------------------------------


def reaches(actor: User, member: User, permission: str) -> bool:
    """True if ``actor`` may act for ``member`` with ``permission``: it is themself,
    family whose link grants it, or a coordinator of ``member``'s community."""
    return (
        actor.id == member.id or coordinates(actor, member) or family_may(actor, member, permission)
    )


def members_reached(actor: User, members, permission: str) -> set[int]:
    """The ids of ``members`` that ``actor`` reaches with ``permission`` (as ``reaches``),
    with one family query however many there are (none for ``actor`` alone)."""
    members = list(members)
    family: set[int] = set()
    if any(member.id != actor.id for member in members):
        family = family_elder_ids(actor, permission)
    return {
        member.id
        for member in members
        if member.id == actor.id or member.id in family or coordinates(actor, member)
    }


def member_condition(actor: User, member_id_column, permission: str) -> ColumnElement[bool]:
    """SQL: the member in ``member_id_column`` is one ``actor`` reaches with ``permission``
    (themself, family whose link grants it, or a member of a community they coordinate)."""
    granting = _links_granting(actor, permission)
    conditions = [
        member_id_column == actor.id,
        member_id_column.in_(select(FamilyLink.elder_id).where(*granting)),
    ]
    communities = coordinated_community_ids(actor)
    if communities is not None:
        conditions.append(
            member_id_column.in_(select(User.id).where(User.community_id.in_(communities)))
        )
    return or_(*conditions)


# --- the staff side of a record (added for the marketplace) ----------------------------------


def coordinated_member_condition(actor: User, member_id_column) -> ColumnElement[bool]:
    """SQL: the member in ``member_id_column`` belongs to a community ``actor`` coordinates
    (a street admin: one of their street); false for a member.

    Unlike ``member_condition``, neither ``actor`` themself nor their family count:
    this is the staff's reach alone (the queues a coordinator works through).
    """
    communities = coordinated_community_ids(actor)
    if communities is None:
        return false()
    return member_id_column.in_(select(User.id).where(User.community_id.in_(communities)))


# --- the time bank and family links (issue 9) -----------------------------------------------
# Two-sided records (a volunteer of one community visiting an elder of another): everyone
# on either side may see the record; only the elder's side acts on it.

CONTACT_PERMISSIONS = ("may_book", "may_confirm")  # family who act for the elder


def in_street(actor: User, community: Community) -> bool:
    """True if ``community`` belongs to ``actor``'s street."""
    return community.street_id == street_id_of(actor)


def in_street_condition(actor: User, community_id_column) -> ColumnElement[bool]:
    """SQL: the row's community (``community_id_column``) is in ``actor``'s street
    (for anyone: what a volunteer may browse; ``street_condition`` is the admin's reach)."""
    street = select(Community.id).where(Community.street_id == street_id_of(actor))
    return community_id_column.in_(street)


def coordinated_member_ids(actor: User) -> Select:
    """A query of the ids of the members ``actor`` coordinates (none for a member)."""
    return coordinated_members(actor).with_only_columns(User.id)


def reaches_any(actor: User, member: User, permissions: tuple[str, ...]) -> bool:
    """True if ``actor`` is ``member``, coordinates them, or holds an active family link to
    them granting any of ``permissions`` (one query for the link at most)."""
    if actor.id == member.id or coordinates(actor, member):
        return True
    if any(permission not in FAMILY_PERMISSIONS for permission in permissions):
        raise ValueError(permissions)
    link = active_link(member, actor)
    return link is not None and any(getattr(link, p) for p in permissions)


def agrees_for(actor: User, member: User) -> bool:
    """True if ``actor`` may agree to a visit with ``member`` on their side: ``member``
    themself, family allowed to book for them, or a coordinator of their community.

    A volunteer does not agree for the person they visit: the request flow asks that side.
    """
    return reaches(actor, member, "may_book")


def may_see_contact(actor: User, member: User) -> bool:
    """True if ``actor``'s work with ``member`` needs their phone number: ``member``
    themself, family acting for them, or their coordinators. (A volunteer with a visit
    planned to them is the time bank's to add: timebank.visit_access.recipient_phone_for.)"""
    return reaches_any(actor, member, CONTACT_PERMISSIONS)


def street_communities(actor: User) -> list[Community]:
    """The communities of ``actor``'s street, by name (for choosing one to look in)."""
    return list(
        db.session.scalars(
            select(Community)
            .where(Community.street_id == street_id_of(actor))
            .order_by(Community.name, Community.id)
        )
    )
