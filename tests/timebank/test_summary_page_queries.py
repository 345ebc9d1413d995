"""The statement and the figures send the same number of queries on a small street
and on one ten times larger (members, transfers and the visit behind each service),
and every statement page (the newest, one in the middle, the oldest) the same too.
"""

from __future__ import annotations

import shutil

from flask import request_started
from sqlalchemy import func, select, union_all

from app import create_app
from community.models import Role, User
from extensions import db
from seed.demo import DEMO_PASSWORD
from seed.scale import seed_scale
from tests.conftest import (
    _config,
    _empty_postgres,
    _fresh_request_globals,
    counted_statements,
    login,
)
from timebank.models import Account, Transfer

SMALL, LARGE = 60, 600  # members; about 20 transfers each
PAGE = 5


def _busiest_account() -> tuple[int, int]:
    """The account of a member who signs in with the most transfers, and how many it has."""
    sides = union_all(
        select(Transfer.from_account_id.label("account_id")),
        select(Transfer.to_account_id.label("account_id")),
    ).subquery()
    return db.session.execute(
        select(sides.c.account_id, func.count())
        .join(Account, Account.id == sides.c.account_id)
        .join(User, User.id == Account.user_id)
        .where(User.phone.is_not(None), User.role == Role.MEMBER)
        .group_by(sides.c.account_id)
        .order_by(func.count().desc())
        .limit(1)
    ).one()


def _queries(client, path: str) -> int:
    with counted_statements() as sent:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(sent)


def _signed_in(app, user: User):
    client = app.test_client()
    login(client, user, DEMO_PASSWORD)
    return client


def measure(app, members: int) -> dict[str, int]:
    """Seed a street of ``members`` and count each page's queries (after one warm-up)."""
    seed_scale(members, seed=11)
    db.session.commit()
    app.config["STATEMENT_PAGE_SIZE"] = PAGE
    counts = {}
    for role in (Role.COORDINATOR, Role.STREET_ADMIN):
        who = db.session.scalar(select(User).where(User.role == role).order_by(User.id).limit(1))
        client = _signed_in(app, who)
        client.get("/reports/figures")
        counts[f"figures of a {role}"] = _queries(client, "/reports/figures")
    account_id, lines = _busiest_account()
    assert lines > 4 * PAGE
    ids = db.session.scalars(
        select(Transfer.id)
        .where((Transfer.from_account_id == account_id) | (Transfer.to_account_id == account_id))
        .order_by(Transfer.id)
    ).all()
    holder = db.session.get(User, db.session.get(Account, account_id).user_id)
    client = _signed_in(app, holder)
    client.get("/statement")
    db.session.commit()
    counts["statement, newest"] = _queries(client, "/statement")
    counts["statement, middle"] = _queries(client, f"/statement?older_than={ids[len(ids) // 2]}")
    counts["statement, oldest"] = _queries(client, f"/statement?newer_than={ids[0] - 1}")
    counts["statement, going newer"] = _queries(client, f"/statement?newer_than={ids[PAGE]}")
    return counts


def test_statement_and_figures_send_as_many_queries_on_a_street_ten_times_larger(
    app, backend, database_url, sqlite_template, tmp_path
):
    small = measure(app, SMALL)
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        path = tmp_path / "larger.sqlite3"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        _empty_postgres(database_url)
        url = database_url
    larger = create_app(_config(url))
    request_started.connect(_fresh_request_globals, larger)  # as the app fixture does
    with larger.app_context():
        try:
            large = measure(larger, LARGE)
        finally:
            db.session.remove()
            db.engine.dispose()
    assert large == small
    # any page costs the same (the newest needs no look for newer lines: at most one less)
    deeper = {
        small["statement, middle"],
        small["statement, oldest"],
        small["statement, going newer"],
    }
    assert len(deeper) == 1 and small["statement, newest"] in (*deeper, min(deeper) - 1), small
    # few, too: a frame of the page, plus a handful for the figures
    assert max(small.values()) <= 30, small
