"""Who may vote on a consultation: its roll, fixed when the proposal is opened.

Residents' votes: one vote for each resident aged 18 or more on the day the proposal
is opened (a member whose birth date is not recorded is not on the roll until a
coordinator records it). For a community, the residents are the community's active
members; for a compound or a building, the members recorded as owning a home there
(HomeOwner is the only record of where a member lives that the app keeps).

Owners' votes (《民法典》 Article 278, read with the Supreme People's Court's
interpretation on 建筑物区分所有权, art. 8–9): area is each home's floor area (专有部分面积);
owners are counted per home, but one owner of several homes counts once with all
their area, and the co-owners of a home are one owner and share its area once. The
two rules meet when co-ownership chains (A and B own one home, B and C another): the
app counts every group of members joined by a home they share as one owner, with the
area of all the group's homes in the scope. Such a group casts one vote: any of its
members may cast it, and change it while the vote is open.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from civic.consultation_models import Consultation, Electorate, Scope
from civic.place_models import Building, Home, HomeOwner
from civic.vote_models import VoteRollEntry
from community.models import User
from extensions import db

ADULT_AGE = 18


def _homes_in_scope(consultation: Consultation):
    query = select(Home.id, Home.area_dm2).join(Building, Building.id == Home.building_id)
    if consultation.scope == Scope.BUILDING:
        return query.where(Home.building_id == consultation.building_id)
    return query.where(Building.compound_id == consultation.compound_id)


def owner_groups(ownership: list[tuple[int, int, int]]) -> list[tuple[int, list[int], int]]:
    """Group (home id, area, member id) rows into owners: (key, member ids, area).

    Members joined by a home they share are one owner; the key is the smallest member
    id of the group; the area sums each of the group's homes once.
    """
    parent: dict[int, int] = {}

    def find(member: int) -> int:
        while parent.setdefault(member, member) != member:
            parent[member] = parent[parent[member]]
            member = parent[member]
        return member

    first_owner: dict[int, int] = {}
    areas: dict[int, int] = {}
    for home_id, area, member_id in ownership:
        areas[home_id] = area
        find(member_id)
        if home_id in first_owner:
            a, b = find(first_owner[home_id]), find(member_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first_owner[home_id] = member_id
    members: dict[int, list[int]] = {}
    for member in parent:
        members.setdefault(find(member), []).append(member)
    area_of: dict[int, int] = dict.fromkeys(members, 0)
    for home_id, owner in first_owner.items():
        area_of[find(owner)] += areas[home_id]
    return [(min(group), sorted(group), area_of[root]) for root, group in sorted(members.items())]


def adult_born_by(today: date) -> date:
    """The last birth date of someone ``ADULT_AGE`` or older on ``today``."""
    year = today.year - ADULT_AGE
    if (today.month, today.day) == (2, 29):
        return date(year, 2, 28) if year % 4 or (year % 100 == 0 and year % 400) else today
    return today.replace(year=year)


def build_roll(consultation: Consultation, today: date) -> list[VoteRollEntry]:
    """Write the consultation's roll and its totals (flushes)."""
    entries: list[VoteRollEntry] = []
    if consultation.electorate == Electorate.OWNERS:
        homes = _homes_in_scope(consultation).subquery()
        rows = db.session.execute(
            select(homes.c.id, homes.c.area_dm2, HomeOwner.member_id).join(
                HomeOwner, HomeOwner.home_id == homes.c.id
            )
        ).all()
        for key, member_ids, area in owner_groups([tuple(row) for row in rows]):
            entries += [
                VoteRollEntry(
                    consultation_id=consultation.id, member_id=m, voter_key=key, area_dm2=area
                )
                for m in member_ids
            ]
        consultation.roll_voters = len({e.voter_key for e in entries})
        consultation.roll_area_dm2 = sum({e.voter_key: e.area_dm2 for e in entries}.values())
    else:
        if consultation.scope == Scope.COMMUNITY:
            people = select(User).where(User.community_id == consultation.community_id)
        else:
            owners = select(HomeOwner.member_id).where(
                HomeOwner.home_id.in_(_homes_in_scope(consultation).with_only_columns(Home.id))
            )
            people = select(User).where(User.id.in_(owners))
        adults = people.where(
            User.is_active_member, User.birth_date <= adult_born_by(today)
        ).with_only_columns(User.id)
        entries = [
            VoteRollEntry(consultation_id=consultation.id, member_id=member_id, voter_key=member_id)
            for member_id in db.session.scalars(adults.order_by(User.id))
        ]
        consultation.roll_voters = len(entries)
        consultation.roll_area_dm2 = 0
    db.session.add_all(entries)
    db.session.flush()
    return entries


def roll_entry(consultation: Consultation, member: User) -> VoteRollEntry | None:
    """The member's line on the roll, or None if they may not vote."""
    return db.session.scalar(
        select(VoteRollEntry).where(
            VoteRollEntry.consultation_id == consultation.id,
            VoteRollEntry.member_id == member.id,
        )
    )
