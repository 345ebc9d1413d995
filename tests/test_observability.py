"""/healthz, the request log (JSON in production, text in development), /metrics for
allowed addresses only, and errors sent to Sentry when SENTRY_DSN is set."""

from __future__ import annotations

import gzip
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk

from app import create_app
from tests.community.test_views_sessions import sign_in
from tests.conftest import _config

# A server nobody listens on: a page that needed the database would fail.
NO_DATABASE = "postgresql+psycopg://linli@127.0.0.1:9/linli"
PRODUCTION = {
    "LINLI_ENV": "production",
    "SECRET_KEY": "a-real-secret",
    "SQLALCHEMY_DATABASE_URI": NO_DATABASE,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PUBLIC_BASE_URL": "https://linli.example",
    "EXPORT_DIR": "/var/lib/linli/exports",
    "PHOTO_DIR": "/var/lib/linli/photos",
}
HTTPS = "https://linli.example"
HEX_ID = re.compile(r"[0-9a-f]{32}")


def request_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "linli.request" in line]


# --- /healthz ----------------------------------------------------------------------------


def test_healthz_answers_over_plain_http_without_a_database():
    client = create_app(PRODUCTION).test_client()
    health = client.get("/healthz")  # plain HTTP, as a load balancer asks
    assert health.status_code == 200
    assert health.get_data(as_text=True) == "ok\n"
    assert health.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in health.headers
    # every other page still goes to HTTPS
    assert client.get("/login").status_code == 302


# --- the request log ---------------------------------------------------------------------


def test_production_logs_one_json_line_per_request_with_its_id(capsys):
    client = create_app(PRODUCTION).test_client()
    capsys.readouterr()
    page = client.get("/login", base_url=HTTPS, headers={"X-Request-ID": "nginx-4f2a.9"})
    client.get("/healthz")  # probes are not logged
    assert page.status_code == 200
    assert page.headers["X-Request-ID"] == "nginx-4f2a.9"
    lines = request_lines(capsys.readouterr().err)
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["request_id"] == "nginx-4f2a.9"
    assert line["route"] == "/login" and line["path"] == "/login"
    assert line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and 0 < line["duration_ms"] < 10_000
    assert "member_id" not in line  # nobody signed in
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


@pytest.mark.parametrize("offered", ["", "<script>", "a" * 200, "两个字", "id with spaces"])
def test_an_insane_incoming_request_id_is_replaced(offered, capsys):
    client = create_app(PRODUCTION).test_client()
    page = client.get("/login", base_url=HTTPS, headers={"X-Request-ID": offered})
    assert HEX_ID.fullmatch(page.headers["X-Request-ID"])
    line = json.loads(request_lines(capsys.readouterr().err)[-1])
    assert line["request_id"] == page.headers["X-Request-ID"]
    # each request its own
    again = client.get("/login", base_url=HTTPS)
    assert again.headers["X-Request-ID"] != page.headers["X-Request-ID"]


def test_development_logs_readable_text_with_the_member(app, client, elder, capsys):
    sign_in(client, elder)
    capsys.readouterr()
    home = client.get("/")
    assert home.status_code == 200
    (line,) = request_lines(capsys.readouterr().err)
    assert not line.startswith("{")
    assert " INFO linli.request: GET / 200 " in line
    assert f"member_id={elder.id}" in line
    assert f"request_id={home.headers['X-Request-ID']}" in line
    assert "route=/ " in line and "status=200" in line


def test_a_crash_is_logged_with_its_request_id_in_json(database_url, capsys):
    app = create_app({**_config(database_url), "LOG_FORMAT": "json"})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def crashed():
        raise RuntimeError("boom")

    app.add_url_rule("/test/crashed", view_func=crashed)
    with app.app_context():
        response = app.test_client().get("/test/crashed", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    error = next(r for r in records if r["level"] == "ERROR")
    assert error["request_id"] == "crash-1" and "RuntimeError: boom" in error["exception"]
    request = next(r for r in records if r["logger"] == "linli.request")
    assert request["status"] == 500 and request["route"] == "/test/crashed"


def test_request_log_can_be_switched_off(capsys):
    client = create_app({**PRODUCTION, "LOG_REQUESTS": False}).test_client()
    page = client.get("/login", base_url=HTTPS)
    assert HEX_ID.fullmatch(page.headers["X-Request-ID"])  # the id is still given
    assert request_lines(capsys.readouterr().err) == []


# --- /metrics ----------------------------------------------------------------------------


def metrics_client(**settings):
    return create_app({**PRODUCTION, **settings}).test_client()


def test_metrics_count_requests_by_route_for_the_local_address():
    client = metrics_client()
    client.get("/login", base_url=HTTPS)
    client.get("/login", base_url=HTTPS)
    scraped = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert scraped.status_code == 200  # over plain HTTP: Prometheus scrapes inside
    text = scraped.get_data(as_text=True)
    count = 'flask_http_request_duration_seconds_count{method="GET",status="200",url_rule="/login"}'
    assert f"{count} 2.0" in text
    # probes are not counted, and a path no rule matched is one series, not one per path
    client.get("/no-such-page-1", base_url=HTTPS)
    client.get("/no-such-page-2", base_url=HTTPS)
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'status="404",url_rule="unmatched"} 2.0' in text
    assert "healthz" not in text and 'url_rule="/metrics"' not in text


@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.2", "::1"])
def test_metrics_are_not_there_for_other_addresses(address):
    refused = metrics_client().get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert refused.status_code == 404
    assert "flask_http" not in refused.get_data(as_text=True)


def test_metrics_allowed_networks_are_configurable():
    client = metrics_client(METRICS_ALLOWED_ADDRESSES=("10.0.0.0/8", "::1"))
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404


@pytest.mark.parametrize(
    "proxies, forwarded_for, status",
    [
        (1, "127.0.0.1", 200),  # nginx on another host passes the local client on
        (1, "203.0.113.7", 404),
        (1, "127.0.0.1, 203.0.113.7", 404),  # only the last hop, the one nginx saw, counts
        (0, "127.0.0.1", 404),  # without a trusted proxy the header is anyone's to forge
    ],
)
def test_metrics_address_is_read_through_the_trusted_proxies(proxies, forwarded_for, status):
    client = metrics_client(TRUSTED_PROXIES=proxies)
    answer = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert answer.status_code == status


def test_metrics_can_be_switched_off():
    client = metrics_client(METRICS_ENABLED=False)
    local = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", base_url=HTTPS, environ_base=local).status_code == 404


def test_a_bad_allowed_address_is_named():
    with pytest.raises(ValueError, match="'everyone' is not an address"):
        create_app({**PRODUCTION, "METRICS_ALLOWED_ADDRESSES": ("everyone",)})


# --- Sentry ------------------------------------------------------------------------------


class FakeSentry(ThreadingHTTPServer):
    """A Sentry ingestion endpoint on 127.0.0.1 that keeps every envelope it is sent."""

    def __init__(self) -> None:
        self.envelopes: list[str] = []
        self.received = threading.Event()
        super().__init__(("127.0.0.1", 0), _SentryHandler)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/42"


class _SentryHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append(body.decode("utf-8", "replace"))
        self.server.received.set()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_sentry():
    server = FakeSentry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sentry_sdk.get_global_scope().set_client(None)  # no later test reports anywhere
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_without_a_dsn_nothing_is_reported():
    sentry_sdk.get_global_scope().set_client(None)
    create_app(PRODUCTION)
    assert not sentry_sdk.get_client().is_active()


def test_a_crash_reaches_sentry_with_its_request_id(database_url, fake_sentry):
    app = create_app({**_config(database_url), "SENTRY_DSN": fake_sentry.dsn})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert sentry_sdk.get_client().is_active()

    def crashed():
        raise RuntimeError("boom for sentry")

    app.add_url_rule("/test/crashed", view_func=crashed)
    with app.app_context():
        response = app.test_client().get("/test/crashed", headers={"X-Request-ID": "crash-42"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)
    assert fake_sentry.received.wait(10)
    sent = "\n".join(fake_sentry.envelopes)
    assert "boom for sentry" in sent and "RuntimeError" in sent
    assert '"request_id":"crash-42"' in sent.replace(" ", "")
    assert "/test/crashed" in sent  # the transaction is the route
