"""The production shape, run for real on 127.0.0.1.

gunicorn with gunicorn.conf.py, 2 workers and LINLI_ENV=production, against the
machine's PostgreSQL and Redis, behind one (pretend) proxy; and one job worker
(`flask --app app worker`). It checks that:
- /readyz says ready (database, migrations, Redis, the worker's heartbeat);
- a booking the provider never answered is let go by the worker's sweep, and the
  resident's notice is mailed by the worker through a real SMTP server, with a whole
  link to the site;
- the resident signs in through the proxy over HTTPS and reads that booking, and
  plain HTTP is sent to HTTPS.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from community.models import utcnow
from extensions import db
from marketplace.booking_models import Booking, BookingStatus
from marketplace.models import Provider, ServiceItem
from tests.conftest import PASSWORD, PG_URL
from tests.marketplace.booking_support import add_booking
from tests.servers import (
    Browser,
    WorkerProcess,
    free_port,
    http_get,
    smtp_server,
    start_gunicorn,
    stop_gunicorn,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL")
PUBLIC = "https://linli.example.cn"
WAIT = 60.0

pytestmark = pytest.mark.parametrize(
    "database_url",
    [pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="no PostgreSQL"))],
    indirect=True,
)


def _wait_for(what: str, found, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not in {timeout:.0f} s: {what}")


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("TEST_REDIS_URL is not set: production needs Redis")
        pytest.skip("no Redis (TEST_REDIS_URL)")
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    return REDIS_URL


@pytest.fixture
def unanswered_booking(people) -> int:
    """A cleaning the elder booked, which the provider left unanswered past its time."""
    elder = people["elder"]
    elder.email = "wang.nainai@example.cn"
    shop = db.session.scalar(select(Provider).where(Provider.owner_id == people["provider"].id))
    item = ServiceItem(
        provider_id=shop.id,
        title="日常保洁",
        category="housekeeping",
        unit="visit",
        price_fen=8000,
        price_minutes=120,
        duration_minutes=120,
        cancel_fee_percent=20,
    )
    db.session.add(item)
    db.session.flush()
    booking = add_booking(
        item,
        utcnow() + timedelta(days=2),
        status=BookingStatus.REQUESTED,
        expires_at=utcnow() - timedelta(minutes=5),
        resident=elder,
    )
    db.session.commit()
    return booking.id


def _status(booking_id: int) -> str:
    db.session.rollback()  # read afresh what the worker committed
    return db.session.scalar(select(Booking.status).where(Booking.id == booking_id))


def test_the_production_shape_serves_sweeps_and_mails(
    app, database_url, redis_url, people, unanswered_booking, tmp_path
):
    with smtp_server() as (mailbox, smtp_port):
        settings = {
            "LINLI_ENV": "production",
            "SECRET_KEY": "smoke-test-secret-not-for-use",
            "REDIS_URL": redis_url,
            "PUBLIC_BASE_URL": PUBLIC,
            "EXPORT_DIR": str(tmp_path / "exports"),
            "PHOTO_DIR": str(tmp_path / "photos"),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "TRUSTED_PROXIES": "1",
            "RATELIMIT_KEY_PREFIX": f"smoke-{os.getpid()}-{time.time_ns()}",
            # the sweep's last period is due at once, not at the next five minutes
            "JOBS_PERIODIC_MAX_DELAY": str(3600),
            "WORKER_HEARTBEAT_SECONDS": "1",
        }
        port = free_port()
        web_env = {
            **os.environ,
            **settings,
            "DATABASE_URL": database_url,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        }
        web = start_gunicorn(["-c", "gunicorn.conf.py"], web_env, stderr=tmp_path / "web.err")
        worker = WorkerProcess(database_url, **settings)
        try:
            ready = _wait_for(
                "/readyz says ready",
                lambda: (answer := http_get(port, "/readyz"))[0] == 200 and answer,
            )
            checks = json.loads(ready[2])["checks"]
            assert all(check["ok"] for check in checks.values()), checks
            assert checks["redis"]["configured"] is True

            _wait_for(
                "the worker's sweep lets the booking go",
                lambda: _status(unanswered_booking) == BookingStatus.EXPIRED,
            )
            mail = _wait_for("the notice is mailed", lambda: mailbox.received)[0]
            assert mail.rcpt_tos == ["wang.nainai@example.cn"]
            body = mail.content.decode("utf-8", errors="replace")
            assert f"{PUBLIC}/" in body

            # plain HTTP is sent to HTTPS; through the proxy over HTTPS the elder signs in
            status, headers, _ = http_get(port, "/login")
            assert status in (301, 302, 308) and headers["Location"].startswith("https://")
            elder = Browser(port, https=True)
            assert elder.sign_in(people["elder"].login_name, PASSWORD) == 302
            status, page = elder.get(f"/bookings/{unanswered_booking}")
            assert status == 200 and "日常保洁" in page
        finally:
            said = worker.stop()
            stop_gunicorn(web)
        assert "Traceback" not in said, said
        assert "Traceback" not in (tmp_path / "web.err").read_text()
