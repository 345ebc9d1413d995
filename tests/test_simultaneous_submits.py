"""Ten simultaneous submits of one form, against a live threaded server, on each database.

The same idempotency key posted ten times at once (a double-tapping elder, a
flaky phone network retrying) must save once: one answer is the redirect, the
other nine say the form was already sent (409), and none is a server error.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from extensions import db
from tests.conftest import csrf_token, login
from timebank.aid_models import AidRequest
from timebank.clock import local_today

SUBMITS = 10


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """``app`` on 127.0.0.1 (a free port), one thread per request; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_at_once(url: str, body: bytes, cookie: str, times: int) -> list[tuple[int, str]]:
    """POST ``body`` to ``url`` from ``times`` threads released together; (status, page) each."""
    opener = urllib.request.build_opener(_NoRedirect)
    start = threading.Barrier(times)
    answers: list[tuple[int, str]] = []

    def submit() -> None:
        request = urllib.request.Request(
            url,
            data=body,
            headers={
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept-Language": "en",
            },
        )
        start.wait()
        try:
            with opener.open(request, timeout=60) as response:
                answers.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.read().decode()))

    threads = [threading.Thread(target=submit) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers


def test_ten_simultaneous_submits_of_one_need_save_it_once(app, client, live_server, people):
    elder = people["elder"]
    login(client, elder)
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    form = {
        "csrf_token": csrf_token(client, "/aid/requests/new"),
        "idempotency_key": "one-form-ten-taps",
        "category": "meal",
        "needed_on": (local_today() + timedelta(days=1)).isoformat(),
        "estimated_minutes": "60",
        "building": "3",
        "unit": "201",
    }
    cookie = f"session={client.get_cookie('session').value}"
    db.session.commit()

    answers = post_at_once(
        f"{live_server}/aid/requests/new", urllib.parse.urlencode(form).encode(), cookie, SUBMITS
    )

    statuses = sorted(status for status, _ in answers)
    assert statuses == [302] + [409] * (SUBMITS - 1), statuses
    for status, page in answers:
        if status == 409:
            assert "This form was already sent once" in page
    db.session.rollback()
    saved = db.session.scalar(
        select(func.count()).select_from(AidRequest).where(AidRequest.requester_id == elder.id)
    )
    assert saved == 1
