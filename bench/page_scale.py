"""(g) Pages against the street's history: p50 and p95 of the statement, the
coordinator's figures, the street admin's figures, the desk, the member's home, my
bookings, /market/, a provider's page and its dashboard, at 10k and at 1M transfers,
with the ratio of the p95s (goal ≤ 1.5×), on SQLite and, when TEST_DATABASE_URL is
set, PostgreSQL.

Each street is seeded once with `seed-demo --scale N` (20 transfers a member, the
visit behind each service, and bookings and reviews in proportion) and kept: under
instance/bench/ on SQLite, as linli_bench_market_<N> on PostgreSQL. Requests go through the Flask test
client in this process, signed in, so the time is the app's own (session,
member, queries, template) without a server in front; the two streets take turns,
request by request, so a busy spell of the machine slows both alike. The statement
is a page in the middle of the busiest account that signs in.

`python -m bench.page_scale --sizes 10k,100k` measures other sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text, union_all
from sqlalchemy.engine import make_url

from bench.databases import BENCH_DIR, MIGRATIONS, bench_app
from community.models import Role, User
from extensions import db
from marketplace.booking_models import Booking
from marketplace.models import Provider
from seed.demo import DEMO_PASSWORD
from seed.scale import TRANSFERS_PER_MEMBER, seed_scale
from timebank.models import Account, Transfer

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}  # transfers
GOAL = 1.5
REQUESTS = 100  # per page and street
WARM_UP = 5
PAGE_SIZE = 50  # the statement's, for the page number older code reads
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Timing:
    p50: float  # milliseconds
    p95: float


def _sqlite_url(members: int) -> str:
    return f"sqlite:///{BENCH_DIR / f'market-{members}.sqlite3'}"


def _postgres_url(test_url: str, members: int) -> str:
    server = make_url(test_url)
    name = f"linli_bench_market_{members}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _seeded_transfers(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM transfers")) or 0
    except Exception:  # noqa: BLE001 - no table yet: not seeded
        return 0
    finally:
        engine.dispose()


def prepare(url: str, members: int) -> None:
    """Migrate the database and seed it, unless it already holds the street."""
    if url.startswith("sqlite"):
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
    app = bench_app(url)
    seeded = _seeded_transfers(url) >= members * TRANSFERS_PER_MEMBER
    if not seeded:
        if url.startswith("sqlite"):
            path = make_url(url).database
            for stale in BENCH_DIR.glob(os.path.basename(path) + "*"):
                stale.unlink()
        else:
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            engine.dispose()
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        if not seeded:
            click.echo(f"    seeding {members * TRANSFERS_PER_MEMBER:,} transfers (kept) …")
            started = time.perf_counter()
            seed_scale(members, progress=False)
            db.session.commit()
            click.echo(f"    seeded in {time.perf_counter() - started:.0f} s")
        db.engine.dispose()
    if not url.startswith("sqlite"):
        _settle(url)


def _settle(url: str) -> None:
    """VACUUM ANALYZE the PostgreSQL street, as autovacuum does to a live database: the
    planner needs the tables' statistics, and index-only scans the visibility map. Right
    after a bulk seed neither exists yet, and the plans would be those of no database in
    use. Quick when nothing changed since the last run."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def _busiest_account() -> tuple[User, list[int]]:
    """The member who signs in with the most transfers, and their transfers' ids."""
    sides = union_all(
        select(Transfer.from_account_id.label("account_id")),
        select(Transfer.to_account_id.label("account_id")),
    ).subquery()
    account_id = db.session.scalar(
        select(sides.c.account_id)
        .join(Account, Account.id == sides.c.account_id)
        .join(User, User.id == Account.user_id)
        .where(User.phone.is_not(None), User.role == Role.MEMBER)
        .group_by(sides.c.account_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    ids = db.session.scalars(
        select(Transfer.id)
        .where((Transfer.from_account_id == account_id) | (Transfer.to_account_id == account_id))
        .order_by(Transfer.id.desc())
    ).all()
    return db.session.get(User, db.session.get(Account, account_id).user_id), ids


def _busiest_provider() -> tuple[Provider, User]:
    """The provider with the most bookings, and its owner."""
    provider_id = db.session.scalar(
        select(Booking.provider_id)
        .group_by(Booking.provider_id)
        .order_by(func.count().desc(), Booking.provider_id)
        .limit(1)
    )
    provider = db.session.get(Provider, provider_id)
    return provider, db.session.get(User, provider.owner_id)


def _busiest_booker() -> User:
    """The resident with the most bookings."""
    resident_id = db.session.scalar(
        select(Booking.resident_id)
        .group_by(Booking.resident_id)
        .order_by(func.count().desc(), Booking.resident_id)
        .limit(1)
    )
    return db.session.get(User, resident_id)


def _signed_in(app, login: str):
    """A test client signed in as ``login`` (outside any app context: each request has its own
    ``g``, as under a server)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN_RE.search(page).group(1)
    response = client.post(
        "/login", data={"login": login, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {login} failed: {response.status_code}")
    return client


def _timing(samples: list[float]) -> Timing:
    samples = sorted(samples)
    return Timing(statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)])


def _get(client, path: str) -> float:
    """Milliseconds ``client`` takes to GET ``path`` (which must answer 200)."""
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code}")
    return elapsed


def street_pages(url: str) -> tuple[Flask, list[tuple[str, object, str]]]:
    """The app on the seeded street at ``url``, and each page's name, a client signed in
    as the person it is for, and its path."""
    app = bench_app(url)
    with app.app_context():
        coordinator = db.session.scalar(
            select(User).where(User.role == Role.COORDINATOR).order_by(User.id).limit(1)
        )
        admin = db.session.scalar(
            select(User).where(User.role == Role.STREET_ADMIN).order_by(User.id).limit(1)
        )
        member, ids = _busiest_account()
        middle = len(ids) // 2
        # older_than for keyset paging; page for the OFFSET paging of older code
        statement = f"/statement?older_than={ids[middle - 1]}&page={middle // PAGE_SIZE + 1}"
        pages = [
            ("statement (a middle page)", member.login_name, statement),
            ("coordinator's figures", coordinator.login_name, "/reports/figures"),
            ("street admin's figures", admin.login_name, "/reports/figures"),
            ("desk", coordinator.login_name, "/desk/"),
            ("dashboard (home)", member.login_name, "/"),
        ]
        provider, owner = _busiest_provider()
        booker = _busiest_booker()
        pages += [
            ("my bookings", booker.login_name, "/bookings/"),
            ("/market/ (member)", booker.login_name, "/market/"),
            ("provider page", booker.login_name, f"/market/providers/{provider.id}"),
            ("provider dashboard", owner.login_name, "/provider/dashboard/"),
        ]
        db.session.remove()
    return app, [(name, _signed_in(app, login), path) for name, login, path in pages]


def measure(urls: list[str], requests: int) -> list[dict[str, Timing]]:
    """p50/p95 of each page on each seeded street of ``urls``. The streets take turns,
    request by request, so that a busy spell of the machine slows each alike."""
    apps, streets = zip(*(street_pages(url) for url in urls), strict=True)
    timings: list[dict[str, Timing]] = [{} for _ in urls]
    for index, (name, _client, _path) in enumerate(streets[0]):
        samples: list[list[float]] = [[] for _ in urls]
        for turn in range(WARM_UP + requests):
            for street, pages in enumerate(streets):
                _name, client, path = pages[index]
                elapsed = _get(client, path)
                if turn >= WARM_UP:
                    samples[street].append(elapsed)
        for street, taken in enumerate(samples):
            timings[street][name] = _timing(taken)
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    return timings


def report(sizes: list[str], requests: int = REQUESTS, backends: list[str] | None = None):
    """The table's lines: each page's p50/p95 at the first and last size, and the ratio."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    backends = backends or (["sqlite", "postgresql"] if test_url else ["sqlite"])
    lines = []
    for backend in backends:
        urls = []
        for size in sizes:
            members = SIZES[size] // TRANSFERS_PER_MEMBER
            url = _sqlite_url(members) if backend == "sqlite" else _postgres_url(test_url, members)
            click.echo(f"(g) {backend}, {size} transfers ({members:,} members) …")
            prepare(url, members)
            urls.append(url)
        results = dict(zip(sizes, measure(urls, requests), strict=True))
        first, last = sizes[0], sizes[-1]
        header = (
            f"{'page (' + backend + ')':34} {first + ' p50':>10} {first + ' p95':>10} "
            f"{last + ' p50':>10} {last + ' p95':>10} {'p95 ratio':>10}  goal ≤ {GOAL}"
        )
        lines += [header, "-" * len(header)]
        for page in results[first]:
            a, b = results[first][page], results[last][page]
            ratio = b.p95 / a.p95 if a.p95 else 0.0
            lines.append(
                f"{page:34} {a.p50:>8.1f}ms {a.p95:>8.1f}ms {b.p50:>8.1f}ms {b.p95:>8.1f}ms "
                f"{ratio:>9.2f}×  {'met' if ratio <= GOAL else 'MISSED'}"
            )
        lines.append("")
    if not test_url:
        lines.append("PostgreSQL skipped: TEST_DATABASE_URL is not set")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_scale", description=__doc__)
    parser.add_argument("--sizes", default="10k,1M", help="two or more of " + ",".join(SIZES))
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    args = parser.parse_args(argv)
    sqlite_version = sqlite3.sqlite_version
    click.echo(f"Pages against history — SQLite {sqlite_version}, {os.cpu_count()} CPUs\n")
    lines = report(args.sizes.split(","), args.requests, args.backend)
    click.echo("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
