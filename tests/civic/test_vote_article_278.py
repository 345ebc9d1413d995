"""《民法典》 Article 278 under hypothesis: random electorates and ballots, cast through the
services, judged against a plain model of the article written apart from the app.

The model reads the article as a person would: group the owners (members sharing a
home are one owner, an owner's homes are counted once with all their area), take part
if ≥ 2/3 of the area and ≥ 2/3 of the owners voted, then ≥ 3/4 (items 6–8) or more than
half (the rest) of the participating area and owners must agree. It uses Fractions and
merges groups naively, nothing of civic.vote_roll or civic.vote_rules.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic.errors import Conflict
from civic.vote_rules import outcome
from civic.vote_services import cast_ballot, result_of
from extensions import db

from .vote_support import during, make_block, own, propose

MATTERS = ("rebuild", "raise_fund", "common_parts_use", "use_fund", "other")
SPECIAL = {"rebuild", "raise_fund", "common_parts_use"}
_names = itertools.count(1)


def model(homes: list[tuple[int, set[int]]], ballots: dict[int, str], matter: str):
    """(quorate, passed) by the article: ``homes`` is (area, owner members); ``ballots``
    maps a member who cast their owner's ballot to the choice."""
    groups: list[set[int]] = []
    for _area, members in homes:
        if members:
            groups.append(set(members))
    merged = True
    while merged:
        merged = False
        for a, b in itertools.combinations(range(len(groups)), 2):
            if groups[a] & groups[b]:
                groups[a] |= groups.pop(b)
                merged = True
                break

    def area(group):
        return sum(a for a, members in homes if members and members <= group)

    owners, total_area = len(groups), sum(area(g) for g in groups)
    voted = [g for g in groups if any(m in ballots for m in g)]
    agreed = [g for g in voted if any(ballots.get(m) == "agree" for m in g)]
    voted_area = sum(area(g) for g in voted)
    agreed_area = sum(area(g) for g in agreed)
    if not owners or not total_area:
        return False, False
    quorate = Fraction(voted_area, total_area) >= Fraction(2, 3) and Fraction(
        len(voted), owners
    ) >= Fraction(2, 3)
    if not quorate:
        return False, False
    if matter in SPECIAL:
        passed = Fraction(agreed_area, voted_area) >= Fraction(3, 4) and Fraction(
            len(agreed), len(voted)
        ) >= Fraction(3, 4)
    else:
        passed = Fraction(agreed_area, voted_area) > Fraction(1, 2) and Fraction(
            len(agreed), len(voted)
        ) > Fraction(1, 2)
    return True, passed


electorates = st.integers(min_value=1, max_value=7).flatmap(
    lambda people: st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=20_000),  # area in dm²
            st.sets(st.integers(min_value=0, max_value=people - 1), max_size=2),
        ),
        min_size=1,
        max_size=8,
    ).map(lambda homes: (people, homes))
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    electorate=electorates,
    votes=st.lists(st.sampled_from(("agree", "disagree", "abstain", None)), min_size=7, max_size=7),
    matter=st.sampled_from(MATTERS),
)
def test_owners_votes_follow_article_278(app, coordinator, make_member, electorate, votes, matter):
    people_count, home_plan = electorate
    example = db.session.begin_nested()  # each example's rows go when it ends
    people = [make_member(f"业主{next(_names)}") for _ in range(people_count)]
    block = make_block(coordinator.community, [a for a, _o in home_plan], f"小区{next(_names)}")
    homes = []
    for home, (area, owner_indexes) in zip(block.homes, home_plan, strict=True):
        members = {people[i].id for i in owner_indexes}
        own(home, *(people[i] for i in sorted(owner_indexes)))
        homes.append((area, members))
    vote = propose(coordinator, f"building:{block.building.id}", matter=matter)
    ballots: dict[int, str] = {}
    owned = {m for _a, members in homes for m in members}
    for person, choice in zip(people, votes, strict=False):
        if choice is None or person.id not in owned:
            continue
        try:
            cast_ballot(person, vote, choice, now=during(vote))
        except Conflict:  # a co-owner already cast the owner's ballot
            continue
        ballots[person.id] = choice
    judged = result_of(vote).outcome
    expected = model(homes, ballots, matter)
    example.rollback()
    assert (judged.quorate, judged.passed) == expected


@settings(max_examples=2000, deadline=None)
@given(
    owners=st.integers(min_value=1, max_value=10_000),
    area=st.integers(min_value=1, max_value=10**9),
    data=st.data(),
    matter=st.sampled_from(MATTERS),
)
def test_the_rules_in_integers_agree_with_fractions(owners, area, data, matter):
    voted = data.draw(st.integers(min_value=0, max_value=owners))
    voted_area = data.draw(st.integers(min_value=0, max_value=area))
    agreed = data.draw(st.integers(min_value=0, max_value=voted))
    agreed_area = data.draw(st.integers(min_value=0, max_value=voted_area))
    judged = outcome(
        electorate="owners",
        matter=matter,
        roll_voters=owners,
        roll_area_dm2=area,
        voted=voted,
        voted_area_dm2=voted_area,
        agreed=agreed,
        agreed_area_dm2=agreed_area,
    )
    quorate = Fraction(voted, owners) >= Fraction(2, 3) and Fraction(voted_area, area) >= Fraction(
        2, 3
    )
    if matter in SPECIAL:
        agree = (
            voted > 0
            and voted_area > 0
            and (
                Fraction(agreed, voted) >= Fraction(3, 4)
                and Fraction(agreed_area, voted_area) >= Fraction(3, 4)
            )
        )
    else:
        agree = (
            voted > 0
            and voted_area > 0
            and (
                Fraction(agreed, voted) > Fraction(1, 2)
                and Fraction(agreed_area, voted_area) > Fraction(1, 2)
            )
        )
    assert judged.quorate == quorate
    assert judged.passed == (quorate and agree)
