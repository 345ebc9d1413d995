"""(f) Every main page, signed in, against the yardstick page, in one run.

The yardstick (bench/yardstick.py) does what every signed-in page must: it
decodes the session cookie, loads the member by primary key through
Flask-Login and renders a 20-row template. Each page of the real app is
requested by the person it is for (a resident, a coordinator, a provider),
on the demo street (`seed-demo`, on a fresh SQLite file), and its requests
per second are divided by the yardstick's. The visitor's /market/ and the
sign-in page are divided by the plain minimal page (bench/minimal_page.py),
which has no session at all.

With ``--against REF`` (e.g. ``main``) the same pages of that commit run in the
same turns, on their own copy of the demo street seeded by their own code, so
that "before" and "after" meet the same spells of a busy machine.

Everything is served by gunicorn with 2 sync workers on 127.0.0.1, and driven
by wrk (-t2 -c32) when installed, otherwise by bench/market_browse's Python
generator; three rounds, pages taking turns, the median counts.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.databases import BENCH_DIR
from bench.market_browse import ROOT, ROUNDS, WORKERS, Gunicorn, Load, _get, python_load

GOAL = 0.5
CONNECTIONS = 32  # wrk's connections (gunicorn's sync workers queue them)
SECRET_KEY = "bench-signed-pages"
DEMO_PASSWORD = "linli2026"  # seed.demo.DEMO_PASSWORD (not imported: the baseline seeds itself)
TOKEN_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    """A page the bench requests: its name, who asks (a login name, or None) and its path."""

    name: str
    login: str | None
    path: str
    against: str = "yardstick"  # or "minimal": pages anyone may see


@dataclass
class Side:
    """One checkout of the app under load: where it runs and its members' cookies."""

    label: str
    root: Path
    url: str
    port: int = 0
    cookies: dict[str | None, str] | None = None


def demo_pages(url: str) -> list[Page]:
    """The pages, with the ids they need read from the seeded demo street."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:

        def one(sql: str, *args) -> int:
            row = connection.execute(sql, args).fetchone()
            if row is None:
                raise RuntimeError(f"the demo street has no answer to {sql!r}")
            return row[0]

        elder = one("SELECT id FROM users WHERE phone = '13900000002'")
        booker = one(
            "SELECT resident_id FROM bookings GROUP BY resident_id "
            "ORDER BY count(*) DESC, resident_id LIMIT 1"
        )
        booker_login = one("SELECT coalesce(phone, username) FROM users WHERE id = ?", booker)
        booking = one(
            "SELECT max(id) FROM bookings WHERE resident_id = ? AND status = 'completed'", booker
        )
        provider = one(
            "SELECT providers.id FROM providers JOIN users ON users.id = providers.owner_id "
            "WHERE users.username = 'haobangshou.shop'"
        )
    return [
        # The frame and nothing else (header, footer, session, CSRF, security headers,
        # request log): the ceiling every page with content of its own sits under.
        Page("/account (the frame alone)", "13900000002", "/account"),
        Page("dashboard", "13900000002", "/"),
        Page("coordinator desk", "guihua.coord", "/desk/"),
        Page("member page (desk)", "guihua.coord", f"/desk/members/{elder}"),
        Page("member page", "guihua.coord", f"/members/{elder}"),
        Page("/market/ (member)", "13900000002", "/market/"),
        Page("provider page", "13900000002", f"/market/providers/{provider}"),
        Page("provider dashboard", "haobangshou.shop", "/provider/dashboard/"),
        Page("my bookings", booker_login, "/bookings/"),
        Page("booking page", booker_login, f"/bookings/{booking}"),
        Page("/market/ (visitor)", None, "/market/", against="minimal"),
        Page("sign-in page", None, "/login", against="minimal"),
    ]


def checkout(ref: str) -> Path:
    """A clean copy of commit ``ref`` of this repository, with its translations compiled."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    target = BENCH_DIR / f"checkout-{sha}"
    if not (target / "app.py").exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tempfile.TemporaryFile() as archive:
            subprocess.run(["git", "archive", sha], cwd=ROOT, stdout=archive, check=True)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                tar.extractall(target, filter="data")
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "-q", "compile", "-d", str(target / "translations")], check=True)
    return target


def seed_demo_street(root: Path, path: Path) -> str:
    """A fresh SQLite file at ``path`` with the demo street, made by ``root``'s own code."""
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "LINLI_ENV": "development"}
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *command],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
    return url


def sign_in(port: int, login: str) -> str:
    """The cookies of ``login`` signed in through the app's own form."""
    _, headers, body = _get(port, "/login")
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    token = TOKEN_RE.search(body).group(1).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/login",
        body=f"login={login}&password={DEMO_PASSWORD}&csrf_token={token}",
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"bench sign-in of {login} failed: {response.status}")
    cookies = [value.split(";")[0] for value in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies) or cookie


def yardstick_cookie(port: int, member_id: int) -> str:
    """The yardstick's session cookie for ``member_id``."""
    _, headers, _ = _get(port, f"/sign-in/{member_id}")
    return headers.get("Set-Cookie", "").split(";")[0]


def wrk_load(port: int, path: str, cookie: str, seconds: float) -> Load:
    """wrk -t2 -c32 on ``path`` for ``seconds`` (after 1 s of warm-up)."""
    url = f"http://127.0.0.1:{port}{path}"
    header = ["-H", f"Cookie: {cookie}"] if cookie else []
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", "--timeout", "10s", *header, url]
    subprocess.run([*args, "-d1s"], capture_output=True)
    # The warm-up leaves up to CONNECTIONS requests queued; one more, queued behind
    # them, comes back once they are served, so the timed run starts on an idle server.
    _get(port, path, cookie)
    duration = max(1, round(seconds))
    run = subprocess.run([*args, f"-d{duration}s"], capture_output=True, text=True, check=True)
    requests = int(re.search(r"(\d+) requests in", run.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
    errors = int(bad.group(1)) if bad else 0
    return Load(requests - errors, errors, duration)


def _check(port: int, page: Page, cookie: str) -> None:
    status, _, _ = _get(port, page.path, cookie)
    if status != 200:
        raise RuntimeError(f"{page.name} ({page.path}) answered {status}")


def measure(seconds: float, against: str | None, rounds: int = ROUNDS):
    """Each (page, side)'s median load, the yardsticks' medians, and the generator's name."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sides = [Side("after", ROOT, "")]
    if against:
        sides.insert(0, Side("before", checkout(against), ""))
    for side in sides:
        side.url = seed_demo_street(side.root, BENCH_DIR / f"pages-{side.label}.sqlite3")
    pages = demo_pages(sides[-1].url)
    use_wrk = shutil.which("wrk") is not None
    drive = wrk_load if use_wrk else python_load
    runs: dict[tuple[str, str], list[Load]] = {}
    with ExitStack() as stack:
        for side in sides:
            env = {"DATABASE_URL": side.url, "SECRET_KEY": SECRET_KEY, "LINLI_ENV": "development"}
            side.port = stack.enter_context(Gunicorn("app:create_app()", env, cwd=side.root)).port
            side.cookies = {None: ""}
            for page in pages:
                if page.login not in side.cookies:
                    side.cookies[page.login] = sign_in(side.port, page.login)
                _check(side.port, page, side.cookies[page.login])
        env = {"DATABASE_URL": sides[-1].url, "SECRET_KEY": SECRET_KEY}
        yardstick = stack.enter_context(Gunicorn("bench.yardstick:app", env)).port
        minimal = stack.enter_context(Gunicorn("bench.minimal_page:app", {})).port
        with sqlite3.connect(sides[-1].url.removeprefix("sqlite:///")) as connection:
            elder = connection.execute("SELECT id FROM users WHERE phone = '13900000002'")
            (elder,) = elder.fetchone()
        stick_cookie = yardstick_cookie(yardstick, elder)
        _check(yardstick, Page("yardstick", None, "/"), stick_cookie)
        for _ in range(rounds):
            for name, port, cookie in (
                ("yardstick", yardstick, stick_cookie),
                ("minimal", minimal, ""),
            ):
                runs.setdefault((name, ""), []).append(drive(port, "/", cookie, seconds))
            for page in pages:
                for side in sides:
                    load = drive(side.port, page.path, side.cookies[page.login], seconds)
                    runs.setdefault((page.name, side.label), []).append(load)
    medians = {
        key: sorted(loads, key=lambda load: load.per_second)[len(loads) // 2]
        for key, loads in runs.items()
    }
    generator = f"wrk -t2 -c{CONNECTIONS}" if use_wrk else "Python generator"
    return pages, [side.label for side in sides], medians, generator


def report(seconds: float, against: str | None) -> list[str]:
    """The lines `python -m bench` prints: each page's req/s, its yardstick's, the ratio."""
    pages, labels, loads, generator = measure(seconds, against)
    stick = loads[("yardstick", "")].per_second
    plain = loads[("minimal", "")].per_second
    header = ["page, signed in unless said"]
    for label in labels:
        header += [f"{label} req/s", f"{label} ratio"] if len(labels) > 1 else ["req/s", "ratio"]
    header += ["errors", f"goal ≥ {GOAL}"]
    rows = []
    for page in pages:
        base = stick if page.against == "yardstick" else plain
        row = [page.name + ("" if page.against == "yardstick" else " ÷ plain")]
        errors = 0
        for label in labels:
            load = loads[(page.name, label)]
            errors += load.errors
            row += [f"{load.per_second:,.0f}", f"{load.per_second / base:.2f}"]
        verdict = "met" if float(row[-1]) >= GOAL else "MISSED"
        rows.append([*row, str(errors), verdict])
    blanks = [""] * (len(header) - 2)
    rows.append(["yardstick (session, member by id, 20 rows)", f"{stick:,.0f}", *blanks])
    rows.append(["plain minimal page (no session)", f"{plain:,.0f}", *blanks])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, ["-" * w for w in widths], *rows]
    ]
    before = f"; before = {against}, in the same turns" if len(labels) > 1 else ""
    lines.append(
        f"demo street on SQLite; gunicorn, {WORKERS} sync workers each; load: {generator}; "
        f"the median of {ROUNDS} turns of {seconds:g} s per page (each after 1 s of warm-up)"
        f"{before}; ratio = the page's req/s ÷ the yardstick's (÷ the plain page's where said)."
    )
    return lines
