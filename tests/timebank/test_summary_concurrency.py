"""Eight writers posting to one community while a reader reads its figures.

The writers give hours between members born in different years (so each
transfer moves two summary rows, in either direction), confirm visits (the
month's and the volunteer's rows) and change birth dates (which moves a
balance between rows under the account's lock), all at once; a ninth thread
reads the coordinator's figures the whole time. Nobody deadlocks or crashes
(on PostgreSQL a lock cycle would be aborted with "deadlock detected"), and at
the end the summaries equal a full recount and the figures add up.
"""

from __future__ import annotations

import random
import threading
from datetime import date

import pytest
from sqlalchemy import select

from community.models import Role, User
from extensions import db
from timebank import summaries
from timebank.accounts import member_account
from timebank.clock import local_today
from timebank.figures import figures_for
from timebank.ledger import post_transfer
from timebank.models import ServiceRecord, TransferKind
from timebank.summary_models import MemberYear
from timebank.verify import verify_ledger
from timebank.visits import confirm_visit, log_visit

from .support import correct_birth_date, key, top_up
from .test_concurrency import THREADS, Outcome, attempt

pytestmark = pytest.mark.concurrency

BIRTH_YEARS = (1940, 1952, 1961, 1966, 1975, 1990)


def test_writers_and_a_figures_reader_agree_with_a_recount(app, make_member):
    coordinator = make_member("统计社工", age=45, role=Role.COORDINATOR)
    members = [make_member(f"写者{i}", age=None) for i in range(len(BIRTH_YEARS))]
    for member, year in zip(members, BIRTH_YEARS, strict=True):
        member.birth_date = date(year, 6, 15)
        top_up(member, 600)
    accounts = [member_account(m).id for m in members]
    ids = [m.id for m in members]
    coordinator_id = coordinator.id
    db.session.commit()  # the test's own transaction holds no lock while the threads run

    start = threading.Barrier(THREADS + 1)
    outcomes = [Outcome() for _ in range(THREADS)]
    reads: list[int] = []
    reader_errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def writer(index: int) -> None:
        outcome = outcomes[index]
        rng = random.Random(index)
        logged: list[int] = []  # the visit this writer logged, until it is confirmed
        with app.app_context():
            start.wait()
            try:
                for n in range(10):
                    roll = rng.random()
                    if roll < 0.5:
                        source, target = rng.sample(accounts, 2)
                        attempt(
                            outcome,
                            lambda s=source, t=target: post_transfer(
                                from_account_id=s,
                                to_account_id=t,
                                minutes=rng.randint(5, 30),
                                kind=TransferKind.GIFT,
                                idempotency_key=key(),
                                entered_by=None,
                            ),
                        )
                    elif roll < 0.85:
                        volunteer_id, recipient_id = rng.sample(ids, 2)

                        # logged and confirmed in two requests, as the volunteer and the
                        # person served do (logging locks the volunteer's account first)
                        def visit(v=volunteer_id, r=recipient_id, minutes=15 + n):
                            volunteer, recipient = db.session.get(User, v), db.session.get(User, r)
                            logged.append(
                                log_visit(
                                    volunteer=volunteer,
                                    recipient=recipient,
                                    category="companionship",
                                    service_date=local_today(),
                                    minutes=minutes,
                                    entered_by=volunteer,
                                    idempotency_key=key(),
                                ).id
                            )

                        def confirm():
                            record = db.session.get(ServiceRecord, logged.pop())
                            return confirm_visit(record, by=record.recipient)

                        attempt(outcome, visit)
                        if logged:
                            attempt(outcome, confirm)
                    else:

                        def birthday(m=rng.choice(ids), year=rng.choice(BIRTH_YEARS)):
                            day = date(year, rng.randint(1, 12), rng.randint(1, 28))
                            correct_birth_date(m, coordinator_id, day)

                        attempt(outcome, birthday)
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcome.crashed.append(error)

    def reader() -> None:
        with app.app_context():
            start.wait()
            try:
                # reads while the writers write; on a loaded machine the writers may
                # finish first, so it reads on until it has read a few times in all
                while writing.is_set() or len(reads) < 3:
                    shown = figures_for(db.session.get(User, coordinator_id), today=local_today())
                    reads.append(shown.monthly.total)
                    db.session.rollback()
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                reader_errors.append(error)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
    watcher = threading.Thread(target=reader)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    writing.clear()
    watcher.join(timeout=60)
    assert not any(t.is_alive() for t in [*threads, watcher]), "a thread hung (deadlock?)"
    crashes = [repr(e) for outcome in outcomes for e in outcome.crashed] + [
        repr(e) for e in reader_errors
    ]
    assert crashes == []
    assert len(reads) >= 2 and reads == sorted(reads)  # confirmed minutes only ever grow

    assert verify_ledger(db.session) == []
    assert summaries.differences(db.session) == []
    shown = figures_for(db.session.get(User, coordinator_id), today=local_today())
    balances = sum(
        db.session.scalars(
            select(MemberYear.balance_minutes).where(
                MemberYear.community_id == members[0].community_id
            )
        )
    )
    assert shown.liability.stored == balances
    assert shown.liability.stored + shown.liability.guarantee + shown.liability.fund == 0
