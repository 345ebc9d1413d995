"""The request boundary (input_guard.py) and the error pages: ids beyond the database's
integer, unreadable characters, bodies too large, and refusals that keep their headers."""

from __future__ import annotations

import json

import pytest
from flask import abort
from sqlalchemy import func, select
from werkzeug.exceptions import TooManyRequests

from input_guard import MAX_ID, as_id
from tests.conftest import csrf_token, login
from timebank.aid_models import AidRequest

JSON = {"Accept": "application/json"}
UNREADABLE_EN = "contains characters that cannot be read"
UNREADABLE_ZH = "无法识别的字符"

# --- ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/members/{MAX_ID + 1}",
        f"/bookings/{2**63}",
        f"/aid/requests/{2**70}",
        "/desk/transfers/" + "9" * 5000,
        f"/plans/1/visits/{MAX_ID + 1}/skip",
        "/members/-1",
        "/members/٣",  # an Arabic-Indic digit
    ],
)
def test_an_id_beyond_the_database_integer_in_a_url_is_404(client, people, path):
    login(client, people["coordinator"])
    response = client.get(path)
    assert response.status_code in (404, 405)
    if response.status_code == 405:  # a POST-only route: the id is refused the same way
        response = client.post(path, data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 404


def test_the_largest_id_is_routed_and_simply_not_found(client, people):
    login(client, people["coordinator"])
    assert client.get(f"/members/{MAX_ID}").status_code == 404
    assert client.get(f"/members/{people['elder'].id}").status_code == 200


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12", 12),
        (" 12 ", 12),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("0", None),
        ("-3", None),
        ("1e3", None),
        ("٣", None),
        ("9" * 5000, None),
        ("", None),
        (None, None),
    ],
)
def test_as_id_accepts_only_ids_the_database_can_hold(raw, expected):
    assert as_id(raw) == expected


@pytest.mark.parametrize(
    "path",
    [
        f"/aid/requests/new?for={MAX_ID + 1}",
        "/aid/requests/new?for=-1",
        "/aid/requests/new?for=abc",
        f"/statement?member={2**64}",
        f"/visits/new?for={2**40}",
        f"/bookings/new?item={2**40}",
        f"/groups/new?community={2**40}",
    ],
)
def test_an_id_beyond_the_database_integer_in_a_query_is_404(client, people, path):
    login(client, people["coordinator"])
    assert client.get(path).status_code == 404


# --- unreadable text --------------------------------------------------------------------


def _need(token: str, **fields) -> dict:
    data = {
        "csrf_token": token,
        "idempotency_key": "k-" + str(len(fields)) + "".join(fields),
        "category": "meal",
        "flexible": "y",
        "estimated_minutes": "60",
    }
    data.update(fields)
    return data


def _requests() -> int:
    from extensions import db

    return db.session.scalar(select(func.count()).select_from(AidRequest))


@pytest.mark.parametrize(
    "text",
    ["3\x00", "\x01", "a\x1bb", "\x7f", "\x85", "\x9f"],
    ids=["NUL", "SOH", "ESC", "DEL", "NEL", "APC"],
)
def test_control_characters_in_a_form_are_refused_in_chinese_and_nothing_is_written(
    client, people, text
):
    login(client, people["elder"])
    token = csrf_token(client, "/aid/requests/new")

    response = client.post("/aid/requests/new", data=_need(token, building=text))

    assert response.status_code == 400
    assert UNREADABLE_ZH in response.get_data(as_text=True)
    assert _requests() == 0


def test_the_message_is_in_the_readers_language(client, people, english_pages):
    login(client, people["elder"])
    token = csrf_token(client, "/aid/requests/new")

    response = client.post("/aid/requests/new", data=_need(token, private_notes="按\x00门铃"))

    assert response.status_code == 400
    assert UNREADABLE_EN in response.get_data(as_text=True)


def test_tab_newline_and_carriage_return_are_ordinary_text(client, people):
    login(client, people["elder"])
    token = csrf_token(client, "/aid/requests/new")

    notes = "请按两次门铃\r\n\t钥匙在邻居家\u200f"  # a right-to-left mark is text too
    response = client.post("/aid/requests/new", data=_need(token, private_notes=notes))

    assert response.status_code == 302
    assert _requests() == 1


@pytest.mark.parametrize(
    "path",
    ["/aid/requests?category=%00", "/members?q=a%1Fb", "/aid/requests?%00=1", "/bookings/1/%00"],
)
def test_control_characters_in_the_query_or_path_are_refused(client, people, path):
    login(client, people["coordinator"])
    response = client.get(path)
    assert response.status_code == 400
    assert UNREADABLE_ZH in response.get_data(as_text=True)


def test_a_lone_surrogate_in_json_is_refused(client, people):
    login(client, people["elder"])
    body = json.dumps({"note": "\ud800"})  # json.dumps escapes it as \ud800

    response = client.post("/aid/requests/new", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json(silent=True) is None  # an HTML page: the client asked for one
    assert UNREADABLE_ZH in response.get_data(as_text=True)


def test_a_lone_surrogate_sent_as_bytes_arrives_as_a_replacement_character(client, people):
    login(client, people["elder"])
    token = csrf_token(client, "/aid/requests/new")
    body = (
        f"csrf_token={token}&idempotency_key=surrogate&category=meal&flexible=y"
        "&estimated_minutes=60&building="
    ).encode() + "\ud800".encode("utf-8", "surrogatepass").replace(b"\xed", b"%ED")

    response = client.post(
        "/aid/requests/new", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code in (302, 400)  # decoded as U+FFFD: text, if odd
    assert response.status_code < 500


def test_deeply_nested_json_is_no_server_error(client, people):
    login(client, people["elder"])
    body = "[" * 50_000 + "]" * 50_000

    response = client.post("/aid/requests/new", data=body, content_type="application/json")

    assert 400 <= response.status_code < 500


# --- sizes ------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_with_a_page_in_the_readers_language(app, client, people):
    login(client, people["elder"])
    token = csrf_token(client, "/aid/requests/new")
    big = "长" * (app.config["MAX_CONTENT_LENGTH"] // 3 + 10)

    page = client.post("/aid/requests/new", data=_need(token, private_notes=big))
    as_json = client.post("/aid/requests/new", data=_need(token, private_notes=big), headers=JSON)

    assert page.status_code == 413
    assert "太大" in page.get_data(as_text=True)
    assert as_json.status_code == 413 and as_json.get_json()["error"]
    assert _requests() == 0


# --- error pages keep what the error says -----------------------------------------------


def test_a_405_keeps_its_allow_header(client):
    response = client.post("/statement")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_a_handler_for_one_status_is_not_swallowed(app, client):
    """The sign-in limiter's own 429 page (another module's handler) is the one shown."""

    def limited():
        raise TooManyRequests(retry_after=60)

    def limited_page(error):
        return "try again in a minute", 429

    app.add_url_rule("/test/limited", view_func=limited)
    app.register_error_handler(429, limited_page)

    response = client.get("/test/limited")

    assert (response.status_code, response.get_data(as_text=True)) == (
        429,
        "try again in a minute",
    )


def test_a_429_without_its_own_handler_has_a_page_and_keeps_retry_after(app, client):
    app.add_url_rule("/test/limited", view_func=lambda: abort(429, retry_after=60))

    response = client.get("/test/limited")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert "请等几分钟再试" in response.get_data(as_text=True)


def test_an_error_after_a_form_offers_to_go_back_to_it(client, people):
    login(client, people["elder"])
    token = csrf_token(client, "/aid/requests/new")
    came_from = {"Referer": "http://localhost/aid/requests/new"}

    refused = client.post(
        "/aid/requests/new", data=_need(token, building="\x00"), headers=came_from
    )
    elsewhere = client.post(
        "/aid/requests/new",
        data=_need(token, building="\x00"),
        headers={"Referer": "https://example.com/phish"},
    )

    assert 'href="/aid/requests/new" data-go-back' in refused.get_data(as_text=True)
    assert "data-go-back" not in elsewhere.get_data(as_text=True)
