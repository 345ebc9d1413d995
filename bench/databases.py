"""Bench databases: migrated, seeded with --scale, and a set of funded member accounts.

Each transfer the benchmark fires moves one minute between two of the funded
accounts, so neither path ever hits a floor or a cap, and the ledger still
verifies at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from community.models import Role, User
from config import INSTANCE_DIR
from extensions import db
from seed.scale import seed_scale
from timebank.ledger import post_transfer
from timebank.models import Account, AccountKind, Transfer, TransferKind
from timebank.verify import verify_ledger

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(ROOT / "migrations")
BENCH_DIR = INSTANCE_DIR / "bench"
BENCH_MEMBERS = 2000  # --scale for the transfer benchmarks (40,000 transfers of history)
FUNDED_ACCOUNTS = 1000
FUNDING_MINUTES = 30_000  # 500 h each: far more than a run can spend, under the 1,500 h cap
POSTGRES_BENCH_DB = "linli_bench"


@dataclass(frozen=True)
class BenchLedger:
    """Where the benchmark fires transfers, and between which accounts."""

    url: str
    account_ids: tuple[int, ...]
    entered_by_id: int


def bench_app(url: str) -> Flask:
    """The real app (its engine settings and hooks) on the bench database."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})


def _fund_accounts(count: int) -> tuple[int, ...]:
    """Move FUNDING_MINUTES from the guarantee account into ``count`` member accounts,
    through the ledger (so each account's hash chain and `ledger verify` stay whole)."""
    accounts = Account.__table__
    members = db.session.execute(
        select(accounts.c.id, accounts.c.community_id)
        .where(accounts.c.kind == AccountKind.MEMBER, accounts.c.balance_minutes == 0)
        .order_by(accounts.c.id)
        .limit(count)
    ).all()
    guarantee = dict(
        db.session.execute(
            select(accounts.c.community_id, accounts.c.id).where(
                accounts.c.kind == AccountKind.GUARANTEE
            )
        ).all()
    )
    for account_id, community_id in members:
        post_transfer(
            from_account_id=guarantee[community_id],
            to_account_id=account_id,
            minutes=FUNDING_MINUTES,
            kind=TransferKind.ADJUSTMENT,
            idempotency_key=f"bench:fund:{account_id}",
            entered_by=None,
            memo="bench funding",
        )
    return tuple(account_id for account_id, _ in members)


def _seed_transfer_bench(app: Flask) -> BenchLedger:
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        seed_scale(BENCH_MEMBERS, seed=7)
        account_ids = _fund_accounts(FUNDED_ACCOUNTS)
        admin_id = db.session.scalar(select(User.id).where(User.role == Role.STREET_ADMIN))
        db.session.commit()
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        db.engine.dispose()
    return BenchLedger(url, account_ids, admin_id)


def prepare_sqlite() -> BenchLedger:
    """A fresh SQLite file under instance/bench/, like the app's own database."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / "transfers.sqlite3"
    for stale in BENCH_DIR.glob("transfers.sqlite3*"):
        stale.unlink()
    return _seed_transfer_bench(bench_app(f"sqlite:///{path}"))


def postgres_bench_url(test_url: str) -> str:
    """TEST_DATABASE_URL's server, but the database linli_bench (the tests use their own)."""
    return make_url(test_url).set(database=POSTGRES_BENCH_DB).render_as_string(hide_password=False)


def prepare_postgres(test_url: str) -> BenchLedger:
    """linli_bench on the test server: created if missing, emptied, migrated and seeded."""
    url = postgres_bench_url(test_url)
    server = create_engine(
        make_url(test_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": POSTGRES_BENCH_DB}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{POSTGRES_BENCH_DB}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return _seed_transfer_bench(bench_app(url))


def verify(url: str) -> tuple[int, int, list, float]:
    """Run the ledger's own verify on ``url``: (accounts, transfers, problems, seconds)."""
    app = bench_app(url)
    with app.app_context():
        started = time.perf_counter()
        problems = verify_ledger(db.session)
        seconds = time.perf_counter() - started
        accounts = db.session.scalar(select(func.count(Account.id)))
        transfers = db.session.scalar(select(func.count(Transfer.id)))
        db.session.rollback()
        db.engine.dispose()
    return accounts, transfers, problems, seconds
