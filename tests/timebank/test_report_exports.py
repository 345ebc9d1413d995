"""Big reports written to a file by the worker: asked for, shown while written, downloaded,
taken over when their writer dies, and deleted when old (who may open what is also in
the permission table)."""

from __future__ import annotations

import csv
import io
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, text

from community.models import utcnow
from extensions import db
from storage import read_only
from tests.conftest import csrf_token, login
from tests.jobs.support import run_queued_exports
from tests.servers import WorkerProcess
from tests.test_simultaneous_submits import post_at_once
from tests.timebank.support import top_up
from timebank.clock import local_today
from timebank.errors import NotAllowed
from timebank.export_models import ExportStatus, ReportExport
from timebank.report_exports import (
    ExportTakenOver,
    _claim,
    _mark,
    request_export,
    sweep_exports,
    write_export,
)
from timebank.reports import ReportPeriod, ReportTooLarge, export_report

pytestmark = pytest.mark.usefixtures("english_pages")

TODAY = local_today()
YEAR = ReportPeriod(TODAY - timedelta(days=365), TODAY)
ASK = {"report": "transfers", "start": YEAR.start.isoformat(), "end": YEAR.end.isoformat()}


@pytest.fixture
def small_limit(app):
    """Reports of more than 5 rows go to the worker (50,000 in a real install)."""
    app.config["EXPORT_STREAM_MAX_ROWS"] = 5


@pytest.fixture
def transfers(people, far_people, make_member, other_community):
    """Eight transfers in community A, four in B, three in another street."""
    for minutes in range(1, 9):
        top_up(people["volunteer"], minutes)
    b_member = make_member("乙居民", age=50, community=other_community)
    for minutes in range(1, 5):
        top_up(b_member, minutes)
    far_member = make_member("外街居民", age=60, community=far_people["far_coordinator"].community)
    for minutes in range(1, 4):
        top_up(far_member, minutes)
    db.session.commit()


def street_transfer_count(street_id: int) -> int:
    """The street's transfers, counted in SQL apart from the export's own query."""
    return db.session.scalar(
        text(
            "SELECT count(*) FROM transfers t "
            "JOIN accounts s ON s.id = t.from_account_id "
            "JOIN accounts d ON d.id = t.to_account_id "
            "WHERE s.community_id IN (SELECT id FROM communities WHERE street_id = :street) "
            "   OR d.community_id IN (SELECT id FROM communities WHERE street_id = :street)"
        ),
        {"street": street_id},
    )


def ask(client, data=ASK):
    return client.post(
        "/reports/exports/", data=data | {"csrf_token": csrf_token(client, "/reports/")}
    )


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_large_report_is_offered_as_a_file_and_the_file_has_every_row(
    app, client, people, transfers, small_limit
):
    admin = people["street_admin"]
    login(client, admin)
    offer = client.get("/reports/export.csv", query_string=ASK)
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    page = offer.get_data(as_text=True)
    assert "too many to download at once" in page and "Prepare the file" in page

    asked = ask(client)
    assert asked.status_code == 303
    waiting = client.get(asked.location).get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "Waiting to start" in waiting
    assert "<progress" in waiting

    run_queued_exports(app)
    done = client.get(asked.location).get_data(as_text=True)
    assert "The file is ready" in done and 'http-equiv="refresh"' not in done
    export = db.session.scalars(select(ReportExport)).one()
    with client.get(f"/reports/exports/{export.id}/file") as download:
        body = download.data
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "linli-transfers-" in download.headers["Content-Disposition"]
    rows = rows_of(body)
    assert rows[0][0] == "Entry number"
    ids = [int(row[0]) for row in rows[1:]]
    assert len(ids) == len(set(ids)) == street_transfer_count(admin.community.street_id) == 12
    assert export.rows_written == 12 and export.file_bytes == len(body)
    # the reports page lists it for later
    assert f"/reports/exports/{export.id}" in client.get("/reports/").get_data(as_text=True)


def test_a_report_within_the_limit_still_streams(client, people, transfers):
    login(client, people["coordinator"])
    answer = client.get("/reports/export.csv", query_string=ASK)
    assert answer.mimetype == "text/csv" and len(rows_of(answer.data)) == 1 + 8


def test_the_file_is_written_in_the_language_it_was_asked_in(app, client, people, transfers):
    app.config["EXPORT_STREAM_MAX_ROWS"] = 0
    login(client, people["coordinator"])
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf_token(client, "/")})
    asked = ask(client)
    export_id = int(asked.location.rsplit("/", 1)[1])
    assert db.session.get(ReportExport, export_id).locale.startswith("zh")
    run_queued_exports(app)  # the worker has no request, and so no language of its own
    with client.get(f"/reports/exports/{export_id}/file") as download:
        header = rows_of(download.data)[0]
    with force_locale("zh_CN"):
        assert header[:2] == [gettext("Entry number"), gettext("Date and time")]
    assert header[0] != "Entry number"


def test_asking_twice_gives_the_same_export(people, transfers, small_limit):
    first = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    db.session.commit()
    again = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    assert again.id == first.id
    other_period = ReportPeriod(YEAR.start, YEAR.end - timedelta(days=1))
    assert (
        request_export("transfers", by=people["coordinator"], period=other_period, today=TODAY).id
        != first.id
    )


@pytest.mark.parametrize(
    "who, status",
    [("other_coordinator", 404), ("street_admin", 404), ("elder", 404), ("volunteer", 404)],
)
def test_only_who_asked_sees_the_export_and_its_file(app, client, people, transfers, who, status):
    export = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    db.session.commit()
    write_export(export.id)
    login(client, people[who])
    assert client.get(f"/reports/exports/{export.id}").status_code == status
    with client.get(f"/reports/exports/{export.id}/file") as download:
        assert download.status_code == status
    assert client.get(f"/reports/exports/{2**31 + 7}").status_code == 404


def test_bad_requests_are_refused_in_words_and_write_nothing(client, people, transfers):
    login(client, people["coordinator"])
    bad = [
        ASK | {"report": "everything"},
        ASK | {"start": YEAR.end.isoformat(), "end": YEAR.start.isoformat()},
        ASK | {"start": "2026-13-45"},
        ASK | {"report": "transfers\x00"},
        {"report": "visits", "start": "9" * 5000},
    ]
    for data in bad:
        answer = ask(client, data)
        assert answer.status_code == 400, data
    assert db.session.scalar(select(func.count()).select_from(ReportExport)) == 0
    login(client, people["elder"])
    assert ask(client).status_code == 403


def test_a_member_may_not_ask_for_an_export(people, transfers):
    with pytest.raises(NotAllowed):
        request_export("transfers", by=people["elder"], period=YEAR, today=TODAY)
    assert db.session.scalar(select(func.count()).select_from(ReportExport)) == 0


def test_export_report_refuses_more_rows_than_a_request_streams(app, people, transfers):
    app.config["EXPORT_STREAM_MAX_ROWS"] = 7
    with pytest.raises(ReportTooLarge) as too_large:
        export_report("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    assert too_large.value.rows == 8


def test_a_silent_writer_is_taken_over_and_the_first_one_stops(app, people, transfers):
    export_id = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY).id
    db.session.commit()
    first = _claim(export_id, utcnow())  # a writer took it, then its worker was killed
    assert first == 1
    assert sweep_exports(utcnow())["queued"] == 0  # still beating recently: left alone
    later = utcnow() + timedelta(minutes=app.config["EXPORT_STALL_MINUTES"] + 1)
    assert sweep_exports(later)["queued"] == 1
    db.session.commit()
    db.session.execute(
        ReportExport.__table__.update().values(progress_at=later - timedelta(minutes=60))
    )
    db.session.commit()
    assert write_export(export_id) == f"export {export_id}: written"
    with pytest.raises(ExportTakenOver):
        _mark(export_id, first, rows_written=1)  # the first writer, waking up, stops
    db.session.expire_all()
    done = db.session.get(ReportExport, export_id)
    assert done.status == ExportStatus.DONE and done.attempts == 2 and done.rows_written == 8


def test_an_export_out_of_attempts_is_marked_failed_and_can_be_asked_again(
    app, client, people, transfers
):
    export = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    export.attempts = app.config["EXPORT_MAX_ATTEMPTS"]
    export.status = ExportStatus.RUNNING
    export.progress_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert write_export(export.id) == f"export {export.id}: not ours"
    assert sweep_exports()["failed"] == 1
    db.session.commit()
    login(client, people["coordinator"])
    page = client.get(f"/reports/exports/{export.id}").get_data(as_text=True)
    assert "could not be written" in page and "Try again" in page
    again = ask(client)
    assert again.status_code == 303 and again.location != f"/reports/exports/{export.id}"


def test_a_writer_that_fails_leaves_no_file_and_says_failed(app, people, transfers, monkeypatch):
    export = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    db.session.commit()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("timebank.report_exports.csv_chunks", broken)
    with pytest.raises(OSError):
        write_export(export.id)
    db.session.expire_all()
    assert db.session.get(ReportExport, export.id).status == ExportStatus.FAILED
    assert list(Path(app.config["EXPORT_DIR"]).iterdir()) == []


def test_old_files_are_deleted_with_their_rows(app, people, transfers):
    export = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    db.session.commit()
    write_export(export.id)
    db.session.expire_all()
    written = Path(app.config["EXPORT_DIR"]) / db.session.get(ReportExport, export.id).file_name
    assert written.is_file()
    assert sweep_exports()["deleted"] == 0
    later = utcnow() + timedelta(days=app.config["EXPORT_KEEP_DAYS"], minutes=1)
    assert sweep_exports(later)["deleted"] == 1
    db.session.commit()
    assert not written.exists() and db.session.get(ReportExport, export.id) is None


def test_ten_requests_at_once_make_one_export(app, live_server, people, transfers):
    app.config["EXPORT_STREAM_MAX_ROWS"] = 0
    client = app.test_client()
    login(client, people["coordinator"])
    token = csrf_token(client, "/reports/")
    cookie = f"session={client.get_cookie('session').value}"
    body = urllib.parse.urlencode(ASK | {"csrf_token": token}).encode()
    db.session.commit()  # the test's own transaction must not hold SQLite's write lock
    answers = post_at_once(f"{live_server}/reports/exports/", body, cookie, 10)
    assert sorted(status for status, _ in answers) == [303] * 10
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ReportExport)) == 1


def test_a_worker_process_writes_the_export(app, database_url, people, transfers, tmp_path):
    """The real `flask worker`: on PostgreSQL the job reaches it through the queue; on
    SQLite (a queue in another process's memory) its sweep finds the export lost."""
    export = request_export("transfers", by=people["coordinator"], period=YEAR, today=TODAY)
    export.created_at = utcnow() - timedelta(minutes=10)  # its job (if any) is long gone
    export_id = export.id
    db.session.commit()
    worker = WorkerProcess(
        database_url,
        EXPORT_DIR=app.config["EXPORT_DIR"],
        JOBS_PERIODIC_MAX_DELAY="3600",  # the sweep's current minute runs at once
    )
    try:

        def written():
            with read_only():  # a reader: the worker must be free to write meanwhile
                done = db.session.get(ReportExport, export_id, populate_existing=True).status
            db.session.rollback()
            return done == "done"

        deadline = time.monotonic() + 60
        while not written():
            assert time.monotonic() < deadline, worker.stop()
            time.sleep(0.3)
    finally:
        said = worker.stop()
    assert "Traceback" not in said, said
    assert db.session.get(ReportExport, export_id).rows_written == 8
