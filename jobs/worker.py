"""``flask --app app worker``: run queued and periodic jobs, and write a heartbeat.

PostgreSQL: procrastinate's worker on the database (any number of them, on any
hosts). SQLite: the same worker on procrastinate's in-memory queue, in the
foreground (``flask worker``) or in a thread of the web process (``make run``,
JOBS_IN_PROCESS=1).

The heartbeat is a row per worker process (``host:pid``) in
job_worker_heartbeats, rewritten every WORKER_HEARTBEAT_SECONDS by the
worker's event loop while it runs and removed when it stops; /readyz reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from typing import Any

import click
import procrastinate
from flask import Flask, current_app
from flask.cli import with_appcontext
from procrastinate.testing import InMemoryConnector
from sqlalchemy import delete, update

from community.models import utcnow
from extensions import db
from jobs.models import WorkerHeartbeat
from jobs.queue import IN_PROCESS, conninfo
from jobs.tasks import register_tasks

logger = logging.getLogger(__name__)


def _on_postgresql(flask_app: Flask) -> bool:
    return flask_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def build_worker_app(flask_app: Flask, *, periodic: bool = True) -> procrastinate.App:
    """A procrastinate App with every job, on PostgreSQL or (SQLite) in memory
    (``periodic=False``: without the periodic schedule, to run only what is queued)."""
    if _on_postgresql(flask_app):
        connector = procrastinate.PsycopgConnector(
            conninfo=conninfo(flask_app.config["SQLALCHEMY_DATABASE_URI"]),
            min_size=1,
            max_size=4,
        )
    else:
        connector = InMemoryConnector()
    queue_app = procrastinate.App(
        connector=connector,
        periodic_defaults={"max_delay": flask_app.config["JOBS_PERIODIC_MAX_DELAY"]},
    )
    register_tasks(queue_app, flask_app, periodic=periodic)
    return queue_app


# --- the heartbeat --------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(flask_app: Flask, name: str) -> None:
    """Write ``name``'s heartbeat now (insert it the first time)."""
    with flask_app.app_context():
        try:
            now = utcnow()
            moved = db.session.execute(
                update(WorkerHeartbeat).where(WorkerHeartbeat.worker == name).values(beat_at=now)
            )
            if moved.rowcount == 0:
                db.session.add(WorkerHeartbeat(worker=name, beat_at=now, started_at=now))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def forget(flask_app: Flask, name: str) -> None:
    """Remove ``name``'s heartbeat (the worker stops)."""
    with flask_app.app_context():
        db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker == name))
        db.session.commit()
        db.session.remove()


async def _heartbeat_loop(flask_app: Flask, name: str, every: float) -> None:
    while True:
        beating = asyncio.ensure_future(asyncio.to_thread(beat, flask_app, name))
        try:
            await asyncio.shield(beating)
        except asyncio.CancelledError:
            # The worker stops. A beat already in its thread cannot be cancelled: let it
            # finish, or it would write the row again after the worker removed it, and
            # /readyz would call a stopped worker ready until the row went stale.
            with contextlib.suppress(Exception):
                await beating
            raise
        except Exception:  # the database is away for a moment: /readyz will say so
            logger.exception("worker heartbeat not written")
        await asyncio.sleep(every)


async def run_worker_async(
    flask_app: Flask,
    queue_app: procrastinate.App,
    *,
    concurrency: int,
    install_signal_handlers: bool,
    on_loop_ready: Any = None,
) -> None:
    """Open ``queue_app`` and run its worker until it is stopped, beating meanwhile."""
    name = worker_name()
    postgres = _on_postgresql(flask_app)
    async with queue_app.open_async():
        if on_loop_ready is not None:
            on_loop_ready(asyncio.get_running_loop(), asyncio.current_task())
        heartbeat = asyncio.create_task(
            _heartbeat_loop(flask_app, name, flask_app.config["WORKER_HEARTBEAT_SECONDS"])
        )
        try:
            await queue_app.run_worker_async(
                name=name,
                concurrency=concurrency,
                install_signal_handlers=install_signal_handlers,
                listen_notify=postgres,
                # PostgreSQL wakes the worker at each commit (LISTEN/NOTIFY); memory polls
                fetch_job_polling_interval=5.0 if postgres else 1.0,
            )
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)  # its last beat written
            await asyncio.to_thread(forget, flask_app, name)


def run_queued_jobs(flask_app: Flask) -> None:
    """Run the jobs waiting in the queue now, then return (no periodic jobs, no heartbeat).

    PostgreSQL only: SQLite's queue lives in the memory of the process that runs it.
    """
    queue_app = build_worker_app(flask_app, periodic=False)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            queue_app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
        except BaseException as error:  # handed to the caller's thread below
            failures.append(error)

    # a thread of its own: the caller's thread may already run an event loop
    runner = threading.Thread(target=run, name="linli-jobs-once")
    runner.start()
    runner.join()
    if failures:
        raise failures[0]


@click.command("worker")
@click.option(
    "--concurrency",
    type=int,
    default=None,
    help="Jobs run at once (default: JOBS_CONCURRENCY). Periodic jobs never overlap themselves.",
)
@with_appcontext
def worker_command(concurrency: int | None) -> None:
    """Run queued and periodic jobs until stopped (SIGINT/SIGTERM): one command for all of them."""
    flask_app = current_app._get_current_object()
    queue_app = build_worker_app(flask_app)
    on_loop_ready = None
    if not _on_postgresql(flask_app):
        # jobs this process's jobs enqueue (an export the sweep finds) go to its own queue
        handoff = MemoryHandoff(queue_app)
        flask_app.extensions[IN_PROCESS] = handoff
        on_loop_ready = handoff.loop_ready
    where = "PostgreSQL" if _on_postgresql(flask_app) else "memory (SQLite: this process only)"
    click.echo(f"worker {worker_name()}: jobs on {where}")
    asyncio.run(
        run_worker_async(
            flask_app,
            queue_app,
            concurrency=concurrency or flask_app.config["JOBS_CONCURRENCY"],
            install_signal_handlers=True,
            on_loop_ready=on_loop_ready,
        )
    )


# --- in the web process (the embedded default) -----------------------------------------


class MemoryHandoff:
    """Hands jobs enqueued in this process (after their commit) to the in-memory queue of
    the worker running on an event loop here (SQLite: jobs.queue._after_commit)."""

    def __init__(self, queue_app: procrastinate.App) -> None:
        self.queue_app = queue_app
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self.ready = threading.Event()

    def loop_ready(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task) -> None:
        self.loop, self.task = loop, task
        self.ready.set()

    def defer_soon(self, task_name: str, task_kwargs: dict) -> None:
        """Queue a job on the worker's loop (thread-safe); dropped if the worker is not up."""
        if self.loop is None:
            return
        deferring = self.queue_app.configure_task(task_name).defer_async(**task_kwargs)
        asyncio.run_coroutine_threadsafe(deferring, self.loop)


class InProcessWorker(MemoryHandoff):
    """The worker in a daemon thread of this process, with jobs handed to it after commit."""

    def __init__(self, flask_app: Flask, *, periodic: bool = True) -> None:
        super().__init__(build_worker_app(flask_app, periodic=periodic))
        self.flask_app = flask_app
        self.thread = threading.Thread(target=self._run, name="linli-jobs", daemon=True)

    def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # stop() was called
            asyncio.run(
                run_worker_async(
                    self.flask_app,
                    self.queue_app,
                    concurrency=1,  # SQLite serialises writers anyway
                    install_signal_handlers=False,
                    on_loop_ready=self.loop_ready,
                )
            )

    def stop(self, timeout: float = 10) -> None:
        """Stop the worker (its heartbeat goes with it) and wait for its thread."""
        if not self.thread.is_alive():
            return
        if self.loop is not None and self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(timeout)

    def start(self) -> None:
        self.thread.start()
        self.ready.wait(timeout=10)


def start_in_process(flask_app: Flask) -> None:
    """Run the jobs in a thread of this process (SQLite only; PostgreSQL has its worker)."""
    if _on_postgresql(flask_app) or IN_PROCESS in flask_app.extensions:
        return
    worker = InProcessWorker(flask_app)
    flask_app.extensions[IN_PROCESS] = worker
    worker.start()
