"""Real servers a test starts on 127.0.0.1 and stops: a free port, an SMTP server
(aiosmtpd), gunicorn and a browser-like client for it, and the job worker.

gunicorn runs in a session of its own (master and workers), so stopping it stops
exactly the processes this test started, never anyone else's.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
    """GET ``path`` from 127.0.0.1:``port``: (status, headers, body text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def start_gunicorn(
    args: list[str],
    env: dict[str, str],
    *,
    ready_path: str = "/healthz",
    stderr=None,
    timeout: float = START_TIMEOUT,
) -> subprocess.Popen:
    """``python -m gunicorn *args`` from the project's folder, once ``ready_path`` answers.

    ``env`` must bind it to 127.0.0.1 (``--bind`` in ``args`` or GUNICORN_BIND, with
    ``-c gunicorn.conf.py``); the port is read from whichever is given. Raises
    RuntimeError (with what it printed, if ``stderr`` is a file path) if it does not
    start in ``timeout`` seconds; it is stopped then.
    """
    bind = args[args.index("--bind") + 1] if "--bind" in args else env["GUNICORN_BIND"]
    host, port = bind.rsplit(":", 1)
    assert host == "127.0.0.1", "test servers listen on 127.0.0.1 only"
    output = open(stderr, "wb") if stderr else None  # noqa: SIM115 (closed below)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args],
            cwd=ROOT,
            env=env,
            stderr=output,
            start_new_session=True,
        )
    finally:
        if output:
            output.close()
    deadline = time.monotonic() + timeout
    while True:
        try:
            http_get(int(port), ready_path)
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_gunicorn(process)
                said = Path(stderr).read_text() if stderr else ""
                raise RuntimeError(f"gunicorn did not start\n{said}") from None
            time.sleep(0.2)


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Stop a gunicorn started by ``start_gunicorn`` (TERM, then KILL after 15 s)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Mailbox:
    """What a plain SMTP server received: each envelope, in order."""

    def __init__(self) -> None:
        self.received: list = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"

    @property
    def recipients(self) -> list[str]:
        return [to for envelope in self.received for to in envelope.rcpt_tos]


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A plain SMTP server (no TLS, no login) on 127.0.0.1: (its mailbox, its port)."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


class Browser:
    """One visitor: keeps the session cookie, posts the sign-in form with its token,
    and comes from ``address`` (as the trusted proxy says in X-Forwarded-For; over
    HTTPS if ``https``, as it says in X-Forwarded-Proto)."""

    def __init__(self, port: int, address: str = "198.51.100.1", *, https: bool = False) -> None:
        self.port, self.address, self.cookie = port, address, ""
        self.https = https  # the proxy says the client came over HTTPS

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"X-Forwarded-For": self.address, "Accept": "text/html"}
        if self.https:
            headers["X-Forwarded-Proto"] = "https"
            # over HTTPS, Flask-WTF also checks that a post comes from this site's page
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        page = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("session="):
                self.cookie = header.split(";")[0]
        connection.close()
        return response.status, page

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def sign_in(self, login: str, password: str) -> int:
        status, page = self.get("/login")
        token = TOKEN_RE.search(page).group(1)
        form = f"login={login}&password={password}&csrf_token={token}"
        return self.request("POST", "/login", form)[0]


class WorkerProcess:
    """``flask --app app worker`` in a process of its own, on the test's database."""

    def __init__(self, database_url: str, **settings: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "WORKER_HEARTBEAT_SECONDS": "1",
            **settings,
        }
        for name in ("MAIL_SERVER", "STRIPE_SECRET_KEY", "REDIS_URL", "LINLI_ENV"):
            if name not in settings:
                env.pop(name, None)
        # a file, not a pipe: a pipe nobody reads could fill and block the worker
        self.output = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--concurrency", "2"],
            cwd=ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Stop it (SIGTERM: gracefully) and return what it printed (once; then "")."""
        if self.output.closed:
            return ""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.seek(0)
        output = self.output.read().decode(errors="replace")
        self.output.close()
        return output
