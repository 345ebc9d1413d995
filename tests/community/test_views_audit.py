"""The street admin's audit log page and CSV: who may open them, what they show, the
filters, and bad input answered 400 with a plain message (never 5xx)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale, gettext

from community import audit
from community.audit import Action
from community.audit_queries import PAGE_SIZE
from community.policies import update_policy
from tests.conftest import login

GOOD_POLICY = dict(
    floor_minutes=0,
    storage_cap_minutes=1500 * 60,
    daily_earning_cap_minutes=8 * 60,
    redeem_min_age=65,
    hardship_redeem_min_age=60,
    elder_services_paid_by="guarantee",
    gift_recipients="family",
)


@pytest.fixture
def logged(people, far_people, community, audit_clock):
    """A policy change and a password reset in this street, a reset in the far street."""
    admin, coordinator, elder = people["street_admin"], people["coordinator"], people["elder"]
    audit_clock.at = datetime(2026, 3, 1, 16, 30)  # 00:30 on 2 March in Shanghai
    update_policy(community, by=admin, **{**GOOD_POLICY, "storage_cap_minutes": 1200 * 60})
    audit_clock.at += timedelta(hours=1)
    audit.record(Action.PASSWORD_RESET, actor=coordinator, subject=elder, target="user:1")
    audit_clock.at += timedelta(hours=1)
    far = far_people["far_coordinator"]
    audit.record(Action.SIGN_IN_UNLOCKED, actor=far, subject=far)


def page_of(client, query: str = "") -> tuple[int, str]:
    response = client.get(f"/admin/audit{query}")
    return response.status_code, response.get_data(as_text=True)


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["elder", "volunteer", "provider", "coordinator", "other_coordinator"]
)
@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_only_street_admins_open_the_log(client, people, logged, who, path):
    login(client, people[who])
    response = client.get(path)
    assert response.status_code == 403
    assert "王秀英" not in response.get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in(client, logged):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_streets_admin_sees_none_of_this_street(client, far_people, logged):
    login(client, far_people["far_street_admin"])
    status, page = page_of(client)
    assert status == 200
    assert "外街社工" in page  # their own street's entry
    assert "王秀英" not in page and "张社工" not in page and "桂花新村社区" not in page
    _, *rows = read_csv(client.get("/admin/audit.csv"))
    assert len(rows) == 1 and "王秀英" not in str(rows)


# --- what it shows --------------------------------------------------------------------------


def test_the_admin_reads_their_streets_entries_in_plain_chinese(client, people, logged):
    login(client, people["street_admin"])
    status, page = page_of(client)
    assert status == 200
    with force_locale("zh_CN"):
        reset = gettext("Reset a password")
        cap = gettext("Storage cap")
    assert reset == "重置了密码" and reset in page
    assert cap in page and "1500" in page and "1200" in page
    assert "storage_cap_minutes" not in page and "{" not in page.split("<main", 1)[1]
    assert "2026-03-02 00:30" in page  # Shanghai time
    assert "张社工" in page and "王秀英" in page
    assert "外街社工" not in page  # the far street's entry


def test_before_and_after_read_as_words(client, people, community, logged, english_pages):
    login(client, people["street_admin"])
    _, page = page_of(client)
    assert "<strong>Storage cap:</strong> from 1500 h to 1200 h" in page
    assert "Changed a community&#39;s rules" in page
    # the target "community:<id>"
    assert f"<strong>What it was about:</strong> Community {community.id}<" in page
    assert "<strong>From where:</strong> The server&#39;s command line" in page
    assert "<strong>Who did it:</strong> 街道管理员 (Street admin) · #" in page


def test_a_refused_filter_is_marked_beside_its_field(client, people, logged, english_pages):
    login(client, people["street_admin"])
    status, page = page_of(client, "?actor=nobody")
    assert status == 400
    assert 'id="actor-error"' in page and 'aria-invalid="true"' in page
    assert page.count("Nobody of your street is found for “nobody”.") == 2  # top and field


def test_the_menu_leads_street_admins_to_the_log(client, people, english_pages):
    login(client, people["street_admin"])
    assert 'href="/admin/audit"' in client.get("/hours").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, people["coordinator"])
    assert 'href="/admin/audit"' not in client.get("/hours").get_data(as_text=True)


def _token(client) -> str:
    from tests.conftest import CSRF_RE

    return CSRF_RE.search(client.get("/hours").get_data(as_text=True)).group(1)


# --- filters and pages ------------------------------------------------------------------------


def test_filters_narrow_the_page_and_the_csv_alike(client, people, logged, english_pages):
    login(client, people["street_admin"])
    elder = people["elder"]
    for query in (
        "?action=password_reset",
        f"?subject={elder.phone}",
        "?actor=张社工",
        "?start=2026-03-02&end=2026-03-02&action=password_reset",
    ):
        status, page = page_of(client, query)
        assert status == 200, query
        assert "Reset a password" in page and "Storage cap" not in page, query
        _, *rows = read_csv(client.get(f"/admin/audit.csv{query}"))
        assert [row[2] for row in rows] == ["Reset a password"], query
    status, page = page_of(client, "?start=2026-03-03")
    assert status == 200 and "No actions match what you chose." in page


def test_older_pages_follow_one_another(client, people, audit_clock, english_pages):
    admin = people["street_admin"]
    for n in range(PAGE_SIZE + 3):
        audit_clock.at += timedelta(minutes=1)
        audit.record(Action.ACTED_FOR, actor=admin, target=f"visit:{n}")
    login(client, admin)
    _, first = page_of(client, "?action=acted_for")
    assert first.count('<li class="card">') == PAGE_SIZE
    assert "Visit 22<" in first and "Visit 2<" not in first
    link = first.split('href="/admin/audit?older_than=')[1].split('"')[0].replace("&amp;", "&")
    status, second = page_of(client, f"?older_than={link}")
    assert status == 200 and second.count('<li class="card">') == 3
    assert "Visit 2<" in second and "Visit 0<" in second and "Back to the newest" in second
    assert "Older actions" not in second


# --- bad input: 400 with a message, never 5xx --------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=99999-01-01", "Not a valid date"),
        ("?start=0001-01-01", "Enter a date from"),
        ("?end=2999-01-01", "Enter a date from"),
        ("?start=2026-03-05&end=2026-03-01", "must not be before"),
        ("?action=became_king", "from the list"),
        ("?actor=%00", "characters that cannot be read"),
        ("?subject=王%00秀英", "characters that cannot be read"),
        ("?actor=" + "x" * 61, "At most 60 characters"),
        ("?actor=nobody", "Nobody of your street"),
        ("?community=2147483648", "Choose a community from the list"),
        ("?community=99999999999999999999999", "Choose a community"),
        ("?community=abc", "Choose a community"),
        ("?older_than=2147483648", "does not exist"),
        ("?older_than=99999999999999999999999", "does not exist"),
        ("?older_than=-1", "does not exist"),
        ("?older_than=1e9", "does not exist"),
    ],
)
@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_bad_filters_get_a_plain_400(client, people, logged, english_pages, path, query, message):
    login(client, people["street_admin"])
    if path.endswith(".csv") and "older_than" in query:
        return  # the CSV has no pages: it ignores older_than
    response = client.get(path + query)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)


def test_another_streets_community_is_refused(client, people, far_people, logged, english_pages):
    login(client, people["street_admin"])
    far_community = far_people["far_coordinator"].community_id
    status, page = page_of(client, f"?community={far_community}")
    assert status == 400 and "community of your street" in page and "外街社工" not in page


def test_acting_for_a_member_reads_as_words_not_codes(client, people, logged):
    """What a coordinator did for someone, how a visit was confirmed, what a status and a
    target are: in Chinese, with none of the stored codes showing."""
    coordinator, elder = people["coordinator"], people["elder"]
    after = {"did": "visit_confirmed", "method": "card", "minutes": 90, "transfer": 7}
    audit.record(
        Action.ACTED_FOR, actor=coordinator, subject=elder, target="service_record:5", after=after
    )
    step = {"step": "cancel", "status": "cancelled", "title": "上门保洁"}
    audit.record(Action.ACTED_FOR, actor=coordinator, subject=elder, target="booking:3", after=step)
    login(client, people["street_admin"])
    status, page = page_of(client)
    assert status == 200
    with force_locale("zh_CN"):
        words = [
            gettext("Confirmed a visit"),
            gettext("With the elder's confirmation card"),
            gettext("Visit record"),
            gettext("Cancelled a booking"),
            gettext("Cancelled"),
            gettext("What was done"),
        ]
    assert all(word in page for word in words), words
    main = page.split("<main", 1)[1]
    for code in ("visit_confirmed", "service_record", "did:", "step", ">card<", "cancelled"):
        assert code not in main, code
