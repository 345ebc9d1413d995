"""(b) PostgreSQL with 8 concurrent worker processes: the service path against raw psycopg.

Each worker process holds both sides (so the GIL favours neither) and all of
them switch between the service and the raw driver together, a few times, so
a busy machine weighs on both alike. Same database, same kind of account
pairs, same statements: SELECT … FOR UPDATE of both accounts in id order,
INSERT the transfer, UPDATE both balances, COMMIT.
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
    chained_row,
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


class ServiceSide:
    """post_transfer + commit, inside one app context held for the whole run."""

    def __init__(self, ledger: BenchLedger, worker: int) -> None:
        self.app = bench_app(ledger.url)
        self.picker = PairPicker(ledger.account_ids, seed=100 + worker)
        self.run = f"bench:pg:service:{uuid.uuid4().hex[:8]}"
        self.count = 0
        with self.app.app_context():
            # Loaded once and detached (as a request holds current_user), so the
            # commit after each transfer does not make every next one reload it.
            self.entered_by = db.session.get(User, ledger.entered_by_id)
        self.context = self.app.app_context()
        self.context.push()

    def transfer(self) -> None:
        source, target = self.picker.pick()
        self.count += 1
        post_transfer(
            from_account_id=source,
            to_account_id=target,
            minutes=AMOUNT,
            kind=KIND,
            idempotency_key=f"{self.run}:{self.count}",
            entered_by=self.entered_by,
        )
        db.session.commit()

    def close(self) -> None:
        db.session.remove()
        db.engine.dispose()
        self.context.pop()


class RawSide:
    """The same statements through psycopg, one transaction per transfer."""

    def __init__(self, ledger: BenchLedger, worker: int) -> None:
        conninfo = make_url(ledger.url).set(drivername="postgresql").render_as_string(False)
        self.connection = psycopg.connect(conninfo)
        self.picker = PairPicker(ledger.account_ids, seed=200 + worker)
        self.entered_by_id = ledger.entered_by_id
        self.run = f"bench:pg:raw:{uuid.uuid4().hex[:8]}"
        self.count = 0

    def transfer(self) -> None:
        source, target = self.picker.pick()
        self.count += 1
        connection = self.connection
        try:
            with connection.cursor() as cursor:
                cursor.execute(POSTGRES_LOCK, sorted((source, target)))
                locked = check_limits(cursor.fetchall(), source, target, postgres=True)
                values, digest = chained_row(
                    locked, source, target, self.entered_by_id, f"{self.run}:{self.count}", utcnow()
                )
                cursor.execute(
                    POSTGRES_INSERT,
                    (*list(values.values())[:-1], values["created_at"], digest),
                )
                cursor.fetchone()
                cursor.execute(POSTGRES_MOVE, (-AMOUNT, digest, source))
                cursor.execute(POSTGRES_MOVE, (AMOUNT, digest, target))
                for statement, parameters in locked.summary_moves:
                    cursor.execute(statement, parameters)
            connection.commit()
        except Exception:
            connection.rollback()
            raise

    def close(self) -> None:
        self.connection.close()


def _run_for(transfer, seconds: float) -> int:
    deadline = time.perf_counter() + seconds
    done = 0
    while time.perf_counter() < deadline:
        transfer()
        done += 1
    return done


def worker(ledger: BenchLedger, n: int, turn_seconds: float, rounds: int, barrier, results):
    """One process with both sides; all workers switch sides together at the barrier."""
    service, raw = ServiceSide(ledger, n), RawSide(ledger, n)
    counts = {"service": 0, "raw": 0}
    try:
        for _ in range(WARM_UP):
            service.transfer()
            raw.transfer()
        for _ in range(rounds):
            for name, side in (("service", service), ("raw", raw)):
                barrier.wait(START_TIMEOUT)
                counts[name] += _run_for(side.transfer, turn_seconds)
    finally:
        service.close()
        raw.close()
    results.put(counts)


def compare(
    ledger: BenchLedger, seconds: float, rounds: int = 4, workers: int = WORKERS
) -> tuple[Outcome, Outcome]:
    """``workers`` processes alternate service and raw turns, ``rounds`` times each."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    turn = seconds / rounds
    processes = [
        context.Process(target=worker, args=(ledger, n, turn, rounds, barrier, results))
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        counts = [results.get(timeout=START_TIMEOUT + 2 * seconds + 60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
    if any(p.exitcode != 0 for p in processes):
        raise RuntimeError("a benchmark worker failed; see its traceback above")
    return (
        Outcome(sum(c["service"] for c in counts), seconds),
        Outcome(sum(c["raw"] for c in counts), seconds),
    )
