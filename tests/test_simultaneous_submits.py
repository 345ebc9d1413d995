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
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from storage import read_only
from tests.conftest import csrf_token, login
from timebank.accounts import community_account, member_account
from timebank.aid_models import AidRequest
from timebank.clock import local_today
from timebank.group_session_models import GroupSession
from timebank.ledger import post_transfer
from timebank.models import AccountKind, ServiceRecord, Transfer, TransferKind

SUBMITS = 10


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


def press_at_once(client, live_server: str, page: str, action: str, times: int = SUBMITS):
    """The signed-in ``client`` presses the button on ``page`` that posts (only its CSRF
    token) to ``action``, ``times`` times at once; the statuses answered, sorted."""
    body = urllib.parse.urlencode({"csrf_token": csrf_token(client, page)}).encode()
    cookie = f"session={client.get_cookie('session').value}"
    db.session.commit()  # the test's own transaction must not hold the database
    answers = post_at_once(f"{live_server}{action}", body, cookie, times)
    return sorted(status for status, _ in answers)


def _need(people) -> dict:
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    return {"category": "meal", "needed_on": tomorrow, "estimated_minutes": "60", "unit": "201"}


def _visit(people) -> dict:
    today = local_today().isoformat()
    return {
        "recipient": people["elder"].phone,
        "category": "meal",
        "service_date": today,
        "minutes": "45",
        "note": "送饭上门",
    }


def _group_session(people) -> dict:
    return {
        "title": "重阳节包饺子",
        "category": "meal",
        "held_on": local_today().isoformat(),
        "minutes": "90",
        "participants": people["volunteer"].phone,
    }


def _gift(people) -> dict:
    """Two hours for the elder to give from, then half an hour to her daughter."""
    post_transfer(
        from_account_id=community_account(people["elder"].community_id, AccountKind.GUARANTEE).id,
        to_account_id=member_account(people["elder"]).id,
        minutes=120,
        kind=TransferKind.GRANT,
        idempotency_key="hours-to-give",
        entered_by=people["coordinator"],
        memo="test",
    )
    return {"recipient": people["family"].phone, "minutes": "30", "memo": "给女儿"}


# (who sends it, the form's page, its fields, the table that must gain one row, a value the
# refused copies must show again in their form)
FORMS = {
    "a need": ("elder", "/aid/requests/new", _need, AidRequest, 'value="201"'),
    "a visit": ("volunteer", "/visits/new", _visit, ServiceRecord, "送饭上门"),
    "a group session": ("coordinator", "/groups/new", _group_session, GroupSession, "重阳节包饺子"),
    "a gift": ("elder", "/gift", _gift, Transfer, "给女儿"),
}


@pytest.mark.parametrize("form_name", FORMS)
def test_ten_simultaneous_submits_of_one_form_save_it_once(
    app, client, live_server, people, form_name
):
    who, path, fields, table, shown_again = FORMS[form_name]
    login(client, people[who])
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    form = {
        "csrf_token": csrf_token(client, path),
        "idempotency_key": "one-form-ten-taps",
        **fields(people),
    }
    cookie = f"session={client.get_cookie('session').value}"
    db.session.commit()
    rows_before = _rows(table)

    answers = post_at_once(
        f"{live_server}{path}", urllib.parse.urlencode(form).encode(), cookie, SUBMITS
    )

    statuses = sorted(status for status, _ in answers)
    assert statuses == [302] + [409] * (SUBMITS - 1), statuses
    for status, page in answers:
        if status == 409:
            assert "This form was already sent once" in page
            assert shown_again in page  # the form is shown again as it was sent
    assert _rows(table) == rows_before + 1


def _rows(table) -> int:
    """How many rows ``table`` has, read without holding SQLite's write lock afterwards
    (the live server's threads must be free to write)."""
    db.session.rollback()
    with read_only():
        count = db.session.scalar(select(func.count()).select_from(table))
    db.session.rollback()
    return count
