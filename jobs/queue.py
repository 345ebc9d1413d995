"""Enqueueing a job in the transaction of the change that causes it.

PostgreSQL: the job row is inserted by procrastinate's own deferral
(``procrastinate_defer_jobs_v1``) on the very connection, and so in the very
transaction, of ``db.session``: it exists if and only if that transaction
commits (no lost job, no phantom one), and the insert trigger wakes the
worker at commit.

SQLite (the embedded default, one process): the worker runs in memory in a
thread of this process (``jobs.worker.start_in_process``), or in the foreground
of ``flask worker``; a job is handed to it after the commit, and forgotten on a
rollback. A process without a worker of its own (a web process beside a separate
``flask worker``) hands nothing over: every job here has a periodic sweep that
does the same work (the outbox is swept every minute, lost exports too), so
nothing is lost.
"""

from __future__ import annotations

from typing import Any

import procrastinate
from flask import Flask, current_app, has_app_context
from sqlalchemy import event, make_url
from sqlalchemy.orm import Session

from extensions import db

SEND_MAIL = "send_mail"  # send one outbox row (community.outbox.send_one)
AFTER_COMMIT = "linli_jobs_after_commit"
DEFERRER = "linli_jobs_deferrer"
IN_PROCESS = "linli_jobs_in_process"


def conninfo(database_url: str) -> str:
    """The libpq connection string of an SQLAlchemy PostgreSQL URL (any driver)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _deferrer(app: Flask) -> procrastinate.App:
    """An App that only defers, by task name, on a connection it is given (never its own)."""
    deferrer = app.extensions.get(DEFERRER)
    if deferrer is None:
        connector = procrastinate.SyncPsycopgConnector(
            conninfo=conninfo(app.config["SQLALCHEMY_DATABASE_URI"])
        )
        deferrer = app.extensions[DEFERRER] = procrastinate.App(connector=connector)
    return deferrer


def enqueue(task_name: str, **task_kwargs: Any) -> None:
    """Queue the job ``task_name(**task_kwargs)`` in ``db.session``'s transaction.

    It runs only if that transaction commits. ``task_kwargs`` must be JSON values.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        psycopg_connection = connection.connection.driver_connection
        _deferrer(current_app).configure_task(task_name, connection=psycopg_connection).defer(
            **task_kwargs
        )
        return
    db.session.info.setdefault(AFTER_COMMIT, []).append((task_name, task_kwargs))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy tells that too): wait for the real commit
    waiting = session.info.pop(AFTER_COMMIT, None)
    if not waiting or not has_app_context():
        return
    runner = current_app.extensions.get(IN_PROCESS)
    if runner is not None:
        for task_name, task_kwargs in waiting:
            runner.defer_soon(task_name, task_kwargs)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back: the jobs queued before it still stand
    session.info.pop(AFTER_COMMIT, None)


def connect_queue() -> None:
    """Hand SQLite's jobs to the in-process worker at commit, forget them at rollback."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
