"""Two worker processes on one PostgreSQL database, with every periodic job due: each
period's job is deferred once and run once, and no job runs beside itself."""

from __future__ import annotations

import time

from sqlalchemy import text

from extensions import db
from jobs.tasks import PERIODIC
from tests.jobs.conftest import ON_POSTGRESQL

PERIODIC_NAMES = set(PERIODIC) | {"jobs_prune", "jobs_retry_stalled"}
WEEK = 8 * 24 * 3600  # every periodic job has a period that started within the last 8 days


def _rows(query: str) -> list[tuple]:
    db.session.rollback()  # read afresh each time
    return [tuple(row) for row in db.session.execute(text(query))]


def _wait_until(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)  # polling the database for the workers' progress


@ON_POSTGRESQL
def test_two_workers_run_each_periodic_job_once(app, start_worker):
    settings = {"JOBS_PERIODIC_MAX_DELAY": str(WEEK)}
    workers = [start_worker(**settings), start_worker(**settings)]

    # both are up: each writes its own heartbeat
    _wait_until(lambda: _rows("SELECT count(*) FROM job_worker_heartbeats")[0][0] == 2)
    finished = "SELECT DISTINCT task_name FROM procrastinate_jobs WHERE status = 'succeeded'"
    _wait_until(lambda: {name for (name,) in _rows(finished)} >= PERIODIC_NAMES)
    time.sleep(3)  # the slower worker's deferrer has had its chance to defer a second copy
    outputs = [worker.stop() for worker in workers]

    jobs = _rows(
        "SELECT j.task_name, j.args->>'timestamp', j.status, count(e.id) "
        "FROM procrastinate_jobs j LEFT JOIN procrastinate_events e "
        "ON e.job_id = j.id AND e.type = 'started' "
        "GROUP BY j.id, j.task_name, j.args, j.status"
    )
    by_period: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for name, timestamp, status, started in jobs:
        by_period.setdefault((name, timestamp), []).append((status, started))
    assert {name for name, _ in by_period} == PERIODIC_NAMES, outputs
    for period, runs in by_period.items():
        # once per period (a minute boundary may bring the every-minute jobs' next period)
        assert runs == [("succeeded", 1)], (period, runs, outputs)
    # the stopped workers took their heartbeats with them
    assert _rows("SELECT count(*) FROM job_worker_heartbeats")[0][0] == 0


@ON_POSTGRESQL
def test_a_slow_periodic_job_is_never_overlapped_by_its_next_run(app):
    """The lock every periodic job carries: a second job of the same task waits while the
    first runs (procrastinate fetches no job whose lock a running job holds)."""
    db.session.execute(
        text(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args, status) "
            "VALUES ('default', 'marketplace_sweep', 'marketplace_sweep', '{}', 'doing'), "
            "('default', 'marketplace_sweep', 'marketplace_sweep', '{}', 'todo')"
        )
    )
    db.session.commit()
    fetch = text("SELECT id FROM procrastinate_fetch_job_v2(ARRAY['default']::varchar[], NULL)")
    assert db.session.execute(fetch).scalar() is None  # not handed out while the first runs
    db.session.rollback()

    db.session.execute(
        text("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE status = 'doing'")
    )
    db.session.commit()
    assert db.session.execute(fetch).scalar() is not None  # the first has finished: now it runs
    db.session.rollback()


@ON_POSTGRESQL
def test_a_job_whose_worker_died_is_run_again_and_frees_its_lock(app, start_worker):
    """A worker killed mid-job (kill -9, a lost host) leaves its job "doing", holding the
    periodic job's lock: the next worker's jobs_retry_stalled queues it again and it runs."""
    dead = db.session.execute(
        text(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (NOW() - INTERVAL '10 minutes') RETURNING id"
        )
    ).scalar()
    stalled = db.session.execute(
        text(
            "INSERT INTO procrastinate_jobs "
            "(queue_name, task_name, lock, args, status, worker_id, attempts) "
            "VALUES ('default', 'marketplace_sweep', 'marketplace_sweep', "
            "'{\"timestamp\": 0}', 'doing', :dead, 1) RETURNING id"
        ),
        {"dead": dead},
    ).scalar()
    db.session.commit()

    worker = start_worker(JOBS_PERIODIC_MAX_DELAY=str(WEEK), JOBS_STALLED_SECONDS="30")
    status = f"SELECT status FROM procrastinate_jobs WHERE id = {stalled}"
    _wait_until(lambda: _rows(status)[0][0] == "succeeded")
    said = worker.stop()
    assert "stalled: queued again" in said, said
