"""The audit log's CSV, downloaded as production serves it, on SQLite and PostgreSQL.

In production Flask ends the request (and with it the database session and its
transaction) as soon as the view returns; a streamed body is read afterwards, under
contexts pushed again. A test client inside the test's own app context hides that:
the request borrows the test's context, so nothing ends. Downloading from an empty
``contextvars.Context`` lets the request push and pop its own, as in production: a
server-side cursor opened in the view (the /statement.csv bug: InvalidCursorName on
PostgreSQL) fails here, after the first batch.
"""

from __future__ import annotations

import contextvars
import csv
import io
from datetime import timedelta

import pytest

from community import audit, audit_queries
from community.audit import Action
from extensions import db
from tests.conftest import login

BATCH = 40
ENTRIES = 3 * BATCH + 7  # four batches, the last one short


def download(client, path: str):
    """GET ``path`` and read the whole body outside the test's contexts (see above)."""

    def get():
        response = client.get(path)
        return response.status_code, response.get_data()

    return contextvars.Context().run(get)


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def many(people, far_people, audit_clock, monkeypatch) -> list[int]:
    """ENTRIES entries of this street (some at the same moment), newest first; a few elsewhere."""
    monkeypatch.setattr(audit_queries, "CSV_BATCH", BATCH)
    coordinator, elder = people["coordinator"], people["elder"]
    made = []
    for n in range(ENTRIES):
        if n % 3:
            audit_clock.at += timedelta(seconds=1)
        entry = audit.record(
            Action.PASSWORD_RESET, actor=coordinator, subject=elder, target=f"user:{n}"
        )
        made.append((entry.created_at, entry.id))
    far = far_people["far_coordinator"]
    for _n in range(3):
        audit.record(Action.PASSWORD_RESET, actor=far, subject=far)
    db.session.commit()
    return [entry_id for _at, entry_id in sorted(made, reverse=True)]


def test_every_row_arrives_in_several_batches(client, people, many, backend):
    login(client, people["street_admin"])
    status, body = download(client, "/admin/audit.csv")
    assert status == 200
    header, *rows = rows_of(body)
    assert len(header) == 12
    assert [int(row[0]) for row in rows] == many  # every entry once, newest first
    assert {row[3] for row in rows} == {"张社工（社工）"}
    assert {row[5] for row in rows} == {"王秀英"}


def test_a_filtered_download_streams_whole_too(client, people, many):
    login(client, people["street_admin"])
    status, body = download(client, f"/admin/audit.csv?subject={people['elder'].phone}")
    assert status == 200
    assert [int(row[0]) for row in rows_of(body)[1:]] == many


def test_cells_that_look_like_formulas_are_quoted(client, people, make_member, audit_clock):
    admin = people["street_admin"]
    sly = make_member('=HYPERLINK("http://x")', role="coordinator")
    audit.record(Action.ACTED_FOR, actor=sly, subject=people["elder"], target="-2+3")
    login(client, admin)
    status, body = download(client, "/admin/audit.csv")
    (row,) = rows_of(body)[1:]
    assert row[3].startswith("'=HYPERLINK") and row[8] == "'-2+3"
