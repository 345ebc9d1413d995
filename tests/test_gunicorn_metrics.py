"""The production gunicorn settings (gunicorn.conf.py) with 2 workers: the request log
is JSON lines on stderr, and /metrics adds up both workers' counts (multiprocess mode,
PROMETHEUS_MULTIPROC_DIR), whichever worker answers the scrape."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.servers import free_port, http_get, start_gunicorn, stop_gunicorn

REQUESTS = 40


@pytest.fixture
def production_gunicorn(sqlite_template, tmp_path):
    """gunicorn -c gunicorn.conf.py, 2 workers on 127.0.0.1; yields (port, stderr, dir)."""
    database = tmp_path / "linli.sqlite3"
    shutil.copy(sqlite_template, database)
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    stderr_path = tmp_path / "gunicorn.err"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "gunicorn-test",
        "LINLI_ENV": "development",  # production wants PostgreSQL and HTTPS: not the point here
        "LOG_FORMAT": "json",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    process = start_gunicorn(["-c", "gunicorn.conf.py"], env, stderr=stderr_path)
    try:
        yield port, stderr_path, metrics_dir
    finally:
        stop_gunicorn(process)


def test_two_workers_share_their_metrics_and_log_json(production_gunicorn):
    port, stderr_path, metrics_dir = production_gunicorn
    sent, pids = 0, set()
    # until both workers have served (each keeps its counts in files named by its pid):
    # a worker still starting lets the other take a whole first round
    while len(pids) < 2 and sent < 10 * REQUESTS:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: http_get(port, "/login")[0], range(REQUESTS)))
        assert statuses == [200] * REQUESTS
        sent += REQUESTS
        pids = {re.search(r"_(\d+)\.db$", f.name).group(1) for f in metrics_dir.glob("*.db")}
    assert len(pids) >= 2, pids
    total = re.compile(
        r'^flask_http_request_duration_seconds_count\{method="GET",status="200",'
        r'url_rule="/login"\} (\S+)$',
        re.M,
    )
    for _ in range(6):  # whichever worker answers the scrape, it sees both workers' counts
        status, _, text = http_get(port, "/metrics")
        assert status == 200
        assert float(total.search(text).group(1)) == sent
    status, headers, _ = http_get(port, "/login", {"X-Request-ID": "edge-7"})
    assert headers["X-Request-ID"] == "edge-7"
    time.sleep(0.2)
    lines = [
        json.loads(line)
        for line in stderr_path.read_text().splitlines()
        if line.startswith("{") and '"linli.request"' in line
    ]
    assert len(lines) == sent + 1  # /healthz and /metrics are not logged
    assert lines[-1]["request_id"] == "edge-7" and lines[-1]["route"] == "/login"
