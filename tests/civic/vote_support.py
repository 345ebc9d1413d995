"""A building of owners to vote in, and a proposal about it, for civic's vote tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from civic.consultation_models import Consultation
from civic.consultation_services import Proposal, open_consultation
from civic.place_models import Building, Compound, Home, HomeOwner
from community.models import Community, User, utcnow
from extensions import db

NOW = datetime(2026, 12, 7, 2, 0)  # UTC; the services take ``now`` from the tests
TODAY = date(2026, 12, 7)


@dataclass
class Block:
    compound: Compound
    building: Building
    homes: list[Home]


def make_block(community: Community, areas: list[int], name: str = "桂花新村") -> Block:
    """A compound with one building ("3幢") whose homes have ``areas`` (dm²)."""
    compound = Compound(community_id=community.id, name=name)
    building = Building(compound=compound, name="3幢")
    homes = [Home(building=building, unit=f"{i + 1}01", area_dm2=a) for i, a in enumerate(areas)]
    db.session.add_all([compound, building, *homes])
    db.session.flush()
    return block_of(compound, building, homes)


def block_of(compound, building, homes) -> Block:
    return Block(compound, building, homes)


def own(home: Home, *members: User) -> None:
    db.session.add_all(HomeOwner(home_id=home.id, member_id=m.id) for m in members)
    db.session.flush()


def propose(
    actor: User,
    scope: str,
    *,
    electorate: str = "owners",
    matter: str = "rebuild",
    secret: bool = False,
    opens_in: timedelta = timedelta(0),
    lasts: timedelta = timedelta(days=7),
    now: datetime = NOW,
    title: str = "加装电梯",
) -> Consultation:
    """Open a proposal whose vote opens at ``now + opens_in``."""
    return open_consultation(
        actor,
        actor.community,
        Proposal(
            title=title,
            body="在3幢加装一部电梯，费用按楼层分摊。",
            links="https://example.org/plan.pdf",
            scope=scope,
            electorate=electorate,
            matter=matter,
            secret=secret,
            voting_opens_at=now + opens_in,
            voting_closes_at=now + opens_in + lasts,
        ),
        today=TODAY,
        now=now,
    )


def during(consultation: Consultation) -> datetime:
    """A moment while the vote is open."""
    return consultation.voting_opens_at + timedelta(minutes=1)


def after(consultation: Consultation) -> datetime:
    return consultation.voting_closes_at + timedelta(minutes=1)


__all__ = ["NOW", "TODAY", "utcnow"]
