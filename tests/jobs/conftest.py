"""Fixtures for the worker's tests: a real SMTP server on 127.0.0.1 that insists on
STARTTLS and a login (aiosmtpd, with a self-signed certificate made by openssl), and
worker processes (``flask --app app worker``) started and stopped by the tests."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import PG_URL
from tests.servers import WorkerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
# Tests of one backend's queue: PostgreSQL's (skipped without TEST_DATABASE_URL, which
# CI=true requires) or SQLite's in-process one.
ON_POSTGRESQL = pytest.mark.parametrize(
    "database_url",
    [pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="no PostgreSQL"))],
    indirect=True,
)
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MAIL_USER = "linli-relay"
MAIL_PASSWORD = "relay-secret-42"


class Relay:
    """What the SMTP server saw: every greeting (a client connected), and each mail with
    whether it came over TLS and who logged in."""

    def __init__(self) -> None:
        self.greetings = 0
        self.received: list[dict] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            {
                "to": list(envelope.rcpt_tos),
                "content": envelope.content,
                "tls": session.ssl is not None,
                "login": session.auth_data.login.decode()
                if isinstance(session.auth_data, LoginPassword)
                else None,
            }
        )
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    fine = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == MAIL_USER
        and auth_data.password.decode() == MAIL_PASSWORD
    )
    return AuthResult(success=fine, auth_data=auth_data if fine else None)


@pytest.fixture(scope="session")
def relay_certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its key beside it)."""
    folder = tmp_path_factory.mktemp("relay-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_relay(app, relay_certificate):
    """An SMTP server on 127.0.0.1 that refuses mail without STARTTLS and a login; the
    app is set up to send through it (trusting its certificate)."""
    cert, key = relay_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    relay = Relay()
    port = free_port()
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=True,
        MAIL_USERNAME=MAIL_USER,
        MAIL_PASSWORD=MAIL_PASSWORD,
        MAIL_CA_FILE=str(cert),
    )
    yield relay
    controller.stop()


@pytest.fixture
def start_worker(database_url):
    """start_worker(**settings) -> a running WorkerProcess; every one is stopped at the end."""
    started: list[WorkerProcess] = []

    def start(**settings: str) -> WorkerProcess:
        worker = WorkerProcess(database_url, **settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
