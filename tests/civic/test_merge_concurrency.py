"""Two coordinators merging the same reports at once lose nothing.

Each round reports two problems of the same kind with "me too"s on each; then two
coordinators, each in a thread with its own session (as two requests), merge them at
the same moment: one the first into the second, the other the second into the first
(or both the same way). Exactly one merge is made, the other is refused with a clean
Conflict, no problem is merged into one that was itself merged, and every reporter and
"me too" is counted on the problem left open. On PostgreSQL the rows are locked in id
order (SELECT … FOR UPDATE), so the crossed merges cannot deadlock either.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from civic.errors import Conflict
from civic.problem_flow import merge_problem
from civic.problem_models import Problem, ProblemStatus, ProblemSupport
from civic.problems import me_too
from community.models import Role, User
from extensions import db
from tests.civic.problem_scene import a_problem, compound_in

pytestmark = pytest.mark.concurrency

ROUNDS = 8


def test_two_coordinators_merging_the_same_reports_at_once_lose_nothing(
    app, community, make_member
):
    place = compound_in(community)
    first_coordinator = make_member("张社工", role=Role.COORDINATOR)
    second_coordinator = make_member("李社工", role=Role.COORDINATOR)
    neighbours = [make_member(f"邻居{i}") for i in range(3)]
    pairs = []
    for round_number in range(ROUNDS):
        one = a_problem(make_member(f"报告甲{round_number}"), place)
        two = a_problem(make_member(f"报告乙{round_number}"), place)
        me_too(by=neighbours[0], problem_id=one.id)
        me_too(by=neighbours[1], problem_id=two.id)
        me_too(by=neighbours[2], problem_id=one.id)
        me_too(by=neighbours[2], problem_id=two.id)
        pairs.append((one.id, two.id))
    coordinators = (first_coordinator.id, second_coordinator.id)
    db.session.commit()

    outcomes: Counter = Counter()
    crashed: list[str] = []
    results = threading.Lock()

    def merge(coordinator_id: int, problem_id: int, into_id: int, start: threading.Barrier):
        with app.app_context():
            start.wait()
            try:
                merge_problem(
                    by=db.session.get(User, coordinator_id), problem_id=problem_id, into_id=into_id
                )
                db.session.commit()
                with results:
                    outcomes["merged"] += 1
            except Conflict:
                db.session.rollback()
                with results:
                    outcomes["conflict"] += 1
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                with results:
                    crashed.append(repr(error))
            finally:
                db.session.remove()

    for number, (one, two) in enumerate(pairs):
        crossed = number % 2 == 0  # even rounds: crossed merges; odd: both the same way
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=merge, args=(coordinators[0], one, two, start)),
            threading.Thread(
                target=merge,
                args=(coordinators[1], *((two, one) if crossed else (one, two)), start),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a merge hung (deadlock?)"

    assert crashed == []
    assert outcomes == Counter({"merged": ROUNDS, "conflict": ROUNDS})
    db.session.expire_all()
    for one, two in pairs:
        problems = {
            p.id: p for p in db.session.scalars(select(Problem).where(Problem.id.in_((one, two))))
        }
        merged = [p for p in problems.values() if p.status == ProblemStatus.MERGED]
        left = [p for p in problems.values() if p.status == ProblemStatus.REPORTED]
        assert len(merged) == 1 and len(left) == 1
        merged, left = merged[0], left[0]
        assert merged.merged_into_id == left.id
        supporters = set(
            db.session.scalars(
                select(ProblemSupport.member_id).where(ProblemSupport.problem_id == left.id)
            )
        )
        # the merged report's reporter and all three neighbours, each once
        assert supporters == {merged.reporter_id, *(n.id for n in neighbours)}
        assert left.me_too_count == len(supporters) == 4
