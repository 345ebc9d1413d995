"""(b) PostgreSQL with 8 concurrent worker processes: the service path against raw psycopg.

Both sides use processes (so the GIL favours neither), the same database, the
same pairs of accounts and the same statements: SELECT … FOR UPDATE of both
accounts in id order, INSERT the transfer, UPDATE both balances, COMMIT.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from bench.databases import BenchLedger, bench_app
from bench.pairs import (
    AMOUNT,
    KIND,
    POSTGRES_INSERT,
    POSTGRES_LOCK,
    POSTGRES_MOVE,
    PairPicker,
    check_limits,
)
from community.models import User, utcnow
from extensions import db
from timebank.ledger import post_transfer

WORKERS = 8
WARM_UP = 20
START_TIMEOUT = 120


@dataclass
class Outcome:
    transfers: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.transfers / self.seconds if self.seconds else 0.0


def _timed(transfer, seconds: float, barrier) -> int:
    for _ in range(WARM_UP):
        transfer()
    barrier.wait(START_TIMEOUT)
    deadline = time.perf_counter() + seconds
    done = 0
    while time.perf_counter() < deadline:
        transfer()
        done += 1
    return done


def service_worker(ledger: BenchLedger, worker: int, seconds: float, barrier, results) -> None:
    """post_transfer + commit in a loop, inside one app context, for ``seconds``."""
    app = bench_app(ledger.url)
    picker = PairPicker(ledger.account_ids, seed=100 + worker)
    run = f"bench:pg:service:{uuid.uuid4().hex[:8]}"
    count = 0
    with app.app_context():
        # Loaded once and detached (as a request holds current_user), so the
        # commit after each transfer does not make every next one reload it.
        entered_by = db.session.get(User, ledger.entered_by_id)
    with app.app_context():

        def transfer() -> None:
            nonlocal count
            source, target = picker.pick()
            count += 1
            post_transfer(
                from_account_id=source,
                to_account_id=target,
                minutes=AMOUNT,
                kind=KIND,
                idempotency_key=f"{run}:{count}",
                entered_by=entered_by,
            )
            db.session.commit()

        results.put(_timed(transfer, seconds, barrier))
        db.session.remove()
        db.engine.dispose()


def raw_worker(ledger: BenchLedger, worker: int, seconds: float, barrier, results) -> None:
    """The same statements through psycopg, one transaction per transfer."""
    conninfo = make_url(ledger.url).set(drivername="postgresql").render_as_string(False)
    picker = PairPicker(ledger.account_ids, seed=200 + worker)
    run = f"bench:pg:raw:{uuid.uuid4().hex[:8]}"
    count = 0
    with psycopg.connect(conninfo) as connection:

        def transfer() -> None:
            nonlocal count
            source, target = picker.pick()
            count += 1
            with connection.cursor() as cursor:
                cursor.execute(POSTGRES_LOCK, sorted((source, target)))
                check_limits(cursor.fetchall(), source, target)
                cursor.execute(
                    POSTGRES_INSERT,
                    (
                        source,
                        target,
                        AMOUNT,
                        KIND,
                        "",
                        ledger.entered_by_id,
                        None,
                        f"{run}:{count}",
                        None,
                        utcnow(),
                    ),
                )
                cursor.fetchone()
                cursor.execute(POSTGRES_MOVE, (-AMOUNT, source))
                cursor.execute(POSTGRES_MOVE, (AMOUNT, target))
            connection.commit()

        results.put(_timed(transfer, seconds, barrier))


def run_workers(target, ledger: BenchLedger, seconds: float, workers: int = WORKERS) -> Outcome:
    """Start ``workers`` processes running ``target``; count transfers over ``seconds``."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(ledger, n, seconds, barrier, results))
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        counts = [results.get(timeout=START_TIMEOUT + seconds + 30) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} benchmark worker(s) failed")
    return Outcome(sum(counts), seconds)


def compare(ledger: BenchLedger, seconds: float, rounds: int = 2) -> tuple[Outcome, Outcome]:
    """Alternate service and raw runs ``rounds`` times; return the summed outcomes."""
    service, raw = Outcome(0, 0.0), Outcome(0, 0.0)
    for _ in range(rounds):
        for outcome, target in ((service, service_worker), (raw, raw_worker)):
            result = run_workers(target, ledger, seconds / rounds)
            outcome.transfers += result.transfers
            outcome.seconds += result.seconds
    return service, raw
