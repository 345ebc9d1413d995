"""The statement CSV as a browser downloads it from gunicorn on 127.0.0.1.

- Every row arrives, each with its true running balance: 100,000 rows on
  PostgreSQL (where the stream once died after the header: it outlives the
  request's transaction), fewer on SQLite.
- A download that fails half-way is never a complete-looking file: gunicorn
  answers HTTP/1.1 in chunks, and a failure after the header leaves out the
  terminating chunk, which clients report as a broken transfer.
"""

from __future__ import annotations

import csv
import http.client
import io
import os
from datetime import timedelta

import pytest
from sqlalchemy import insert, update

from community.models import utcnow
from extensions import db
from tests.conftest import PASSWORD
from tests.servers import Browser, free_port, start_gunicorn, stop_gunicorn
from timebank.accounts import community_account, member_account
from timebank.models import Account, AccountKind, Transfer, TransferKind

MANY = {"postgresql": 100_000, "sqlite": 20_000}


def bulk_statement(account_id: int, other_id: int, count: int) -> list[int]:
    """``count`` transfers in and out of the account, written with Core in batches
    (as the scale seed does); returns the balance after each, oldest first."""
    start = utcnow() - timedelta(days=400)
    balance, afters, rows = 0, [], []
    for n in range(count):
        minutes = 30 + n % 7 * 15
        outgoing = n % 3 == 2 and balance >= minutes
        balance += -minutes if outgoing else minutes
        afters.append(balance)
        rows.append(
            {
                "from_account_id": account_id if outgoing else other_id,
                "to_account_id": other_id if outgoing else account_id,
                "amount_minutes": minutes,
                "kind": TransferKind.GIFT if outgoing else TransferKind.ADJUSTMENT,
                "memo": f"第{n}笔",
                "idempotency_key": f"bulk-{n}",
                "created_at": start + timedelta(minutes=5 * n),
                "row_hash": "",
                "from_balance_after": balance if outgoing else -(n + 1),
                "to_balance_after": -(n + 1) if outgoing else balance,
            }
        )
    for first in range(0, count, 10_000):
        db.session.execute(insert(Transfer.__table__), rows[first : first + 10_000])
    db.session.execute(
        update(Account).where(Account.id == account_id).values(balance_minutes=balance)
    )
    db.session.commit()
    db.session.close()  # no transaction left open (on SQLite it would lock gunicorn out)
    return afters


def serve(database_url: str, target: str):
    """gunicorn with one worker serving ``target``; (process, port)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "stream-test",
        "LINLI_ENV": "development",
    }
    env.pop("REDIS_URL", None)
    args = ["--workers", "1", "--timeout", "300", "--bind", f"127.0.0.1:{port}"]
    args += ["--log-level", "critical", target]
    return start_gunicorn(args, env, ready_path="/login"), port


@pytest.fixture
def holder(app, make_member, community):
    member = make_member("流水长", age=70, phone="13900001111")
    account = member_account(member).id
    guarantee = community_account(community.id, AccountKind.GUARANTEE).id
    phone = member.phone
    db.session.commit()
    return phone, account, guarantee


def download(port: int, phone: str) -> http.client.HTTPResponse:
    browser = Browser(port)
    assert browser.sign_in(phone, PASSWORD) == 302
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("GET", "/statement.csv", headers={"Cookie": browser.cookie})
    return connection.getresponse()


def test_every_row_of_a_long_statement_arrives(app, backend, database_url, holder):
    member, account, guarantee = holder
    afters = bulk_statement(account, guarantee, MANY[backend])
    process, port = serve(database_url, "app:create_app()")
    try:
        response = download(port, member)
        assert response.status == 200
        body = response.read().decode("utf-8-sig")
    finally:
        stop_gunicorn(process)
    header, *rows = list(csv.reader(io.StringIO(body)))
    balance_col, entry_col = 7, 10  # "Balance after (minutes)", "Entry number" (in Chinese)
    assert len(header) == 11
    assert len(rows) == len(afters)
    assert [int(row[balance_col]) for row in rows] == list(reversed(afters))
    entries = [int(row[entry_col]) for row in rows]
    assert entries == sorted(entries, reverse=True) and len(set(entries)) == len(entries)


def test_a_download_that_fails_half_way_is_a_broken_transfer(app, database_url, holder):
    member, account, guarantee = holder
    bulk_statement(account, guarantee, 2_000)  # four batches of 500: the third fails
    process, port = serve(database_url, "tests.timebank.broken_stream_app:app")
    try:
        response = download(port, member)
        assert response.status == 200  # sent with the header, before the first row
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.getheader("Content-Length") is None
        with pytest.raises(http.client.IncompleteRead) as broken:
            response.read()
        received = broken.value.partial.decode("utf-8-sig")
    finally:
        stop_gunicorn(process)
    assert 1 + 500 <= received.count("\n") < 1 + 2_000  # some rows, never all of them
