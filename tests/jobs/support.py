"""Running what the worker runs, from a test."""

from __future__ import annotations

from community.outbox import send_outbox
from extensions import db
from jobs.worker import run_queued_jobs


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
