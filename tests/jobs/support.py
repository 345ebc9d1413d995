"""Running what the worker runs, from a test."""

from __future__ import annotations

from sqlalchemy import select

from community.outbox import send_outbox
from extensions import db
from jobs.worker import run_queued_jobs
from timebank.export_models import ExportStatus, ReportExport
from timebank.report_exports import write_export


def run_worker_jobs(app) -> None:
    """Run the queued jobs as the worker would, then let the test read afresh.

    PostgreSQL: procrastinate's worker runs every job waiting in the queue (each in an
    app context and session of its own) and stops. SQLite: the queue lives in the memory
    of the process that runs the worker, so the test runs the outbox sweep it would run.
    """
    db.session.commit()  # end the test's transaction: the worker sees what it committed
    if db.engine.dialect.name == "postgresql":
        run_queued_jobs(app)
    else:
        send_outbox()
        db.session.commit()
    db.session.expire_all()


def run_queued_exports(app) -> None:
    """Write the big exports waiting to be written, as the worker would.

    PostgreSQL: the worker runs the queued jobs (each export's job was enqueued with
    the request that asked for it). SQLite: each queued export is written in turn.
    """
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        run_queued_jobs(app)
    else:
        waiting = db.session.scalars(
            select(ReportExport.id).where(ReportExport.status == ExportStatus.QUEUED)
        ).all()
        for export_id in waiting:
            write_export(export_id)
    db.session.expire_all()
