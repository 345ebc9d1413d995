"""(e) The sign-in page with its limits against the same page without them.

Two copies of the real app on one fresh SQLite file (bench/market_browse's),
each served by gunicorn with 2 sync workers on 127.0.0.1: one with the sign-in
limits on (Flask-Limiter; Redis when REDIS_URL is set, else each worker's
memory), one with RATELIMIT_ENABLED off. Both are driven by the same load
generator for the same time, taking turns, and the median of the rounds counts
(as in market_browse):

- the sign-in page (GET /login): every request passes the limiter's hooks;
- a sign-in try with a wrong password (POST /login, answered 401): each try is
  checked against the limits per name and per address and then counted. The
  limits are raised above what the run can reach, so every try is counted and
  none refused (the run checks that no answer was a 429).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.databases import BENCH_DIR
from bench.market_browse import (
    CLIENTS,
    PASSWORD,
    ROUNDS,
    VIEWER,
    WORKERS,
    Gunicorn,
    Load,
    _get,
    python_load,
    seed_market,
    wrk_load,
)

GOAL = 0.9
WRONG = "not-" + PASSWORD
NEVER_REACHED = "1000000 per minute"
TOKEN_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')

# Counts the answers that were not the expected 401 (wrk calls these per response).
WRK_POST_SCRIPT = """
wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "{cookie}"
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) refused = 0; unexpected = 0 end
function response(status, headers, body)
  if status == 429 then refused = refused + 1
  elseif status ~= 401 then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local r, u = 0, 0
  for _, t in ipairs(threads) do r = r + t:get("refused"); u = u + t:get("unexpected") end
  io.write(string.format("refused %d unexpected %d\\n", r, u))
end
"""


@dataclass(frozen=True)
class Try:
    """A sign-in try the load repeats: the form body and the session cookie it goes with."""

    body: str
    cookie: str


def wrong_try(port: int) -> Try:
    """A wrong-password try for the bench member, with a real session and CSRF token."""
    status, headers, page = _get(port, "/login")
    if status != 200:
        raise RuntimeError(f"the sign-in page answered {status}")
    token = TOKEN_RE.search(page).group(1).decode()
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    return Try(f"login={VIEWER}&password={WRONG}&csrf_token={token}", cookie)


def wrk_post(port: int, attempt: Try, seconds: float) -> Load:
    """POST ``attempt`` through wrk for ``seconds`` (after 1 s of warm-up)."""
    url = f"http://127.0.0.1:{port}/login"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_POST_SCRIPT.format(body=attempt.body, cookie=attempt.cookie))
    try:
        args = ["wrk", "-t2", f"-c{CLIENTS}", "-s", script.name]
        subprocess.run([*args, "-d1s", url], capture_output=True)
        run = subprocess.run(
            [*args, f"-d{max(1, round(seconds))}s", url], capture_output=True, text=True, check=True
        )
    finally:
        os.unlink(script.name)
    requests = int(re.search(r"(\d+) requests in", run.stdout).group(1))
    refused, unexpected = map(
        int, re.search(r"refused (\d+) unexpected (\d+)", run.stdout).groups()
    )
    return Load(requests - refused - unexpected, refused + unexpected, max(1, round(seconds)))


def python_post(port: int, attempt: Try, seconds: float) -> Load:
    """The same tries through a small Python generator (when wrk is not installed)."""
    done = errors = 0
    stop_at = time.monotonic() + seconds
    headers = {"Cookie": attempt.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    while time.monotonic() < stop_at:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", "/login", body=attempt.body, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status == 401:
            done += 1
        else:
            errors += 1
    return Load(done, errors, seconds)


def measure(seconds: float, rounds: int = ROUNDS) -> tuple[dict[str, Load], str, str]:
    """Each (page, side)'s median load over ``rounds`` rounds; the generator; the store."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = seed_market(BENCH_DIR / "sign-in.sqlite3")
    use_wrk = shutil.which("wrk") is not None
    redis_url = os.environ.get("REDIS_URL") or ""
    common = {"DATABASE_URL": url, "SECRET_KEY": "bench-sign-in", "LINLI_ENV": "development"}
    limited_env = {
        **common,
        "RATELIMIT_ENABLED": "1",
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": f"linli-bench-{os.getpid()}",
        "SIGN_IN_LIMITS_PER_NAME": NEVER_REACHED,
        "SIGN_IN_LIMITS_PER_ADDRESS": NEVER_REACHED,
    }
    unlimited_env = {**common, "RATELIMIT_ENABLED": "0", "REDIS_URL": ""}
    get_load = wrk_load if use_wrk else python_load
    post_load: Callable[[int, Try, float], Load] = wrk_post if use_wrk else python_post
    runs: dict[str, list[Load]] = {}
    with (
        Gunicorn("app:create_app()", limited_env) as limited,
        Gunicorn("app:create_app()", unlimited_env) as unlimited,
    ):
        sides = {"limited": limited.port, "unlimited": unlimited.port}
        tries = {side: wrong_try(port) for side, port in sides.items()}
        for _ in range(rounds):
            for side, port in sides.items():
                runs.setdefault(f"page:{side}", []).append(get_load(port, "/login", "", seconds))
            for side, port in sides.items():
                runs.setdefault(f"try:{side}", []).append(post_load(port, tries[side], seconds))
        # the limited side counted every try and refused none
        status, _, _ = _post_once(sides["limited"], tries["limited"])
        if status != 401:
            raise RuntimeError(f"after the run a wrong try was answered {status}, not 401")
    medians = {
        key: sorted(loads, key=lambda load: load.per_second)[rounds // 2]
        for key, loads in runs.items()
    }
    generator = "wrk" if use_wrk else "Python"
    store = "Redis" if redis_url else "memory"
    return medians, generator, store


def _post_once(port: int, attempt: Try) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": attempt.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    connection.request("POST", "/login", body=attempt.body, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def report(seconds: float) -> list[str]:
    """The lines `python -m bench` prints for the sign-in limits."""
    loads, generator, store = measure(seconds)
    header = ["sign-in", "workers", "with limits req/s", "without req/s", "errors", "ratio"]
    header.append(f"goal ≥ {GOAL}")
    rows = []
    for key, name in (("page", "GET /login (the page)"), ("try", "POST /login, wrong password")):
        limited, unlimited = loads[f"{key}:limited"], loads[f"{key}:unlimited"]
        ratio = limited.per_second / unlimited.per_second if unlimited.per_second else 0.0
        rows.append(
            [
                name,
                str(WORKERS),
                f"{limited.per_second:,.1f}",
                f"{unlimited.per_second:,.1f}",
                str(limited.errors + unlimited.errors),
                f"{ratio:.2f}",
                "met" if ratio >= GOAL else "MISSED",
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, ["-" * w for w in widths], *rows]
    ]
    lines.append(
        f"gunicorn, {WORKERS} sync workers each; limits in {store}; load: {generator} "
        f"({CLIENTS} connections); the median of {ROUNDS} turns of {seconds:g} s per side "
        "(each after 1 s of warm-up). A wrong try hashes the password (scrypt) on both sides."
    )
    return lines
