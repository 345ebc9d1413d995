"""(c) `ledger verify` at a million transfers, on SQLite.

The database is seeded once with `seed-demo --scale 50000` (1,000,000
transfers) under instance/bench/ and kept between runs; it is rebuilt when it
is missing or was left half-seeded.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

import click
from flask_migrate import upgrade

from bench.databases import BENCH_DIR, MIGRATIONS, bench_app, verify
from extensions import db
from seed.scale import TRANSFERS_PER_MEMBER, seed_scale

MEMBERS = 50_000
TRANSFERS = MEMBERS * TRANSFERS_PER_MEMBER
PATH = BENCH_DIR / "ledger-1m.sqlite3"


@dataclass
class VerifyTiming:
    seconds: float
    accounts: int
    transfers: int
    problems: list
    seeded_seconds: float | None  # None when the cached database was reused


def _cached_transfers() -> int:
    if not PATH.exists():
        return 0
    try:
        with sqlite3.connect(PATH) as connection:
            return connection.execute("SELECT count(*) FROM transfers").fetchone()[0]
    except sqlite3.Error:
        return 0


def prepare() -> tuple[str, float | None]:
    """The URL of the million-transfer database, and how long seeding took (None if cached)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{PATH}"
    app = bench_app(url)
    if _cached_transfers() >= TRANSFERS:
        with app.app_context():
            upgrade(directory=MIGRATIONS)  # bring a cached database up to the current schema
            db.engine.dispose()
        return url, None
    for stale in BENCH_DIR.glob(PATH.name + "*"):
        stale.unlink()
    click.echo(f"Seeding {TRANSFERS:,} transfers once into {PATH} (kept for later runs) …")
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        seed_scale(MEMBERS, progress=True)
        db.session.commit()
        db.engine.dispose()
    return url, time.perf_counter() - started


def time_verify(repeats: int = 2) -> VerifyTiming:
    """Seed (or reuse) the database and time the ledger's own verify; best of ``repeats``."""
    url, seeded = prepare()
    best = None
    for _ in range(repeats):
        accounts, transfers, problems, elapsed = verify(url)
        best = elapsed if best is None else min(best, elapsed)
    return VerifyTiming(best, accounts, transfers, problems, seeded)
