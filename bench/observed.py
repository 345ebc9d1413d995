"""(h) The sign-in page with the request log and the metrics against without them.

Two copies of the real app on one fresh SQLite file (bench/market_browse's), each served
by gunicorn with 2 sync workers on 127.0.0.1, under the same load for the same time —
side by side, at the same moment, rather than taking turns: on a shared, busy machine
whatever else runs then slows both alike, and their ratio is each request's cost. The
median of the rounds' ratios counts:

- observed: as in production — a JSON log line per request (LOG_FORMAT json, written to
  a file as journald would take it), the request id, and the Prometheus counts shared
  by the two workers through files (PROMETHEUS_MULTIPROC_DIR);
- bare: LOG_REQUESTS and METRICS_ENABLED off (the request id is still given).

Goal: the observed side serves at least 0.9× the bare side's requests per second.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor

from bench.databases import BENCH_DIR
from bench.market_browse import (
    CLIENTS,
    WORKERS,
    Gunicorn,
    Load,
    _get,
    python_load,
    seed_market,
    wrk_load,
)

GOAL = 0.9
PAGE = "/login"
ROUNDS = 5


def measure(seconds: float, rounds: int = ROUNDS) -> tuple[dict[str, Load], float, str, int]:
    """Each side's median load and the median ratio over ``rounds`` rounds; the
    generator; the lines logged."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = seed_market(BENCH_DIR / "observed.sqlite3")
    use_wrk = shutil.which("wrk") is not None
    metrics_dir = tempfile.mkdtemp(prefix="linli-bench-prometheus-")
    common = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-observed",
        "LINLI_ENV": "development",
        "RATELIMIT_ENABLED": "1",
        "REDIS_URL": "",
    }
    observed_env = {
        **common,
        "LOG_REQUESTS": "1",
        "LOG_FORMAT": "json",
        "METRICS_ENABLED": "1",
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
    }
    bare_env = {**common, "LOG_REQUESTS": "0", "METRICS_ENABLED": "0"}
    load = wrk_load if use_wrk else python_load
    runs: dict[str, list[Load]] = {}
    logged_before = _logged_lines()
    try:
        with (
            Gunicorn("app:create_app()", observed_env) as observed,
            Gunicorn("app:create_app()", bare_env) as bare,
        ):
            sides = {"observed": observed.port, "bare": bare.port}
            for port in sides.values():
                status, _, _ = _get(port, PAGE)
                if status != 200:
                    raise RuntimeError(f"the sign-in page answered {status}")
            with ThreadPoolExecutor(len(sides)) as both:
                for _ in range(rounds):
                    at_once = {
                        side: both.submit(load, port, PAGE, "", seconds)
                        for side, port in sides.items()
                    }
                    for side, running in at_once.items():
                        runs.setdefault(side, []).append(running.result())
            # the observed side counted what it served, across both workers
            status, _, body = _get(observed.port, "/metrics")
            if status != 200 or b"flask_http_request_duration_seconds_count" not in body:
                raise RuntimeError(f"/metrics answered {status} on the observed side")
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    medians = {
        side: sorted(loads, key=lambda load: load.per_second)[rounds // 2]
        for side, loads in runs.items()
    }
    ratio = statistics.median(
        o.per_second / b.per_second if b.per_second else 0.0
        for o, b in zip(runs["observed"], runs["bare"], strict=True)
    )
    return medians, ratio, "wrk" if use_wrk else "Python", _logged_lines() - logged_before


def _logged_lines() -> int:
    path = BENCH_DIR / "gunicorn.log"
    if not path.exists():
        return 0
    with open(path, "rb") as log:
        return sum(1 for line in log if b'"linli.request"' in line)


def report(seconds: float) -> list[str]:
    """The lines `python -m bench` prints for the request log and metrics."""
    loads, ratio, generator, logged = measure(seconds)
    observed, bare = loads["observed"], loads["bare"]
    header = ["sign-in page", "workers", "logged+metrics req/s", "bare req/s", "errors", "ratio"]
    header.append(f"goal ≥ {GOAL}")
    row = [
        "GET /login",
        str(WORKERS),
        f"{observed.per_second:,.1f}",
        f"{bare.per_second:,.1f}",
        str(observed.errors + bare.errors),
        f"{ratio:.2f}",
        "met" if ratio >= GOAL else "MISSED",
    ]
    widths = [max(len(r[i]) for r in [header, row]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, ["-" * w for w in widths], row]
    ]
    lines.append(
        f"gunicorn, {WORKERS} sync workers each; logged+metrics: a JSON line per request "
        f"({logged:,} written to {BENCH_DIR / 'gunicorn.log'}) and Prometheus counts shared "
        f"through PROMETHEUS_MULTIPROC_DIR; load: {generator} ({CLIENTS} connections each "
        f"side), both sides at once; the median of {ROUNDS} rounds of {seconds:g} s (each "
        "after 1 s of warm-up), and of their ratios."
    )
    return lines
