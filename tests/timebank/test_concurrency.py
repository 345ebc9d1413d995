"""Invariant 6: concurrent transfers never lose an update, on SQLite and PostgreSQL.

Eight threads, each with its own app context and session, fire transfers and
holds at the same few accounts, some of which would breach a floor. Each
thread commits what succeeds and rolls back what a rule refused, exactly as a
request does. Afterwards every successful transfer is there exactly once, the
balances equal the sums, no floor was breached and ``verify_ledger`` is clean.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

import pytest
from sqlalchemy import func, select

from community.models import User
from community.services import link_family
from errors import DomainError
from extensions import db
from timebank.accounts import member_account
from timebank.clock import local_today
from timebank.errors import AlreadySettled, AlreadySubmitted, BelowFloor
from timebank.ledger import place_hold, post_transfer
from timebank.models import Account, Hold, HoldStatus, ServiceRecord, Transfer, TransferKind
from timebank.verify import verify_ledger
from timebank.visits import confirm_visit, log_visit

from .support import key, top_up

pytestmark = pytest.mark.concurrency

THREADS = 8
START = 60  # minutes each member starts with: small, so many transfers would breach the floor


@dataclass
class Outcome:
    """What one thread saw: its committed transfers and holds, and each refusal."""

    transfers: list[tuple[str, int, int, int]] = field(default_factory=list)
    holds: list[tuple[int, int]] = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)
    crashed: list[BaseException] = field(default_factory=list)


def run_threads(app, work) -> list[Outcome]:
    """Run ``work(index, outcome)`` in THREADS threads at once, each in its own app context."""
    # Committing ends the test's own transaction, so it holds no lock while the threads run
    # (it must not touch the database again until they finish).
    db.session.commit()
    start = threading.Barrier(THREADS)
    outcomes = [Outcome() for _ in range(THREADS)]

    def thread(index: int) -> None:
        outcome = outcomes[index]
        with app.app_context():
            start.wait()
            try:
                work(index, outcome)
            except BaseException as error:  # noqa: BLE001 - reported by the test below
                db.session.rollback()
                outcome.crashed.append(error)

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    crashes = [repr(error) for outcome in outcomes for error in outcome.crashed]
    assert crashes == []
    return outcomes


def attempt(outcome: Outcome, action) -> bool:
    """Run one unit of work like a request: commit on success, roll back on a refusal."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        outcome.refused[type(error).__name__] += 1
        return False
    db.session.commit()
    return result is not False


def test_transfers_and_holds_from_many_threads_lose_nothing(app, make_member):
    members = [make_member(f"并发{i}") for i in range(4)]
    for member in members:
        top_up(member, START)
    accounts = [member_account(m).id for m in members]
    before = dict(db.session.execute(select(Account.id, Account.balance_minutes)).all())

    def work(index: int, outcome: Outcome) -> None:
        rng = random.Random(index)
        for _ in range(12):
            source, target = rng.sample(accounts, 2)
            minutes = rng.randint(5, 45)
            if rng.random() < 0.25:
                hold = partial(
                    place_hold,
                    account_id=source,
                    minutes=minutes,
                    reason="并发",
                    idempotency_key=key(),
                    entered_by=None,
                )
                if attempt(outcome, hold):
                    outcome.holds.append((source, minutes))
                continue
            transfer_key = key()
            gift = partial(
                post_transfer,
                from_account_id=source,
                to_account_id=target,
                minutes=minutes,
                kind=TransferKind.GIFT,
                idempotency_key=transfer_key,
                entered_by=None,
            )
            if attempt(outcome, gift):
                outcome.transfers.append((transfer_key, source, target, minutes))

    outcomes = run_threads(app, work)

    posted = [t for outcome in outcomes for t in outcome.transfers]
    refused = sum((outcome.refused for outcome in outcomes), Counter())
    assert posted and refused["BelowFloor"] > 0, "the test must both post and hit the floor"
    assert set(refused) <= {"BelowFloor"}, refused

    # every successful transfer is present exactly once, and nothing else was written
    rows = db.session.execute(
        select(
            Transfer.idempotency_key,
            Transfer.from_account_id,
            Transfer.to_account_id,
            Transfer.amount_minutes,
        ).where(Transfer.kind == TransferKind.GIFT)
    ).all()
    assert sorted(tuple(row) for row in rows) == sorted(posted)

    # balances equal the starting balances plus what the threads were told succeeded
    expected = dict(before)
    for _, source, target, minutes in posted:
        expected[source] -= minutes
        expected[target] += minutes
    actual = dict(db.session.execute(select(Account.id, Account.balance_minutes)).all())
    assert actual == expected

    held = Counter()
    for outcome in outcomes:
        for account, minutes in outcome.holds:
            held[account] += minutes
    for account in db.session.scalars(select(Account).where(Account.id.in_(accounts))):
        assert account.held_minutes == held[account.id]
        assert account.available_minutes >= 0, f"account {account.id} breached its floor"
    open_holds = db.session.scalar(
        select(func.count(Hold.id)).where(Hold.status == HoldStatus.OPEN)
    )
    assert open_holds == sum(len(outcome.holds) for outcome in outcomes)
    assert verify_ledger(db.session) == []


def test_one_idempotency_key_from_many_threads_posts_once(app, make_member, elder):
    giver = make_member("手快的")
    link_family(by=elder, elder=elder, relative=giver)
    top_up(giver, 500)
    source, target = member_account(giver).id, member_account(elder).id

    def work(index: int, outcome: Outcome) -> None:
        if attempt(
            outcome,
            lambda: post_transfer(
                from_account_id=source,
                to_account_id=target,
                minutes=50,
                kind=TransferKind.GIFT,
                idempotency_key="one-double-click",
                entered_by=None,
            ),
        ):
            outcome.transfers.append(("one-double-click", source, target, 50))

    outcomes = run_threads(app, work)

    assert sum(len(outcome.transfers) for outcome in outcomes) == 1
    refused = sum((outcome.refused for outcome in outcomes), Counter())
    assert refused == Counter({AlreadySubmitted.__name__: THREADS - 1})
    count = db.session.scalar(
        select(func.count(Transfer.id)).where(Transfer.idempotency_key == "one-double-click")
    )
    assert count == 1
    assert member_account(giver).balance_minutes == 450
    assert member_account(elder).balance_minutes == 50
    assert verify_ledger(db.session) == []


def test_one_visit_confirmed_from_many_threads_posts_once(
    app, make_member, volunteer, elder, coordinator
):
    son = make_member("儿子", age=50)
    link_family(by=elder, elder=elder, relative=son)
    record = log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        service_date=local_today(),
        minutes=90,
        entered_by=volunteer,
        idempotency_key=key(),
    )
    record_id = record.id
    deciders = [elder.id, son.id, coordinator.id]

    def work(index: int, outcome: Outcome) -> None:
        by = db.session.get(User, deciders[index % len(deciders)])
        visit = db.session.get(ServiceRecord, record_id)
        if attempt(outcome, lambda: confirm_visit(visit, by=by)):
            outcome.transfers.append((f"visit:{record_id}", 0, 0, 90))

    outcomes = run_threads(app, work)

    assert sum(len(outcome.transfers) for outcome in outcomes) == 1
    refused = sum((outcome.refused for outcome in outcomes), Counter())
    assert set(refused) <= {AlreadySettled.__name__, AlreadySubmitted.__name__}
    assert sum(refused.values()) == THREADS - 1
    assert (
        db.session.scalar(
            select(func.count(Transfer.id)).where(Transfer.idempotency_key == f"visit:{record_id}")
        )
        == 1
    )
    assert member_account(volunteer).balance_minutes == 90
    assert db.session.get(ServiceRecord, record_id).transfer_id is not None
    assert verify_ledger(db.session) == []


def test_floor_holds_when_every_thread_spends_the_same_account(app, make_member, elder):
    """Eight threads each try to give away 40 of the same 100 minutes: exactly two succeed."""
    giver = make_member("大方的")
    link_family(by=elder, elder=elder, relative=giver)
    top_up(giver, 100)
    source, target = member_account(giver).id, member_account(elder).id

    def work(index: int, outcome: Outcome) -> None:
        transfer_key = key()
        if attempt(
            outcome,
            lambda: post_transfer(
                from_account_id=source,
                to_account_id=target,
                minutes=40,
                kind=TransferKind.GIFT,
                idempotency_key=transfer_key,
                entered_by=None,
            ),
        ):
            outcome.transfers.append((transfer_key, source, target, 40))

    outcomes = run_threads(app, work)

    assert sum(len(outcome.transfers) for outcome in outcomes) == 2
    refused = sum((outcome.refused for outcome in outcomes), Counter())
    assert refused == Counter({BelowFloor.__name__: THREADS - 2})
    assert member_account(giver).balance_minutes == 20
    assert member_account(elder).balance_minutes == 80
    assert verify_ledger(db.session) == []
