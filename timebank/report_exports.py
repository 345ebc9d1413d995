"""Reports too big to stream within a request, written to a file by the worker.

A coordinator or street admin asks for the export (``request_export``); the
worker writes it (``write_export``) to EXPORT_DIR, counting its rows as it goes,
and the export's page shows how far it has got, then the download. Only the
member who asked sees the export, and only while they may still see reports.

The row in report_exports is the truth, the queued job only a prompt: the
worker's minute sweep (``sweep_exports``) queues again an export whose job was
lost or whose writer went silent, marks it failed after EXPORT_MAX_ATTEMPTS,
and deletes files older than EXPORT_KEEP_DAYS. A writer holds its export by its
attempt number; if the sweep has handed the export to another, the first stops.

The rows are read in one transaction (one consistent view of the ledger) with a
server-side cursor; progress is written on a connection of its own, so the
reading transaction is never committed under its cursor.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from community.csv_export import csv_chunks
from community.models import User, utcnow
from extensions import db
from jobs.queue import enqueue
from storage import read_only
from timebank.errors import NotFound
from timebank.export_models import IN_FLIGHT, ExportStatus, ReportExport
from timebank.figures import figures_scope
from timebank.reports import REPORTS, ReportPeriod, report_size, report_table

logger = logging.getLogger(__name__)

WRITE_EXPORT = "reports_write_export"  # the job: write_export(export_id)
PROGRESS_EVERY = 10_000  # rows between two progress writes
LOST_AFTER = timedelta(minutes=2)  # a queued export no worker took this long: queue it again
RECENT = 5  # exports listed on the reports page


class ExportTakenOver(Exception):
    """The sweep handed this export to another writer (this one was thought dead)."""


def report_file_name(report: str, period: ReportPeriod) -> str:
    """The name a downloaded report gets, e.g. linli-transfers-20250101-20261206.csv."""
    return f"linli-{report}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"


def export_dir() -> Path:
    """The folder export files are written to (EXPORT_DIR), created if missing."""
    folder = Path(current_app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _in_flight_twin(by: User, report: str, period: ReportPeriod, locale: str):
    return db.session.scalar(
        select(ReportExport).where(
            ReportExport.requested_by_id == by.id,
            ReportExport.report == report,
            ReportExport.period_start == period.start,
            ReportExport.period_end == period.end,
            ReportExport.locale == locale,
            ReportExport.status.in_(IN_FLIGHT),
        )
    )


def request_export(report: str, *, by: User, period: ReportPeriod, today) -> ReportExport:
    """Ask the worker to write ``report`` for ``by``'s scope and ``period`` to a file.

    The export is queued in this transaction (it runs only if it commits). The same
    report, period and language already in flight for ``by`` is returned instead
    of a second one (also when two requests race). Raises NotAllowed (not a
    coordinator or street admin), InvalidReportPeriod, ValueError (unknown report).
    """
    if report not in REPORTS:
        raise ValueError(report)
    ids = figures_scope(by).ids
    period.check()
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    twin = _in_flight_twin(by, report, period, locale)
    if twin is not None:
        return twin
    export = ReportExport(
        requested_by_id=by.id,
        report=report,
        period_start=period.start,
        period_end=period.end,
        as_of=today,
        locale=locale,
        status=ExportStatus.QUEUED,
        rows_expected=report_size(report, ids, period),
        rows_written=0,
        attempts=0,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(export)
    except IntegrityError:  # the same request, committed a moment ago by a twin
        twin = _in_flight_twin(by, report, period, locale)
        if twin is None:
            raise
        return twin
    enqueue(WRITE_EXPORT, export_id=export.id)
    db.session.flush()
    return export


def export_for(export_id: int, *, by: User) -> ReportExport:
    """``by``'s own export ``export_id``. Raises NotFound for anyone else's (or none),
    NotAllowed if ``by`` may no longer see reports."""
    export = db.session.get(ReportExport, export_id)
    if export is None or export.requested_by_id != by.id:
        raise NotFound(_l("There is no such export."))
    figures_scope(by)
    return export


def recent_exports(by: User) -> list[ReportExport]:
    """``by``'s newest exports (any state), newest first."""
    return list(
        db.session.scalars(
            select(ReportExport)
            .where(ReportExport.requested_by_id == by.id)
            .order_by(ReportExport.id.desc())
            .limit(RECENT)
        )
    )


def export_file(export: ReportExport) -> Path:
    """The written file of a finished export. Raises NotFound if it is not (or no longer) there."""
    if export.status != ExportStatus.DONE or not export.file_name:
        raise NotFound(_l("This file is not ready."))
    path = export_dir() / export.file_name
    if not path.is_file():
        raise NotFound(_l("This file has been deleted; please ask for it again."))
    return path


def export_period(export: ReportExport) -> ReportPeriod:
    return ReportPeriod(export.period_start, export.period_end)


def kept_until(export: ReportExport) -> datetime | None:
    """When a finished export's file is deleted."""
    if export.finished_at is None:
        return None
    return export.finished_at + timedelta(days=current_app.config["EXPORT_KEEP_DAYS"])


# --- the worker's side --------------------------------------------------------------


def _claim(export_id: int, now: datetime) -> int | None:
    """Take export ``export_id`` for this writer (queued, or running but silent) and
    commit; its attempt number, or None if it is not to be written by us."""
    config = current_app.config
    stale = now - timedelta(minutes=config["EXPORT_STALL_MINUTES"])
    taken = db.session.execute(
        update(ReportExport)
        .where(
            ReportExport.id == export_id,
            ReportExport.attempts < config["EXPORT_MAX_ATTEMPTS"],
            or_(
                ReportExport.status == ExportStatus.QUEUED,
                and_(ReportExport.status == ExportStatus.RUNNING, ReportExport.progress_at < stale),
            ),
        )
        .values(
            status=ExportStatus.RUNNING,
            attempts=ReportExport.attempts + 1,
            rows_written=0,
            progress_at=now,
        )
        .returning(ReportExport.attempts)
    ).scalar()
    db.session.commit()
    return taken


def _mark(export_id: int, attempt: int, **values) -> None:
    """Write ``values`` on the export on a connection of its own (the reading
    transaction stays open). Raises ExportTakenOver if another writer holds it now."""
    with db.engine.begin() as connection:
        moved = connection.execute(
            update(ReportExport)
            .where(
                ReportExport.id == export_id,
                ReportExport.attempts == attempt,
                ReportExport.status == ExportStatus.RUNNING,
            )
            .values(progress_at=utcnow(), **values)
        )
    if moved.rowcount != 1:
        raise ExportTakenOver(export_id)


def _counted(rows: Iterator[list], export_id: int, attempt: int) -> Iterator[list]:
    written = 0
    for written, row in enumerate(rows, start=1):  # noqa: B007 (read after the loop)
        yield row
        if written % PROGRESS_EVERY == 0:
            _mark(export_id, attempt, rows_written=written)
    _mark(export_id, attempt, rows_written=written)


def write_export(export_id: int) -> str:
    """Write export ``export_id``'s file (the worker's job) and mark it done.

    Does nothing if another writer holds it or it is finished. A failure marks it
    failed and is raised (the job fails with it). What it did, in a few words.
    """
    attempt = _claim(export_id, utcnow())
    if attempt is None:
        return f"export {export_id}: not ours"
    file_name = f"export-{export_id}-{secrets.token_hex(6)}.csv"
    final = export_dir() / file_name
    partial = final.with_suffix(".part")
    try:
        # a reader's transaction on SQLite: the progress writes must not wait for it
        with read_only():
            export = db.session.get(ReportExport, export_id)
            by = db.session.get(User, export.requested_by_id)
            ids = figures_scope(by).ids  # reach as it is now, not when it was asked for
            with force_locale(export.locale):
                table = report_table(export.report, ids, export_period(export), export.as_of)
                rows = _counted(table.rows, export_id, attempt)
                with partial.open("w", encoding="utf-8", newline="") as out:
                    for chunk in csv_chunks(table.header, rows):
                        out.write(chunk)
        os.replace(partial, final)
        db.session.rollback()  # end the reading transaction
        _mark(
            export_id,
            attempt,
            status=ExportStatus.DONE,
            file_name=file_name,
            file_bytes=final.stat().st_size,
            finished_at=utcnow(),
        )
    except ExportTakenOver:
        partial.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        db.session.rollback()
        return f"export {export_id}: taken over by another writer"
    except BaseException:
        partial.unlink(missing_ok=True)
        db.session.rollback()
        logger.exception("export %s failed", export_id)
        _mark(export_id, attempt, status=ExportStatus.FAILED, finished_at=utcnow())
        raise
    return f"export {export_id}: written"


def sweep_exports(now: datetime | None = None) -> dict[str, int]:
    """Queue again exports whose job was lost or whose writer went silent, fail those
    out of attempts, and delete files (and their rows) older than EXPORT_KEEP_DAYS.
    Counts of each, by what happened."""
    config = current_app.config
    now = now or utcnow()
    stale = now - timedelta(minutes=config["EXPORT_STALL_MINUTES"])
    waiting = db.session.scalars(
        select(ReportExport).where(
            or_(
                and_(
                    ReportExport.status == ExportStatus.QUEUED,
                    ReportExport.created_at < now - LOST_AFTER,
                ),
                and_(ReportExport.status == ExportStatus.RUNNING, ReportExport.progress_at < stale),
            )
        )
    ).all()
    counts = {"queued": 0, "failed": 0, "deleted": 0}
    for export in waiting:
        if export.attempts >= config["EXPORT_MAX_ATTEMPTS"]:
            export.status = ExportStatus.FAILED
            export.finished_at = now
            counts["failed"] += 1
        else:
            enqueue(WRITE_EXPORT, export_id=export.id)
            counts["queued"] += 1
    expired = now - timedelta(days=config["EXPORT_KEEP_DAYS"])
    old = db.session.scalars(
        select(ReportExport).where(
            ReportExport.status.in_((ExportStatus.DONE, ExportStatus.FAILED)),
            ReportExport.finished_at < expired,
        )
    ).all()
    folder = export_dir()
    for export in old:
        if export.file_name:
            (folder / export.file_name).unlink(missing_ok=True)
    if old:
        db.session.execute(delete(ReportExport).where(ReportExport.id.in_([e.id for e in old])))
        counts["deleted"] = len(old)
    db.session.flush()
    return counts
