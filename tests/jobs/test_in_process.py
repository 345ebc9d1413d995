"""The embedded default (SQLite, `make run`): the same worker runs in a thread of the web
process, its queue in memory; jobs are handed to it when their transaction commits."""

from __future__ import annotations

import threading
import time

import pytest

from community.notifications import notify
from extensions import db
from jobs import worker as worker_module
from jobs.models import WorkerHeartbeat
from jobs.queue import IN_PROCESS
from jobs.tasks import PERIODIC
from jobs.worker import InProcessWorker
from tests.jobs.conftest import ON_SQLITE


def _wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)  # polling the worker thread's progress


@pytest.fixture
def in_process(app):
    """start(periodic=...) -> an InProcessWorker running in this process; stopped at the end."""
    started = []

    def start(periodic: bool) -> InProcessWorker:
        worker = InProcessWorker(app, periodic=periodic)
        app.extensions[IN_PROCESS] = worker
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@ON_SQLITE
def test_mail_is_handed_to_the_thread_at_commit_and_sent(app, smtp, make_member, in_process):
    in_process(periodic=False)  # no sweep: only the job handed over can send it
    daughter = make_member("王小红", age=45)
    daughter.email = "xiaohong@example.com"
    notify(daughter, "low_balance", left=30)
    time.sleep(1.5)  # the worker polls every second: nothing is handed before the commit
    assert smtp.received == []
    db.session.commit()
    _wait_until(lambda: len(smtp.received) == 1)


@ON_SQLITE
def test_the_thread_runs_the_periodic_jobs_and_beats(app, in_process):
    app.config["JOBS_PERIODIC_MAX_DELAY"] = 8 * 24 * 3600  # every job has a period due
    worker = in_process(periodic=True)
    jobs = worker.queue_app.connector.jobs

    def all_succeeded() -> bool:
        done = {job["task_name"] for job in jobs.values() if job["status"] == "succeeded"}
        return done >= set(PERIODIC)

    _wait_until(all_succeeded, timeout=60)
    assert db.session.query(WorkerHeartbeat).count() == 1
    failed = [job["task_name"] for job in jobs.values() if job["status"] == "failed"]
    assert failed == []
    db.session.rollback()  # SQLite: this test's open transaction would hold the writer's lock
    worker.stop()
    assert not worker.thread.is_alive()
    db.session.rollback()
    assert db.session.query(WorkerHeartbeat).count() == 0


@ON_SQLITE
def test_a_beat_still_being_written_when_the_worker_stops_leaves_no_heartbeat(
    app, in_process, monkeypatch
):
    """The worker stops while a beat is in its thread (a slow database): the beat finishes
    first and the row is removed after it, so /readyz does not call a stopped worker ready."""
    writing, slow = threading.Event(), 1.0
    real_beat = worker_module.beat

    def slow_beat(flask_app, name):
        writing.set()
        time.sleep(slow)  # the worker is told to stop meanwhile
        real_beat(flask_app, name)

    monkeypatch.setattr(worker_module, "beat", slow_beat)
    db.session.rollback()  # SQLite: no open transaction of the test's holds the writer's lock
    worker = in_process(periodic=False)
    assert writing.wait(timeout=10)
    worker.stop()
    assert not worker.thread.is_alive()
    db.session.rollback()
    assert db.session.query(WorkerHeartbeat).count() == 0
