"""Members, sign-in and family links: the community rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from community import audit
from community.audit import Action
from community.errors import InvalidMember, MemberNotFound, NotPermitted, PossibleDuplicate
from community.models import Community, FamilyLink, LinkStatus, Role, User, normalise_phone, utcnow
from community.passwords import check_new_password
from community.reach import (
    COORDINATED_COMMUNITY_IDS,
    coordinated_members,
    coordinates,
    coordinates_community,
    reach_params,
    same_street,
)
from community.signals import community_founded, member_joined
from extensions import db

PHONE_RE = re.compile(r"^1\d{10}$")  # mainland mobile numbers
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,39}$")


def _members_coordinated_by(actor: User) -> Select:
    """A query of the members of the communities ``actor`` coordinates. Raises NotPermitted."""
    if not actor.is_coordinator:
        raise NotPermitted()
    return coordinated_members(actor)


NEW_MEMBER_DAYS = timedelta(days=14)  # how far back a coordinator checks new members


@dataclass(frozen=True)
class NewMembers:
    """The newest members who joined since a time, and how many joined in all."""

    shown: list[User]
    total: int


def new_members(actor: User, *, since: datetime, limit: int = 50) -> NewMembers:
    """Members who joined the communities ``actor`` coordinates since ``since`` (UTC), for a
    coordinator to check: the ``limit`` newest, and how many there are. Raises NotPermitted."""
    _members_coordinated_by(actor)  # refuses a member
    params = {**reach_params(actor), "since": since, "limit": limit}
    rows = db.session.execute(_NEW_MEMBERS, params).all()
    return NewMembers(shown=[member for member, _total in rows], total=rows[0][1] if rows else 0)


# Built once: the desk shows it on every request. The total comes in the same query
# (counted over every row that matches, before the limit).
_NEW_MEMBERS = (
    select(User, func.count().over())
    .where(User.community_id.in_(COORDINATED_COMMUNITY_IDS), User.created_at >= bindparam("since"))
    .order_by(User.created_at.desc(), User.id.desc())
    .limit(bindparam("limit"))
)


def search_members(actor: User, query: str, limit: int = 50) -> list[User]:
    """Members of the communities ``actor`` coordinates whose name, phone or username matches.

    Raises NotPermitted unless ``actor`` is a coordinator or street admin.
    """
    statement = _members_coordinated_by(actor)
    query = (query or "").strip()
    if query:
        like = f"%{query}%"
        statement = statement.where(
            or_(User.display_name.like(like), User.phone.like(like), User.username.like(like))
        )
    return list(db.session.scalars(statement.order_by(User.display_name).limit(limit)))


@dataclass(frozen=True, slots=True)
class LikelyDuplicate:
    """A member who may be the person about to be added, and why."""

    member: User
    same_name_and_birth_date: bool
    same_phone: bool


def _without_spaces(column) -> ColumnElement[str]:
    return func.replace(func.replace(column, " ", ""), "\u3000", "")


def likely_duplicates(
    by: User, *, display_name: str, birth_date: date | None, phone: str | None
) -> list[LikelyDuplicate]:
    """Members of the communities ``by`` coordinates who may be the person about to be
    added: the same name (spaces aside) and birth date, or the same phone number.

    Members out of ``by``'s reach are never named (a phone number of theirs is refused by
    create_member without saying whose). Raises NotPermitted for a member who coordinates
    nothing.
    """
    name = "".join((display_name or "").split())
    phone = normalise_phone(phone) if phone else None
    conditions = []
    if name and birth_date is not None:
        conditions.append(
            (_without_spaces(User.display_name) == name) & (User.birth_date == birth_date)
        )
    if phone:
        conditions.append(User.phone == phone)
    if not conditions:
        return []
    found = db.session.scalars(
        _members_coordinated_by(by).where(or_(*conditions)).order_by(User.id).limit(10)
    )
    return [
        LikelyDuplicate(
            member,
            same_name_and_birth_date=bool(
                birth_date is not None
                and member.birth_date == birth_date
                and "".join(member.display_name.split()) == name
            ),
            same_phone=bool(phone) and member.phone == phone,
        )
        for member in found
    ]


def _check_new_member(phone: str | None, username: str | None, birth_date: date | None) -> None:
    _check_member_formats(phone, username, birth_date)
    _check_logins_free(phone, username)


def _check_member_formats(phone: str | None, username: str | None, birth_date: date | None) -> None:
    if phone and not PHONE_RE.match(phone):
        raise InvalidMember(_l("A mobile number has 11 digits and starts with 1."))
    if username and not USERNAME_RE.match(username):
        raise InvalidMember(_l("A username is 3 to 40 letters or digits and starts with a letter."))
    if birth_date and not (date(1900, 1, 1) <= birth_date <= date.today()):
        raise InvalidMember(_l("That birth date cannot be right."))


def _check_logins_free(phone: str | None, username: str | None) -> None:
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        raise InvalidMember(_l("Someone already uses this phone number."))
    if username and db.session.scalar(select(User.id).where(User.username == username)):
        raise InvalidMember(_l("Someone already uses this username."))


def create_member(
    *,
    by: User | None,
    community: Community,
    display_name: str,
    birth_date: date | None = None,
    phone: str | None = None,
    username: str | None = None,
    password: str | None = None,
    role: str = Role.MEMBER,
    is_volunteer: bool = False,
    is_priority: bool = False,
    has_hardship: bool = False,
    different_person: bool = False,
) -> User:
    """Create a member of ``community`` (with an hour account, via member_joined).

    ``by`` is the coordinator creating the account (None for the CLI and
    self-registration; a coordinator's is recorded in the audit log as
    MEMBER_CREATED). Elders without a phone get neither phone nor password.
    A coordinator is stopped by a likely duplicate in their reach (see
    likely_duplicates): one of the same name and birth date only until they say it is
    a ``different_person`` (recorded in the audit entry), one of the same phone always.
    Raises NotPermitted, PossibleDuplicate and InvalidMember (WeakPassword for a
    password that community.passwords refuses).
    """
    if by is not None:
        if not coordinates_community(by, community):
            raise NotPermitted(_l("Only this community's coordinators may add members."))
        if role != Role.MEMBER and by.role != Role.STREET_ADMIN:
            raise NotPermitted(_l("Only a street admin may appoint coordinators."))
    display_name = (display_name or "").strip()
    if not display_name:
        raise InvalidMember(_l("Enter the member's name."))
    phone = normalise_phone(phone) if phone else None
    username = (username or "").strip() or None
    _check_member_formats(phone, username, birth_date)
    similar: list[LikelyDuplicate] = []
    if by is not None:
        similar = likely_duplicates(
            by, display_name=display_name, birth_date=birth_date, phone=phone
        )
        if any(m.same_phone for m in similar) or (similar and not different_person):
            raise PossibleDuplicate(similar)
    _check_logins_free(phone, username)
    if password is not None:
        check_new_password(password, login_names=(phone, username))
    if password and not (phone or username):
        raise InvalidMember(_l("A member who signs in needs a phone number or a username."))
    user = User(
        community_id=community.id,
        display_name=display_name[:60],
        birth_date=birth_date,
        phone=phone,
        username=username,
        role=role,
        is_volunteer=is_volunteer,
        is_priority=is_priority,
        has_hardship=has_hardship,
        created_by_id=by.id if by else None,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    member_joined.send(user)
    if by is not None:
        audit.record(
            Action.MEMBER_CREATED,
            actor=by,
            subject=user,
            target=f"user:{user.id}",
            after=_member_facts(user)
            | {"role": user.role, "signs_in": bool(password)}
            | ({"different_from": [m.member.id for m in similar]} if similar else {}),
        )
    return user


def link_family(
    *,
    by: User,
    elder: User,
    relative: User,
    relation: str = "",
    may_book: bool = True,
    may_confirm: bool = True,
    may_receive_gifts: bool = True,
) -> FamilyLink:
    """Record that ``relative`` may act for ``elder``, with consent.

    Consent is given by the elder themself, or by a coordinator who checked
    in person (recorded in the audit log as FAMILY_LINK_CONSENTED). Both live in
    one street: family links never cross a street. Raises NotPermitted and
    InvalidMember.
    """
    if elder.id == relative.id:
        raise InvalidMember(_l("A member cannot be linked to themself."))
    if by.id != elder.id and not coordinates(by, elder):
        raise NotPermitted(_l("Only the elder or a coordinator can agree to a family link."))
    if not same_street(elder, relative):
        raise NotPermitted(_l("Family links are made only between members of one street."))
    link = db.session.scalar(
        select(FamilyLink).where(
            FamilyLink.elder_id == elder.id, FamilyLink.relative_id == relative.id
        )
    )
    if link is None:
        link = FamilyLink(elder_id=elder.id, relative_id=relative.id)
        db.session.add(link)
    link.relation = relation[:20]
    link.status = LinkStatus.ACTIVE
    link.may_book, link.may_confirm = may_book, may_confirm
    link.may_receive_gifts = may_receive_gifts
    link.consented_by_id = by.id
    link.revoked_at = None
    db.session.flush()
    if by.id != elder.id:
        audit.record(
            Action.FAMILY_LINK_CONSENTED,
            actor=by,
            subject=elder,
            target=f"family_link:{link.id}",
            after={"relative": relative.id, "relation": link.relation, **_rights(link)},
        )
    return link


def revoke_family_link(link: FamilyLink, *, by: User) -> None:
    """End a family link (or decline a request). The elder, the relative or a coordinator
    of the elder may; a coordinator's is recorded in the audit log as FAMILY_LINK_ENDED.
    Raises NotPermitted."""
    if by.id not in (link.elder_id, link.relative_id) and not coordinates(by, link.elder):
        raise NotPermitted()
    before = {"status": link.status, **_rights(link)}
    link.status = LinkStatus.REVOKED
    link.revoked_at = utcnow()
    db.session.flush()
    if by.id not in (link.elder_id, link.relative_id):
        audit.record(
            Action.FAMILY_LINK_ENDED,
            actor=by,
            subject=link.elder,
            target=f"family_link:{link.id}",
            before=before | {"relative": link.relative_id},
            after={"status": link.status},
        )


def found_community(*, street_id: int, name: str, **policy) -> Community:
    """Create a community (its fund and guarantee accounts open via community_founded)."""
    community = Community(street_id=street_id, name=name, **policy)
    db.session.add(community)
    db.session.flush()
    community_founded.send(community)
    return community


def member_for(actor: User, user_id: int, *, allow_self: bool = False) -> User:
    """The member ``user_id`` if ``actor`` coordinates their community (or is them, with ``allow_self``).

    Raises MemberNotFound for an unknown id and NotPermitted otherwise.
    """
    member = db.session.get(User, user_id)
    if member is None:
        raise MemberNotFound(f"#{user_id}")
    if allow_self and actor.id == member.id:
        return member
    if not coordinates(actor, member):
        raise NotPermitted(_l("Only a coordinator of this member's community may see this."))
    return member


def update_member_flags(
    member: User,
    *,
    by: User,
    is_volunteer: bool,
    is_priority: bool,
    has_hardship: bool,
    birth_date: date | None = None,
) -> User:
    """A coordinator marks a member as volunteer, priority elder (重点关爱对象) or in hardship,
    and records a birth date that was missing or wrong (None keeps the one on file).

    A change is recorded in the audit log (MEMBER_FLAGS_CHANGED, before and after).
    Raises NotPermitted unless ``by`` coordinates the member's community, and
    InvalidMember for an impossible birth date.
    """
    if not coordinates(by, member):
        raise NotPermitted(_l("Only this community's coordinators may change a member's details."))
    before = _member_facts(member)
    if birth_date is not None:
        _check_new_member(None, None, birth_date)
        member.birth_date = birth_date
    member.is_volunteer = is_volunteer
    member.is_priority = is_priority
    member.has_hardship = has_hardship
    db.session.flush()
    after = _member_facts(member)
    if after != before:
        audit.record(
            Action.MEMBER_FLAGS_CHANGED,
            actor=by,
            subject=member,
            target=f"user:{member.id}",
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return member


def _member_facts(member: User) -> dict:
    """What a coordinator sets about a member, as the audit log keeps it."""
    return {
        "is_volunteer": member.is_volunteer,
        "is_priority": member.is_priority,
        "has_hardship": member.has_hardship,
        "birth_date": member.birth_date.isoformat() if member.birth_date else None,
    }


def _rights(link: FamilyLink) -> dict:
    return {
        "may_book": link.may_book,
        "may_confirm": link.may_confirm,
        "may_receive_gifts": link.may_receive_gifts,
    }


def family_links_of(member: User) -> tuple[list[FamilyLink], list[FamilyLink]]:
    """The member's active family links: (relatives who act for them, elders they act for)."""
    active = select(FamilyLink).where(FamilyLink.status == LinkStatus.ACTIVE)
    # the pages name the person at the other end of each link: read with the links
    relatives = db.session.scalars(
        active.where(FamilyLink.elder_id == member.id)
        .order_by(FamilyLink.id)
        .options(joinedload(FamilyLink.relative))
    )
    elders = db.session.scalars(
        active.where(FamilyLink.relative_id == member.id)
        .order_by(FamilyLink.id)
        .options(joinedload(FamilyLink.elder))
    )
    return list(relatives), list(elders)
