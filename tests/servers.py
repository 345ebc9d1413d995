"""Real servers a test starts on 127.0.0.1 and stops: a free port, an SMTP server
(aiosmtpd), and gunicorn.

gunicorn runs in a session of its own (master and workers), so stopping it stops
exactly the processes this test started, never anyone else's.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


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
