"""(a) SQLite at the durability the app ships with: the service path against raw sqlite3.

Both sides use the same database file and the same PRAGMAs (storage.py: WAL,
synchronous=FULL, foreign keys, busy timeout), begin with BEGIN IMMEDIATE,
read both accounts joined to their community, insert the transfer, update
both balances and commit — one transfer per transaction, as one request does.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass

from sqlalchemy.engine import make_url

import storage
from bench.databases import BenchLedger, bench_app
from bench.pairs import (
    AMOUNT,
    KIND,
    SQLITE_INSERT,
    SQLITE_LOCK,
    SQLITE_MOVE,
    PairPicker,
    chained_row,
    check_limits,
    sqlite_timestamp,
)
from community.models import User, utcnow
from extensions import db
from timebank.ledger import post_transfer

WARM_UP = 50


@dataclass
class Tally:
    transfers: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.transfers / self.seconds if self.seconds else 0.0


class ServicePath:
    """post_transfer + db.session.commit() per transfer, as a view does.

    By default the loop runs inside one app context; with ``per_request`` each
    transfer gets its own (a new session and connection checkout, as a request).
    """

    def __init__(self, ledger: BenchLedger, per_request: bool = False) -> None:
        self.app = bench_app(ledger.url)
        self.per_request = per_request
        self.picker = PairPicker(ledger.account_ids, seed=1)
        with self.app.app_context():
            # The acting user, loaded once: a request loads it before the view runs.
            self.entered_by = db.session.get(User, ledger.entered_by_id)
        self.run = f"bench:sqlite:service:{uuid.uuid4().hex[:8]}"
        self.count = 0
        self.context = None if per_request else self.app.app_context()
        if self.context is not None:
            self.context.push()

    def transfer(self) -> None:
        if self.per_request:
            with self.app.app_context():
                self._post()
        else:
            self._post()

    def _post(self) -> None:
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
        if self.context is not None:
            db.session.remove()
            self.context.pop()
        with self.app.app_context():
            db.engine.dispose()


class RawPath:
    """The same statements through sqlite3, with storage.py's connection settings."""

    def __init__(self, ledger: BenchLedger) -> None:
        path = make_url(ledger.url).database
        self.connection = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            f"PRAGMA busy_timeout = {storage.SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = FULL",
            "PRAGMA foreign_keys = ON",
        ):
            self.connection.execute(pragma)
        self.picker = PairPicker(ledger.account_ids, seed=2)
        self.entered_by_id = ledger.entered_by_id
        self.run = f"bench:sqlite:raw:{uuid.uuid4().hex[:8]}"
        self.count = 0

    def transfer(self) -> None:
        source, target = self.picker.pick()
        self.count += 1
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            locked = check_limits(
                connection.execute(SQLITE_LOCK, sorted((source, target))).fetchall(), source, target
            )
            values, digest = chained_row(
                locked, source, target, self.entered_by_id, f"{self.run}:{self.count}", utcnow()
            )
            connection.execute(
                SQLITE_INSERT,
                (*list(values.values())[:-1], sqlite_timestamp(values["created_at"]), digest),
            ).fetchone()
            connection.execute(SQLITE_MOVE, (-AMOUNT, digest, source))
            connection.execute(SQLITE_MOVE, (AMOUNT, digest, target))
            for statement, parameters in locked.summary_moves:
                connection.execute(statement, parameters)
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.connection.close()


def _run_for(path, seconds: float, tally: Tally) -> None:
    started = time.perf_counter()
    deadline = started + seconds
    done = 0
    while time.perf_counter() < deadline:
        path.transfer()
        done += 1
    tally.transfers += done
    tally.seconds += time.perf_counter() - started


def compare(
    ledger: BenchLedger, seconds: float, rounds: int = 6, per_request: bool = False
) -> tuple[Tally, Tally]:
    """Alternate the two paths ``rounds`` times (fair on a busy machine); return their tallies."""
    service, raw = ServicePath(ledger, per_request), RawPath(ledger)
    try:
        for _ in range(WARM_UP):
            service.transfer()
            raw.transfer()
        service_tally, raw_tally = Tally(), Tally()
        for _ in range(rounds):
            _run_for(service, seconds / rounds, service_tally)
            _run_for(raw, seconds / rounds, raw_tally)
    finally:
        service.close()
        raw.close()
    return service_tally, raw_tally
