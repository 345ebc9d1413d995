"""Consultations and votes through their services: the roll, casting, changing, closing,
paper ballots on a voter's behalf, secret ballots that leak no one's choice, and the
hash chain `flask civic verify` recounts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select, text

from civic.consultation_services import (
    add_comment,
    close_voting_now,
    comments_for,
    consultation_for,
    name_to_council,
    set_comment_hidden,
    start_voting_now,
)
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.vote_chain import verify_votes
from civic.vote_models import Ballot, VoteParticipation, VoteRollEntry
from civic.vote_roll import adult_born_by
from civic.vote_services import cast_ballot, change_ballot, result_of
from community.audit import Action
from community.audit_models import AuditEntry
from community.models import Role, User
from extensions import db

from .vote_support import NOW, after, during, make_block, own, propose


@pytest.fixture
def block(community):
    # areas in dm²: 60 m², 80 m², 100 m², 120 m²
    return make_block(community, [6000, 8000, 10000, 12000])


@pytest.fixture
def owners(block, make_member):
    """Four homes: 老张 owns two, 李 and 王 co-own one, 赵 owns one (three owners)."""
    zhang, li, wang, zhao = (
        make_member(n, age=a)
        for n, a in (("老张", 82), ("李阿姨", 70), ("王先生", 72), ("赵奶奶", 88))
    )
    own(block.homes[0], zhang)
    own(block.homes[1], zhang)
    own(block.homes[2], li, wang)
    own(block.homes[3], zhao)
    return {"zhang": zhang, "li": li, "wang": wang, "zhao": zhao}


def _vote(coordinator, block, **kw):
    return propose(coordinator, f"building:{block.building.id}", **kw)


def test_owners_roll_counts_co_owners_once_and_an_owner_of_two_homes_once(
    coordinator, block, owners
):
    vote = _vote(coordinator, block)
    assert (vote.roll_voters, vote.roll_area_dm2) == (3, 36000)
    keys = {
        e.member_id: (e.voter_key, e.area_dm2) for e in db.session.scalars(select(VoteRollEntry))
    }
    assert keys[owners["zhang"].id] == (owners["zhang"].id, 14000)
    assert keys[owners["li"].id] == keys[owners["wang"].id] == (owners["li"].id, 10000)


def test_residents_roll_is_adults_of_the_community(coordinator, make_member, community):
    child = make_member("小明", age=12)
    unknown = make_member("无生日", age=None)
    adult = make_member("成年人", age=18)
    vote = propose(coordinator, "community", electorate="residents", matter="other")
    roll = set(db.session.scalars(select(VoteRollEntry.member_id)))
    assert adult.id in roll and coordinator.id in roll
    assert child.id not in roll and unknown.id not in roll
    assert vote.roll_area_dm2 == 0


def test_only_coordinators_and_council_members_open_proposals(
    coordinator, block, owners, make_member
):
    resident = owners["zhao"]
    with pytest.raises(NotAllowed):
        _vote(resident, block)
    name_to_council(coordinator, resident)
    assert _vote(resident, block).created_by_id == resident.id
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEntry.action == Action.COUNCIL_MEMBER_NAMED)
        )
        == 1
    )


def test_times_in_the_past_and_owners_of_a_whole_community_are_refused(coordinator, block):
    with pytest.raises(InvalidInput):
        _vote(coordinator, block, opens_in=-timedelta(minutes=5))
    with pytest.raises(InvalidInput):
        _vote(coordinator, block, lasts=timedelta(0))
    with pytest.raises(InvalidInput):
        propose(coordinator, "community")
    with pytest.raises(InvalidInput):
        _vote(coordinator, block, lasts=timedelta(days=400))


def test_a_place_of_another_community_is_refused(coordinator, other_community):
    elsewhere = make_block(other_community, [5000], name="金狮新苑")
    with pytest.raises(InvalidInput):
        _vote(coordinator, elsewhere)


def test_one_ballot_each_change_until_close_then_nothing(coordinator, block, owners):
    vote = _vote(coordinator, block, opens_in=timedelta(days=1))
    zhang = owners["zhang"]
    with pytest.raises(Conflict):  # still under discussion
        cast_ballot(zhang, vote, "agree", now=NOW)
    cast_ballot(zhang, vote, "agree", now=during(vote))
    with pytest.raises(Conflict):
        cast_ballot(zhang, vote, "disagree", now=during(vote))
    change_ballot(zhang, vote, "disagree", now=during(vote))
    result = result_of(vote)
    assert result.by_choice["disagree"] == (1, 14000)
    assert result.by_choice["agree"] == (0, 0)
    with pytest.raises(Conflict, match="投票已经结束"):
        change_ballot(zhang, vote, "agree", now=after(vote))
    with pytest.raises(Conflict):
        cast_ballot(owners["zhao"], vote, "agree", now=after(vote))
    assert result_of(vote).by_choice["disagree"] == (1, 14000)
    assert db.session.scalar(select(func.count(VoteParticipation.id))) == 1


def test_co_owners_are_one_voter(coordinator, block, owners):
    vote = _vote(coordinator, block)
    cast_ballot(owners["li"], vote, "agree", now=during(vote))
    with pytest.raises(Conflict):
        cast_ballot(owners["wang"], vote, "disagree", now=during(vote))
    change_ballot(owners["wang"], vote, "disagree", now=during(vote))
    assert result_of(vote).by_choice["disagree"] == (1, 10000)
    assert result_of(vote).voted == 1


def test_someone_not_on_the_roll_or_family_may_not_vote(coordinator, block, owners, family, elder):
    vote = _vote(coordinator, block)
    own(block.homes[0], elder)  # too late: the roll was fixed when the proposal opened
    with pytest.raises(NotAllowed):
        cast_ballot(elder, vote, "agree", now=during(vote))
    with pytest.raises(NotAllowed):  # family do not vote for an owner
        cast_ballot(family, vote, "agree", voter=owners["zhao"], paper_number=1, now=during(vote))
    with pytest.raises(InvalidInput):
        cast_ballot(owners["zhao"], vote, "maybe", now=during(vote))


def test_a_coordinator_records_paper_ballots_with_unique_numbers(coordinator, block, owners):
    vote = _vote(coordinator, block)
    zhao, zhang = owners["zhao"], owners["zhang"]
    with pytest.raises(InvalidInput):
        cast_ballot(coordinator, vote, "agree", voter=zhao, now=during(vote))
    cast = cast_ballot(coordinator, vote, "agree", voter=zhao, paper_number=7, now=during(vote))
    assert cast.participation.entered_by_id == coordinator.id
    assert cast.participation.member_id == zhao.id
    with pytest.raises(Conflict, match="7"):
        cast_ballot(coordinator, vote, "agree", voter=zhang, paper_number=7, now=during(vote))
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == Action.PAPER_BALLOT_RECORDED)
    )
    assert entry.subject_id == zhao.id and "agree" not in entry.after
    assert result_of(vote).paper == 1


def test_result_applies_article_278(coordinator, block, owners):
    vote = _vote(coordinator, block)  # rebuild: three quarters
    for name, choice in (("zhang", "agree"), ("li", "agree"), ("zhao", "disagree")):
        cast_ballot(owners[name], vote, choice, now=during(vote))
    close_voting_now(coordinator, vote, now=during(vote) + timedelta(minutes=1))
    outcome = result_of(vote).outcome
    assert outcome.quorate
    # 2 of 3 owners agreed (< 3/4): not passed although the area is 24000 of 36000
    assert (outcome.agree_voters.part, outcome.agree_voters.whole) == (2, 3)
    assert not outcome.passed


def test_secret_ballots_link_no_voter_to_a_choice(coordinator, block, owners):
    vote = _vote(coordinator, block, secret=True)
    receipts = {}
    for name, choice in (("zhang", "agree"), ("li", "disagree"), ("zhao", "abstain")):
        receipts[name] = cast_ballot(owners[name], vote, choice, now=during(vote)).receipt
    assert all(receipts.values())
    # nothing stored says what anyone chose: not one row of any table holds a choice word
    # next to a voter, and the ballots hold no voter, no area and no time
    for ballot in db.session.scalars(select(Ballot)):
        assert (ballot.member_id, ballot.voter_key, ballot.choice, ballot.area_dm2) == (None,) * 4
        assert ballot.sealed and ballot.receipt_hash
        assert all(r.replace("-", "") not in ballot.sealed for r in receipts.values())
    assert set(db.session.scalars(select(VoteParticipation.choice))) == {None}
    voter_ids = {str(m.id) for m in owners.values()}
    for table in inspect(db.session.connection()).get_table_names():
        if table in ("civic_vote_tallies", "alembic_version"):
            continue
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            values = {str(v) for v in row}
            assert not ({"agree", "disagree", "abstain"} & values), (table, row)
    # the tally still knows
    assert result_of(vote).by_choice == {
        "agree": (1, 14000),
        "disagree": (1, 10000),
        "abstain": (1, 12000),
    }
    assert voter_ids  # (the rows above were checked for every voter's)


def test_a_secret_ballot_changes_only_with_its_receipt(coordinator, block, owners):
    vote = _vote(coordinator, block, secret=True)
    zhang, zhao = owners["zhang"], owners["zhao"]
    mine = cast_ballot(zhang, vote, "agree", now=during(vote)).receipt
    theirs = cast_ballot(zhao, vote, "agree", now=during(vote)).receipt
    with pytest.raises(InvalidInput):
        change_ballot(zhang, vote, "disagree", receipt="", now=during(vote))
    with pytest.raises(NotAllowed):
        change_ballot(zhang, vote, "disagree", receipt="0000-0000-0000-0000", now=during(vote))
    change_ballot(zhang, vote, "disagree", receipt=mine.lower().replace("-", " "), now=during(vote))
    assert result_of(vote).by_choice["agree"] == (1, 12000)
    assert result_of(vote).by_choice["disagree"] == (1, 14000)
    change_ballot(zhang, vote, "abstain", receipt=mine, now=during(vote))  # again, same receipt
    assert result_of(vote).by_choice["disagree"] == (0, 0)
    assert theirs != mine
    assert verify_votes(db.session) == []


def test_verify_finds_a_changed_ballot_and_a_moved_tally(coordinator, block, owners):
    vote = _vote(coordinator, block)
    for name in ("zhang", "li", "zhao"):
        cast_ballot(owners[name], vote, "agree", now=during(vote))
    db.session.flush()
    assert verify_votes(db.session) == []
    db.session.execute(text("UPDATE civic_ballots SET choice = 'disagree' WHERE seq = 2"))
    db.session.expire_all()
    broken = verify_votes(db.session)
    assert [b.consultation_id for b in broken] == [vote.id]
    assert "ballot 2 was changed" in broken[0].message
    db.session.execute(text("UPDATE civic_ballots SET choice = 'agree' WHERE seq = 2"))
    db.session.execute(
        text("UPDATE civic_vote_tallies SET voters = voters + 1 WHERE choice = 'disagree'")
    )
    db.session.expire_all()
    assert "tally" in verify_votes(db.session)[0].message
    db.session.execute(
        text("UPDATE civic_vote_tallies SET voters = voters - 1 WHERE choice = 'disagree'")
    )
    db.session.execute(text("UPDATE civic_vote_participations SET choice = 'abstain'"))
    db.session.expire_all()
    assert "who voted what" in verify_votes(db.session)[0].message


def test_moderation_hides_and_shows_comments_with_an_audit(coordinator, block, owners):
    vote = _vote(coordinator, block, opens_in=timedelta(days=1))
    zhang = owners["zhang"]
    comment = add_comment(zhang, vote, "电梯好！", now=NOW)
    with pytest.raises(NotAllowed):
        set_comment_hidden(zhang, vote, comment.id, hidden=True, reason="x")
    with pytest.raises(InvalidInput):
        set_comment_hidden(coordinator, vote, comment.id, hidden=True, reason=" ")
    set_comment_hidden(coordinator, vote, comment.id, hidden=True, reason="人身攻击")
    assert comments_for(zhang, vote) == []
    assert comments_for(coordinator, vote) == [comment]
    set_comment_hidden(coordinator, vote, comment.id, hidden=False)
    assert comments_for(zhang, vote) == [comment]
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {Action.CONSULTATION_COMMENT_HIDDEN, Action.CONSULTATION_COMMENT_SHOWN} <= actions
    with pytest.raises(Conflict):
        add_comment(zhang, vote, "还有吗", now=after(vote))


def test_start_and_close_now_are_the_coordinators_and_audited(coordinator, block, owners):
    vote = _vote(coordinator, block, opens_in=timedelta(days=1))
    with pytest.raises(NotAllowed):
        start_voting_now(owners["zhang"], vote, now=NOW)
    start_voting_now(coordinator, vote, now=NOW)
    cast_ballot(owners["zhang"], vote, "agree", now=NOW + timedelta(seconds=1))
    with pytest.raises(Conflict):
        start_voting_now(coordinator, vote, now=NOW + timedelta(seconds=2))
    close_voting_now(coordinator, vote, now=NOW + timedelta(seconds=3))
    with pytest.raises(Conflict):
        close_voting_now(coordinator, vote, now=NOW + timedelta(seconds=4))
    with pytest.raises(Conflict):
        change_ballot(owners["zhang"], vote, "disagree", now=NOW + timedelta(seconds=5))


def test_a_proposal_is_seen_by_its_community_its_roll_and_its_staff(
    coordinator, block, owners, people, far_people, make_member, other_community
):
    outside_owner = make_member("外社区业主", community=other_community)
    own(block.homes[0], outside_owner)
    vote = _vote(coordinator, block)
    for who in (coordinator, people["elder"], people["street_admin"], outside_owner):
        assert consultation_for(who, vote.id) == vote
    for who in (people["other_coordinator"], *far_people.values()):
        with pytest.raises(NotFound):
            consultation_for(who, vote.id)
    with pytest.raises(NotFound):
        consultation_for(coordinator, 2**40)
    assert people["other_coordinator"].role == Role.COORDINATOR


def test_the_unique_constraint_refuses_a_second_ballot_the_check_missed(
    coordinator, block, owners, monkeypatch
):
    """Were the check before the insert ever to miss (a lock not taken), the database's
    unique (consultation, voter) constraint still refuses, as "already cast"."""
    from civic import vote_services

    vote = _vote(coordinator, block)
    cast_ballot(owners["zhao"], vote, "agree", now=during(vote))
    monkeypatch.setattr(vote_services, "participation_of", lambda consultation, member: None)
    with pytest.raises(Conflict, match="已经投过了"):
        cast_ballot(owners["zhao"], vote, "disagree", now=during(vote))
    assert result_of(vote).by_choice["agree"] == (1, 12000)
    assert db.session.scalar(select(func.count(Ballot.id))) == 1


@pytest.mark.parametrize(
    ("today", "born", "adult"),
    [
        (date(2026, 3, 1), date(2008, 3, 1), True),  # eighteen today
        (date(2026, 2, 28), date(2008, 3, 1), False),
        (date(2026, 2, 28), date(2008, 2, 29), False),  # a leap-day child: not yet
        (date(2026, 3, 1), date(2008, 2, 29), True),
        (date(2028, 2, 29), date(2010, 2, 28), True),
        (date(2028, 2, 29), date(2010, 3, 1), False),
    ],
)
def test_adults_are_eighteen_on_the_day_as_a_member_counts_their_age(today, born, adult):
    assert (born <= adult_born_by(today)) is adult
    assert (User(birth_date=born).age_on(today) >= 18) is adult
