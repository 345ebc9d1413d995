"""Fifty threads cast the same five owners' ballots at once (ten each, with different
choices): each owner ends with exactly one ballot, every other attempt is refused as
"already cast", the tally counts five, and the chain still verifies. On SQLite and
PostgreSQL, each thread with its own session committing like a request."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from civic.consultation_models import Consultation
from civic.errors import Conflict
from civic.vote_chain import verify_votes
from civic.vote_models import Ballot, VoteParticipation
from civic.vote_services import cast_ballot, result_of
from community.models import User
from extensions import db

from .vote_support import during, make_block, own, propose

pytestmark = pytest.mark.concurrency

THREADS = 50
CHOICES = ("agree", "disagree", "abstain")


@pytest.mark.parametrize("secret", [False, True], ids=["open", "secret"])
def test_fifty_threads_give_each_voter_one_ballot(app, coordinator, make_member, secret):
    block = make_block(coordinator.community, [6000, 7000, 8000, 9000, 10000])
    owners = [make_member(f"业主{i}") for i in range(5)]
    for home, owner in zip(block.homes, owners, strict=True):
        own(home, owner)
    vote = propose(coordinator, f"building:{block.building.id}", secret=secret)
    when, vote_id = during(vote), vote.id
    owner_ids = [o.id for o in owners]
    db.session.commit()  # the threads see it; the test holds no lock while they run

    start = threading.Barrier(THREADS)
    outcomes: Counter = Counter()
    crashes: list[str] = []
    lock = threading.Lock()

    def thread(index: int) -> None:
        with app.app_context():
            start.wait()
            try:
                voter = db.session.get(User, owner_ids[index % 5])
                consultation = db.session.get(Consultation, vote_id)
                cast_ballot(voter, consultation, CHOICES[index % 3], now=when)
                db.session.commit()
                result = "cast"
            except Conflict:
                db.session.rollback()
                result = "refused"
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                with lock:
                    crashes.append(repr(error))
                return
            finally:
                db.session.remove()
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert crashes == []
    assert outcomes == {"cast": 5, "refused": 45}

    db.session.expire_all()
    per_voter = db.session.execute(
        select(VoteParticipation.voter_key, func.count())
        .where(VoteParticipation.consultation_id == vote_id)
        .group_by(VoteParticipation.voter_key)
    ).all()
    assert sorted(per_voter) == sorted((owner_id, 1) for owner_id in owner_ids)
    assert db.session.scalar(select(func.count(Ballot.id))) == 5
    consultation = db.session.get(Consultation, vote_id)
    result = result_of(consultation)
    assert (result.voted, result.voted_area_dm2) == (5, 40000)
    assert verify_votes(db.session) == []
