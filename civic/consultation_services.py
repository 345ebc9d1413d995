"""Consultations: opening a proposal, who may see it, its discussion and its moderation,
the council, and moving its vote on (start now, close now).

Reach: a proposal belongs to one community. Its members, the members on its roll
(an owner may live elsewhere), its coordinators and the street's admins see it;
nobody else learns it exists (NotFound). Coordinators (and the street admin) of the
community moderate it and move its vote on; they and the council members the
coordinators name open proposals for it. Every staff step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select

from civic.consultation_models import (
    Consultation,
    ConsultationComment,
    CouncilMember,
    Electorate,
    Matter,
    Scope,
    Stage,
)
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.place_models import Building, Compound
from civic.vote_models import Choice, VoteRollEntry, VoteTally
from civic.vote_roll import build_roll
from community.audit import Action, record
from community.models import Community, User, utcnow
from community.reach import coordinated_community_ids, coordinates, coordinates_community
from extensions import db
from input_guard import MAX_ID

FURTHEST_AHEAD = timedelta(days=366)  # a vote is planned within a year
MAX_LINKS = 10


def _get(model, object_id: int):
    return db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None


# --- who may do what ----------------------------------------------------------------------


def is_council_member(member: User, community: Community) -> bool:
    """Whether a coordinator named ``member`` to ``community``'s council."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CouncilMember.community_id == community.id,
                    CouncilMember.member_id == member.id,
                )
            )
        )
    )


def may_open(actor: User, community: Community) -> bool:
    """A coordinator of the community (or its street admin), or a council member of it."""
    return coordinates_community(actor, community) or (
        actor.community_id == community.id and is_council_member(actor, community)
    )


def moderates(actor: User, consultation: Consultation) -> bool:
    """A coordinator of the proposal's community, or the admin of its street."""
    return coordinates_community(actor, consultation.community)


def moderates_community(actor: User, community: Community) -> bool:
    """Whether ``actor`` coordinates ``community`` (names its council, moderates its proposals)."""
    return coordinates_community(actor, community)


def _sees(actor: User, consultation: Consultation) -> bool:
    if actor.community_id == consultation.community_id or moderates(actor, consultation):
        return True
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    VoteRollEntry.consultation_id == consultation.id,
                    VoteRollEntry.member_id == actor.id,
                )
            )
        )
    )


def consultation_for(actor: User, consultation_id: int) -> Consultation:
    """The proposal if ``actor`` may see it. Raises NotFound (also for one out of reach)."""
    consultation = _get(Consultation, consultation_id)
    if consultation is None or not _sees(actor, consultation):
        raise NotFound()
    return consultation


def consultations_for(actor: User) -> list[Consultation]:
    """The proposals ``actor`` may see, newest first."""
    on_roll = select(VoteRollEntry.consultation_id).where(VoteRollEntry.member_id == actor.id)
    communities = coordinated_community_ids(actor)
    conditions = [Consultation.community_id == actor.community_id, Consultation.id.in_(on_roll)]
    if communities is not None:
        conditions.append(Consultation.community_id.in_(communities))
    return list(
        db.session.scalars(
            select(Consultation).where(or_(*conditions)).order_by(Consultation.id.desc()).limit(200)
        )
    )


# --- opening a proposal -------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """What a proposal says, as the form gives it (times in UTC)."""

    title: str
    body: str
    links: str
    scope: str  # "community", "compound:<id>" or "building:<id>"
    electorate: str
    matter: str
    secret: bool
    voting_opens_at: datetime
    voting_closes_at: datetime


def scope_choices(community: Community) -> list[tuple[str, str]]:
    """The places a proposal of ``community`` may cover: (value, name)."""
    choices = [("community", community.name)]
    compounds = db.session.scalars(
        select(Compound).where(Compound.community_id == community.id).order_by(Compound.name)
    )
    for compound in compounds:
        choices.append((f"compound:{compound.id}", compound.name))
        for building in compound.buildings:
            choices.append((f"building:{building.id}", f"{compound.name} {building.name}"))
    return choices


def _place(community: Community, scope: str) -> tuple[str, Compound | None, Building | None]:
    kind, _colon, number = scope.partition(":")
    if kind == Scope.COMMUNITY and not number:
        return Scope.COMMUNITY, None, None
    place_id = int(number) if number.isascii() and number.isdigit() and len(number) <= 10 else 0
    if kind == Scope.COMPOUND:
        compound = _get(Compound, place_id)
        if compound is not None and compound.community_id == community.id:
            return Scope.COMPOUND, compound, None
    if kind == Scope.BUILDING:
        building = _get(Building, place_id)
        if building is not None and building.compound.community_id == community.id:
            return Scope.BUILDING, building.compound, building
    raise InvalidInput(_l("Choose a place of this community."))


def _check_links(links: str) -> str:
    lines = [line.strip() for line in links.splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        raise InvalidInput(_l("Give at most %(n)s links.", n=MAX_LINKS))
    for line in lines:
        if not line.startswith(("https://", "http://")) or " " in line:
            raise InvalidInput(_l("Each link must start with https:// and have no spaces."))
    return "\n".join(lines)


def check_times(opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    """Raises InvalidInput unless the vote opens now or later and closes after it opens,
    within a year."""
    if opens_at < now.replace(second=0, microsecond=0):
        raise InvalidInput(_l("The vote cannot open in the past."))
    if closes_at <= opens_at:
        raise InvalidInput(_l("The vote must close after it opens."))
    if closes_at > now + FURTHEST_AHEAD:
        raise InvalidInput(_l("The vote must close within a year."))


def open_consultation(
    actor: User,
    community: Community,
    proposal: Proposal,
    *,
    today: date,
    now: datetime | None = None,
) -> Consultation:
    """Open a proposal for discussion and fix its roll. Raises NotAllowed (not a
    coordinator or council member of the community), InvalidInput (a place of another
    community, owners of a whole community, links or times the rules refuse)."""
    now = now or utcnow()
    if not may_open(actor, community):
        raise NotAllowed()
    scope, compound, building = _place(community, proposal.scope)
    try:
        electorate, matter = Electorate(proposal.electorate), Matter(proposal.matter)
    except ValueError:
        raise InvalidInput(_l("Choose who votes.")) from None
    if electorate == Electorate.OWNERS and scope == Scope.COMMUNITY:
        raise InvalidInput(_l("Owners vote for a compound or a building: choose one."))
    if electorate == Electorate.RESIDENTS and matter != Matter.OTHER:
        raise InvalidInput(
            _l("Maintenance funds, rebuilding and common parts are for owners to decide.")
        )
    check_times(proposal.voting_opens_at, proposal.voting_closes_at, now)
    consultation = Consultation(
        community_id=community.id,
        scope=scope,
        compound_id=compound.id if compound else None,
        building_id=building.id if building else None,
        title=proposal.title.strip(),
        body=proposal.body.strip(),
        links=_check_links(proposal.links),
        electorate=electorate,
        matter=matter,
        secret=proposal.secret,
        voting_opens_at=proposal.voting_opens_at,
        voting_closes_at=proposal.voting_closes_at,
        created_by_id=actor.id,
        created_at=now,
    )
    if not consultation.title:
        raise InvalidInput(_l("Give the proposal a title."))
    db.session.add(consultation)
    db.session.flush()
    db.session.add_all(VoteTally(consultation_id=consultation.id, choice=c) for c in Choice)
    build_roll(consultation, today)
    record(
        Action.CONSULTATION_OPENED,
        actor=actor,
        community=community,
        target=f"consultation:{consultation.id}",
        after={
            "proposal": consultation.title,
            "electorate": consultation.electorate,
            "matter": consultation.matter,
            "secret": consultation.secret,
            "roll_voters": consultation.roll_voters,
        },
    )
    return consultation


# --- discussion ----------------------------------------------------------------------------


def comments_for(actor: User, consultation: Consultation) -> list[ConsultationComment]:
    """The discussion, oldest first: hidden comments only for those who moderate."""
    query = select(ConsultationComment).where(
        ConsultationComment.consultation_id == consultation.id
    )
    if not moderates(actor, consultation):
        query = query.where(ConsultationComment.hidden.is_(False))
    return list(db.session.scalars(query.order_by(ConsultationComment.id).limit(500)))


def add_comment(
    actor: User, consultation: Consultation, body: str, *, now: datetime | None = None
) -> ConsultationComment:
    """A comment in the discussion (before the vote closes). Raises Conflict once closed,
    InvalidInput for an empty one."""
    now = now or utcnow()
    if consultation.stage(now) == Stage.CLOSED:
        raise Conflict(_l("The vote has closed: the discussion is over."))
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_l("Write your comment first."))
    comment = ConsultationComment(
        consultation_id=consultation.id, author_id=actor.id, body=body[:1000], created_at=now
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def set_comment_hidden(
    actor: User, consultation: Consultation, comment_id: int, *, hidden: bool, reason: str = ""
) -> ConsultationComment:
    """Hide a comment (with a reason) or show it again. Raises NotAllowed (not a
    moderator), NotFound (no such comment here), InvalidInput (hiding without a reason)."""
    if not moderates(actor, consultation):
        raise NotAllowed()
    comment = _get(ConsultationComment, comment_id)
    if comment is None or comment.consultation_id != consultation.id:
        raise NotFound()
    reason = (reason or "").strip()
    if hidden and not reason:
        raise InvalidInput(_l("Say why the comment is hidden."))
    before = {"hidden": comment.hidden}
    comment.hidden = hidden
    comment.hidden_reason = reason[:200] if hidden else ""
    comment.moderated_by_id = actor.id
    record(
        Action.CONSULTATION_COMMENT_HIDDEN if hidden else Action.CONSULTATION_COMMENT_SHOWN,
        actor=actor,
        subject=comment.author,
        community=consultation.community,
        target=f"consultation:{consultation.id}",
        before=before,
        after={"hidden": hidden, **({"reason": reason[:200]} if hidden else {})},
    )
    db.session.flush()
    return comment


# --- moving the vote on --------------------------------------------------------------------


def lock_consultation(consultation: Consultation) -> Consultation:
    """Take the consultation's row lock (every ballot and step on it waits its turn)."""
    db.session.execute(
        select(Consultation.id).where(Consultation.id == consultation.id).with_for_update()
    )
    db.session.refresh(consultation)
    return consultation


def start_voting_now(
    actor: User, consultation: Consultation, *, now: datetime | None = None
) -> Consultation:
    """End the discussion and open the vote now. Raises NotAllowed, Conflict (the vote
    already opened)."""
    now = now or utcnow()
    if not moderates(actor, consultation):
        raise NotAllowed()
    lock_consultation(consultation)
    if consultation.stage(now) != Stage.DISCUSSION:
        raise Conflict(_l("The vote has already opened."))
    before = {"voting_opens_at": consultation.voting_opens_at}
    consultation.voting_opens_at = now
    record(
        Action.VOTING_STARTED,
        actor=actor,
        community=consultation.community,
        target=f"consultation:{consultation.id}",
        before=before,
        after={"voting_opens_at": now},
    )
    return consultation


def close_voting_now(
    actor: User, consultation: Consultation, *, now: datetime | None = None
) -> Consultation:
    """Close the vote now (the meeting decided so). Raises NotAllowed, Conflict (not
    open)."""
    now = now or utcnow()
    if not moderates(actor, consultation):
        raise NotAllowed()
    lock_consultation(consultation)
    if consultation.stage(now) != Stage.VOTING:
        raise Conflict(_l("Only an open vote can be closed."))
    before = {"voting_closes_at": consultation.voting_closes_at}
    consultation.voting_closes_at = now
    record(
        Action.VOTING_CLOSED,
        actor=actor,
        community=consultation.community,
        target=f"consultation:{consultation.id}",
        before=before,
        after={"voting_closes_at": now},
    )
    return consultation


# --- the council ----------------------------------------------------------------------------


def council_of(actor: User, community: Community) -> list[CouncilMember]:
    """The community's council members (for its coordinators). Raises NotAllowed."""
    if not coordinates_community(actor, community):
        raise NotAllowed()
    return list(
        db.session.scalars(
            select(CouncilMember)
            .where(CouncilMember.community_id == community.id)
            .order_by(CouncilMember.id)
        )
    )


def name_to_council(actor: User, member: User) -> CouncilMember:
    """Name a member to their community's council. Raises NotAllowed (not their
    coordinator), Conflict (already on it)."""
    if not coordinates(actor, member):
        raise NotAllowed()
    if is_council_member(member, member.community):
        raise Conflict(_l("%(name)s is already on the council.", name=member.display_name))
    seat = CouncilMember(
        community_id=member.community_id, member_id=member.id, granted_by_id=actor.id
    )
    db.session.add(seat)
    db.session.flush()
    record(Action.COUNCIL_MEMBER_NAMED, actor=actor, subject=member, target=f"member:{member.id}")
    return seat


def remove_from_council(actor: User, seat_id: int) -> None:
    """End a council seat. Raises NotFound (no such seat, or out of reach)."""
    seat = _get(CouncilMember, seat_id)
    if seat is None or not coordinates(actor, seat.member):
        raise NotFound()
    member = seat.member
    db.session.delete(seat)
    db.session.flush()
    record(Action.COUNCIL_MEMBER_REMOVED, actor=actor, subject=member, target=f"member:{member.id}")
