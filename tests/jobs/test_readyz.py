"""/readyz: 200 when the database answers at the migrations' head, Redis answers (when
configured) and a worker beat recently; 503 with the failing check named otherwise."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from app import create_app
from community.models import utcnow
from extensions import db
from jobs.models import WorkerHeartbeat
from jobs.readiness import worker_heartbeat_age
from jobs.worker import beat
from tests.conftest import MIGRATIONS, _config
from tests.servers import free_port


def _ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def test_ready_when_every_check_passes(app, client):
    beat(app, "host:1")
    status, body = _ready(client)
    assert (status, body["ready"]) == (200, True), body
    assert set(body["checks"]) == {"database", "migrations", "redis", "worker"}
    newest = sorted(Path(MIGRATIONS, "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))[-1].name[:4]
    assert body["checks"]["migrations"]["at"] == body["checks"]["migrations"]["head"] == [newest]
    assert body["checks"]["redis"] == {"ok": True, "configured": False}
    assert 0 <= worker_heartbeat_age() < 5


def test_not_ready_without_a_worker_or_with_a_stale_heartbeat(app, client):
    status, body = _ready(client)
    assert status == 503 and not body["checks"]["worker"]["ok"]
    assert body["checks"]["worker"]["heartbeat_age_seconds"] is None

    beat(app, "host:1")
    db.session.execute(update(WorkerHeartbeat).values(beat_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    status, body = _ready(client)
    assert status == 503 and body["checks"]["worker"]["heartbeat_age_seconds"] >= 120
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]


def test_not_ready_when_the_migrations_are_behind(app, client):
    beat(app, "host:1")
    head = db.session.scalar(db.text("SELECT version_num FROM alembic_version"))
    db.session.execute(db.text("UPDATE alembic_version SET version_num = '0009'"))
    db.session.commit()
    try:
        status, body = _ready(client)
    finally:  # the PostgreSQL test database (and its alembic_version) outlives this test
        db.session.execute(
            db.text("UPDATE alembic_version SET version_num = :head"), {"head": head}
        )
        db.session.commit()
    assert status == 503 and body["checks"]["migrations"]["ok"] is False


def test_not_ready_when_postgresql_is_unreachable():
    nobody = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/linli"
    app = create_app(_config(nobody))
    with app.app_context():
        status, body = _ready(app.test_client())
    assert status == 503
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert "127.0.0.1" not in str(body)  # nothing of the connection is given away


def test_redis_when_configured(app, client):
    beat(app, "host:1")
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens
    status, body = _ready(client)
    assert status == 503 and body["checks"]["redis"]["ok"] is False
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_REDIS_URL is not set")
        pytest.skip("no Redis (TEST_REDIS_URL)")
    app.config["REDIS_URL"] = redis_url
    status, body = _ready(client)
    assert status == 200 and body["checks"]["redis"] == {"ok": True, "configured": True}


def _wait_for(client, wanted: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = _ready(client)
        if status == wanted:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.25)  # polling the endpoint as a load balancer would


def test_ready_while_a_worker_process_runs_and_not_once_it_stopped(app, client, start_worker):
    worker = start_worker()
    _wait_for(client, 200)
    worker.stop()  # SIGTERM: it stops gracefully and takes its heartbeat away
    body = _wait_for(client, 503, timeout=5)
    assert body["checks"]["worker"]["heartbeat_age_seconds"] is None


def test_a_killed_worker_stops_being_ready_once_its_heartbeat_is_stale(app, client, start_worker):
    app.config["WORKER_STALE_SECONDS"] = 3
    worker = start_worker()
    _wait_for(client, 200)
    os.kill(worker.process.pid, signal.SIGKILL)  # no time to clean up: the row stays
    worker.process.wait()
    body = _wait_for(client, 503, timeout=10)
    assert body["checks"]["worker"]["heartbeat_age_seconds"] >= 3
