"""(d) The market's browse page under load, against a minimal Flask template page.

Both are served the same way, by gunicorn with 2 sync workers on 127.0.0.1,
and driven by the same load generator for the same time: `wrk` when it is
installed, otherwise a small Python generator (a few processes, each sending
one request at a time over its own connection, reconnecting when the server
closes it, as gunicorn's sync workers do after every response).

The browse page is the real app (its hooks, session, translations) on a fresh
SQLite file with 20 verified providers with ratings and prices, requested by
a visitor (the page is open to everyone) and by a signed-in member, each
sending back the cookies its browser would keep; the minimal page renders 20
table rows from a template.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from datetime import time as clock_time
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from bench.databases import BENCH_DIR, MIGRATIONS, bench_app
from community.models import Street
from community.services import create_member, found_community
from extensions import db
from marketplace.models import Provider, ProviderStatus, ServiceItem, WeeklySlot
from timebank.accounts import open_provider_account

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
PROVIDERS = 20
CLIENTS = 4  # concurrent connections of the Python load generator
PASSWORD = "bench-pass-1"
VIEWER = "13800000001"
START_TIMEOUT = 30.0
GOAL = 0.5  # the browse page should serve at least half the minimal page's requests
ROUNDS = 3  # each page this many times, taking turns; the median counts
PAGES = ("visitor", "member", "sign-in", "minimal")


@dataclass(frozen=True)
class Load:
    requests: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def seed_market(path: Path) -> str:
    """A fresh SQLite file: one street, two communities, a member, 20 rated providers."""
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    url = f"sqlite:///{path}"
    app = bench_app(url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        street = Street(name="沧浪街道")
        db.session.add(street)
        db.session.flush()
        communities = [
            found_community(street_id=street.id, name=name) for name in ("桂花新村社区", "南门社区")
        ]
        viewer = create_member(
            by=None,
            community=communities[0],
            display_name="王秀英",
            birth_date=date(1946, 5, 1),
            phone=VIEWER,
        )
        viewer.password_hash = generate_password_hash(PASSWORD)
        for n in range(PROVIDERS):
            owner = create_member(
                by=None, community=communities[n % 2], display_name=f"店主{n}", phone=None
            )
            provider = Provider(
                name=f"好邻居家政服务{n:02d}",
                kind="company",
                categories="housekeeping,meals" if n % 3 else "housekeeping",
                description="持证上岗的家政服务，日常保洁、深度保洁、长者助餐。",
                contact_name=owner.display_name,
                contact_phone="051265200000",
                status=ProviderStatus.VERIFIED,
                owner_id=owner.id,
                street_id=street.id,
                account_id=open_provider_account(owner.community_id).id,
                rating_count=3 + n * 2,
                rating_sum=(3 + n * 2) * 4 + n % 5,
            )
            provider.communities = communities if n % 2 else communities[:1]
            db.session.add(provider)
            db.session.flush()
            for k, (title, price) in enumerate((("日常保洁", 8000), ("深度保洁", 26000))):
                db.session.add(
                    ServiceItem(
                        provider_id=provider.id,
                        category="housekeeping",
                        title=title,
                        unit="visit",
                        price_fen=price + n * 100,
                        price_minutes=120 if k == 0 else None,
                        duration_minutes=120,
                    )
                )
            for weekday in range(7):
                db.session.add(
                    WeeklySlot(
                        provider_id=provider.id,
                        weekday=weekday,
                        starts_at=clock_time(9),
                        ends_at=clock_time(11),
                        capacity=3,
                    )
                )
        db.session.commit()
        db.engine.dispose()
    return url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, cookie: str = "") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


class Gunicorn:
    """gunicorn serving ``target`` with WORKERS sync workers on 127.0.0.1 (a context manager)."""

    def __init__(self, target: str, env: dict[str, str], cwd: Path = ROOT) -> None:
        self.target = target
        self.env = env
        self.cwd = cwd  # the checkout whose code it serves
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        # the app's request log (a line per request) goes here, not to the terminal
        self.log_path = BENCH_DIR / "gunicorn.log"

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                self.target,
            ],
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stderr=self._log(),
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                _get(self.port, "/")
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"gunicorn {self.target} exited (see {self.log_path})"
                    ) from None
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.target} did not start in {START_TIMEOUT:.0f} s")

    def _log(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in __exit__)
        return self._log_file

    def __exit__(self, *exc) -> None:
        log_file = getattr(self, "_log_file", None)
        if log_file is not None:
            log_file.close()
        if self.process and self.process.poll() is None:
            # only the gunicorn we started (its own session: the master and its workers)
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def sign_in(port: int) -> str:
    """The session cookie of the bench member, signed in through the real login form."""
    status, headers, body = _get(port, "/login")
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    form = f"login={VIEWER}&password={PASSWORD}&csrf_token={token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "POST",
        "/login",
        body=form,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"bench sign-in failed: {response.status}")
    # Every cookie the sign-in set (the session and the remember-me cookie), as a
    # browser sends them: with only one, each request would rebuild the session.
    cookies = [value.split(";")[0] for value in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies) or cookie


def _read_response(sock: socket.socket, buffer: bytes) -> tuple[int, bool, bytes]:
    """Read one HTTP response; returns (status, server closes the connection, leftover)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, closes = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            closes = True
    if length is None:  # read to the end
        while chunk := sock.recv(65536):
            rest += chunk
        return status, True, b""
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        rest += chunk
    return status, closes, rest[length:]


def _client(args: tuple[int, str, str, float, float]) -> tuple[int, int]:
    """One connection's loop: request, read, reconnect if closed, until ``stop_at``."""
    port, path, cookie, start_at, stop_at = args
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
        "Accept: text/html\r\n\r\n"
    ).encode()
    done = errors = 0
    sock = None
    buffer = b""
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at:
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                buffer = b""
            sock.sendall(request)
            status, closes, buffer = _read_response(sock, buffer)
            if status == 200:
                done += 1
            else:
                errors += 1
            if closes:
                sock.close()
                sock = None
        except OSError:
            errors += 1
            if sock is not None:
                sock.close()
            sock = None
    if sock is not None:
        sock.close()
    return done, errors


def python_load(port: int, path: str, cookie: str, seconds: float) -> Load:
    """CLIENTS processes, each one connection, for ``seconds`` (after 1 s of warm-up)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(CLIENTS) as pool:
        warm = time.time() + 1.0
        pool.map(_client, [(port, path, cookie, warm, warm + 1.0)] * CLIENTS)
        start = time.time() + 0.5
        results = pool.map(_client, [(port, path, cookie, start, start + seconds)] * CLIENTS)
    return Load(sum(r[0] for r in results), sum(r[1] for r in results), seconds)


def wrk_load(port: int, path: str, cookie: str, seconds: float) -> Load:
    """The same load through wrk (if installed): CLIENTS connections on 2 threads."""
    url = f"http://127.0.0.1:{port}{path}"
    header = ["-H", f"Cookie: {cookie}"]
    subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", "-d1s", *header, url], capture_output=True)
    run = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", f"-d{max(1, round(seconds))}s", *header, url],
        capture_output=True,
        text=True,
        check=True,
    )
    requests = int(re.search(r"(\d+) requests in", run.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
    errors = int(bad.group(1)) if bad else 0
    return Load(requests - errors, errors, max(1, round(seconds)))


def visitor_cookie(port: int) -> str:
    """The cookie a visitor's browser keeps from its first look at the market."""
    status, headers, body = _get(port, "/market/")
    shown = body.count(b'class="card"')
    if status != 200 or shown != PROVIDERS:
        raise RuntimeError(f"the browse page answered a visitor {status} with {shown} providers")
    return headers.get("Set-Cookie", "").split(";")[0]


def measure(
    seconds: float, rounds: int = ROUNDS, use_wrk: bool | None = None
) -> tuple[dict[str, Load], str]:
    """Each page's median load over ``rounds`` rounds of ``seconds``, and the generator's name.

    The browse page twice: for a visitor, who may look without signing in, and
    for a signed-in member (each request reads the member's row and unread
    count). The sign-in page (anonymous, no query) shows what the app's own
    request pipeline (session, Babel, CSRF, base template) allows any page.
    Both servers stay up and the pages take turns, so that a slower spell of
    the machine falls on every page alike rather than on one.
    """
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = seed_market(BENCH_DIR / "market.sqlite3")
    if use_wrk is None:
        use_wrk = shutil.which("wrk") is not None
    drive = wrk_load if use_wrk else python_load
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-market", "LINLI_ENV": "development"}
    runs: dict[str, list[Load]] = {page: [] for page in PAGES}
    with Gunicorn("app:create_app()", env) as app, Gunicorn("bench.minimal_page:app", {}) as bare:
        member = sign_in(app.port)
        status, _, body = _get(app.port, "/market/", member)
        shown = body.count(b'class="card"')
        if status != 200 or shown != PROVIDERS:
            raise RuntimeError(f"the browse page answered {status} with {shown} providers")
        targets = {
            "visitor": (app.port, "/market/", visitor_cookie(app.port)),
            "member": (app.port, "/market/", member),
            "sign-in": (app.port, "/login", ""),
            "minimal": (bare.port, "/", ""),
        }
        for _ in range(rounds):
            for page, (port, path, cookie) in targets.items():
                runs[page].append(drive(port, path, cookie, seconds))
    medians = {
        page: sorted(loads, key=lambda load: load.per_second)[rounds // 2]
        for page, loads in runs.items()
    }
    return medians, "wrk" if use_wrk else f"Python ({CLIENTS} connections)"


def report(seconds: float) -> list[str]:
    """The lines `python -m bench` prints for the browse page."""
    loads, generator = measure(seconds)
    minimal = loads["minimal"]

    def row(name: str, load: Load, goal: bool) -> list[str]:
        ratio = load.per_second / minimal.per_second if minimal.per_second else 0.0
        verdict = ("met" if ratio >= GOAL else "MISSED") if goal else ""
        per_second = f"{load.per_second:,.0f}"
        return [name, str(WORKERS), per_second, str(load.errors), f"{ratio:.2f}", verdict]

    header = ["page", "workers", "req/s", "errors", "ratio", f"goal ≥ {GOAL}"]
    rows = [
        row(f"/market/ ({PROVIDERS} providers), visitor", loads["visitor"], True),
        row(f"/market/ ({PROVIDERS} providers), member", loads["member"], True),
        row("app's sign-in page (no query)", loads["sign-in"], False),
        row("minimal 20-row template", minimal, False),
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, ["-" * w for w in widths], *rows]
    ]
    lines.append(
        f"gunicorn, {WORKERS} sync workers each; load: {generator}; the median of {ROUNDS} "
        f"turns of {seconds:g} s per page (each after 1 s of warm-up)."
    )
    return lines
