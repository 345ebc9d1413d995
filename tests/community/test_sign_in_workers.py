"""Sign-in limits hold across workers: gunicorn with 2 workers on 127.0.0.1, limits in
the machine's Redis (127.0.0.1:6379, keys under a prefix of this run's own, removed at
the end). The 6th wrong try for one name is refused whichever worker answers, and a
correct sign-in from another address still works.

Without Redis the test is skipped locally and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from app import create_app
from community.models import Street
from community.services import create_member, found_community
from extensions import db
from tests.conftest import PASSWORD, _config
from tests.servers import START_TIMEOUT, Browser, free_port, start_gunicorn, stop_gunicorn

# .ci/run points this at the machine's Redis; locally it is the usual address
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WRONG = "not-the-password-7"


@pytest.fixture
def redis_server() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis is not answering at {REDIS_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_server) -> str:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"linli-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in redis_server.scan_iter(match=f"LIMITS:LIMITER/{prefix}/*", count=1000):
        redis_server.delete(key)


@pytest.fixture
def street_file(sqlite_template, tmp_path) -> tuple[str, dict[str, str]]:
    """A migrated SQLite file with two members who sign in; (url, {name: phone})."""
    path = tmp_path / "workers.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    app = create_app(_config(url))
    with app.app_context():
        street = Street(name="沧浪街道")
        db.session.add(street)
        db.session.flush()
        community = found_community(street_id=street.id, name="桂花新村社区")
        phones = {"target": "13912345678", "neighbour": "13912345679"}
        for name, phone in phones.items():
            create_member(
                by=None, community=community, display_name=name, phone=phone, password=PASSWORD
            )
        db.session.commit()
        db.engine.dispose()
    return url, phones


@pytest.fixture
def gunicorn(street_file, key_prefix, tmp_path):
    """gunicorn, 2 sync workers, one trusted proxy; yields (port, access log path)."""
    url, _ = street_file
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "workers-test",
        "LINLI_ENV": "development",
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": key_prefix,
        "TRUSTED_PROXIES": "1",
        "SIGN_IN_LIMITS_PER_NAME": "5 per minute;20 per hour",
        "SIGN_IN_LIMITS_PER_ADDRESS": "8 per minute",
    }
    args = ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log)]
    args += ["--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "--log-level", "warning"]
    process = start_gunicorn([*args, "app:create_app()"], env, ready_path="/login")
    try:
        _wait_for_both_workers(port, access_log, time.monotonic() + START_TIMEOUT)
        yield port, access_log
    finally:
        stop_gunicorn(process)


def _workers_answering(access_log: Path, status: str, method: str = "POST") -> set[str]:
    lines = access_log.read_text().splitlines() if access_log.exists() else []
    return {line.split()[0] for line in lines if line.endswith(f"{method} /login {status}")}


def _wait_for_both_workers(port: int, access_log: Path, deadline: float) -> None:
    """Return once each of the 2 workers has answered a page: on a busy machine one
    worker can still be loading the app while the other already answers."""
    while len(_workers_answering(access_log, "200", method="GET")) < 2:
        if time.monotonic() > deadline:
            raise RuntimeError("the second gunicorn worker did not start")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: Browser(port).get("/login"), range(4)))
        time.sleep(0.2)


def test_the_limit_holds_whichever_worker_answers(gunicorn, street_file, redis_server, key_prefix):
    port, access_log = gunicorn
    _, phones = street_file
    attacker = Browser(port, "198.51.100.1")
    assert [attacker.sign_in(phones["target"], WRONG) for _ in range(5)] == [401] * 5
    assert attacker.sign_in(phones["target"], WRONG) == 429

    # at once, over fresh connections, until both workers have answered: every one refused
    # (which worker takes a connection is the kernel's choice, so a round may go to one)
    for round_ in range(5):
        addresses = range(2 + 12 * round_, 14 + 12 * round_)
        tries = [Browser(port, f"198.51.100.{n}") for n in addresses]
        with ThreadPoolExecutor(len(tries)) as pool:
            statuses = list(pool.map(lambda b: b.sign_in(phones["target"], PASSWORD), tries))
        assert statuses == [429] * len(tries)
        time.sleep(0.5)  # gunicorn writes its access log after the response
        if len(_workers_answering(access_log, "429")) == 2:
            break
    assert len(_workers_answering(access_log, "429")) == 2, "only one worker answered"
    assert any(redis_server.scan_iter(match=f"LIMITS:LIMITER/{key_prefix}/*"))

    # a correct sign-in of another member still works, from another address…
    assert Browser(port, "203.0.113.5").sign_in(phones["neighbour"], PASSWORD) == 302
    # …while the attacker's address, after 8 failed tries in all, is refused even for it
    for n in range(3):
        assert attacker.sign_in(f"1380000000{n}", WRONG) == 401
    assert attacker.sign_in(phones["neighbour"], PASSWORD) == 429
    assert Browser(port, "203.0.113.6").sign_in(phones["neighbour"], PASSWORD) == 302
