"""Account statements: running balances across pages and filters, local days,
filter errors, and the streamed CSV download."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest

from extensions import db
from tests.conftest import csrf_token, login
from timebank.accounts import community_account, member_account
from timebank.clock import local_today
from timebank.ledger import post_transfer
from timebank.models import AccountKind, Transfer, TransferKind
from timebank.statements import (
    InvalidStatementFilter,
    PageCursor,
    StatementFilter,
    iter_statement_lines,
    statement_lines,
    statement_page,
)

# Naive UTC moments; Shanghai is UTC+8, so 16:30 UTC is 00:30 the next local day.
MOMENTS = [
    datetime(2024, 3, 1, 2, 0),  # local 3-1 10:00
    datetime(2024, 3, 1, 15, 30),  # local 3-1 23:30
    datetime(2024, 3, 1, 16, 30),  # local 3-2 00:30
    datetime(2024, 3, 2, 9, 0),  # local 3-2 17:00
    datetime(2024, 3, 3, 1, 0),  # local 3-3 09:00
    datetime(2024, 3, 4, 1, 0),  # local 3-4 09:00
    datetime(2024, 3, 5, 1, 0),  # local 3-5 09:00
]


@pytest.fixture
def history(app, monkeypatch, volunteer, elder, community):
    """Seven transfers on the volunteer's account at known moments; returns their deltas."""
    guarantee = community_account(community.id, AccountKind.GUARANTEE).id
    fund = community_account(community.id, AccountKind.FUND).id
    mine = member_account(volunteer).id
    theirs = member_account(elder).id
    plan = [
        (guarantee, mine, 300, TransferKind.ADJUSTMENT, "opening"),
        (mine, theirs, 45, TransferKind.GIFT, "给妈妈"),
        (guarantee, mine, 90, TransferKind.SERVICE, "meal"),
        (mine, fund, 30, TransferKind.DONATION, '=HYPERLINK("x")'),
        (mine, theirs, 20, TransferKind.GIFT, ""),
        (guarantee, mine, 60, TransferKind.SERVICE, "cleaning"),
        (mine, fund, 15, TransferKind.DONATION, "爱心"),
    ]
    deltas = []
    for n, ((source, target, minutes, kind, memo), moment) in enumerate(
        zip(plan, MOMENTS, strict=True)
    ):
        monkeypatch.setattr("timebank.ledger.utcnow", lambda moment=moment: moment)
        post_transfer(
            from_account_id=source,
            to_account_id=target,
            minutes=minutes,
            kind=kind,
            idempotency_key=f"history-{n}",
            entered_by=volunteer,
            memo=memo,
        )
        deltas.append(minutes if target == mine else -minutes)
    db.session.commit()
    return deltas


def running(deltas: list[int]) -> list[int]:
    """Balance after each transfer, oldest first."""
    total, after = 0, []
    for delta in deltas:
        total += delta
        after.append(total)
    return after


def test_every_page_carries_the_true_running_balance(volunteer, history):
    account_id = member_account(volunteer).id
    expected = list(reversed(list(zip(history, running(history), strict=True))))
    pages, cursor = [], None
    while True:
        page = statement_page(account_id, StatementFilter(), size=3, cursor=cursor)
        pages.append(page.lines)
        if page.older is None:
            break
        cursor = page.older
    assert [len(page) for page in pages] == [3, 3, 1]
    lines = [line for page in pages for line in page]
    assert [(line.delta, line.balance_after) for line in lines] == expected
    assert lines[0].balance_after == member_account(volunteer).balance_minutes == 340


def test_date_filter_uses_local_days_and_keeps_the_balance(volunteer, history):
    account_id = member_account(volunteer).id
    after = running(history)
    day = StatementFilter(start=date(2024, 3, 2), end=date(2024, 3, 2))
    lines = statement_lines(account_id, day, limit=50)
    # 15:30 UTC on 3-1 is still 3-1 locally; 16:30 UTC is already 3-2.
    assert [line.created_at for line in lines] == [MOMENTS[3], MOMENTS[2]]
    assert [line.balance_after for line in lines] == [after[3], after[2]]
    since = statement_lines(account_id, StatementFilter(start=date(2024, 3, 4)), limit=50)
    assert [line.balance_after for line in since] == [after[6], after[5]]
    until = statement_lines(account_id, StatementFilter(end=date(2024, 3, 1)), limit=50)
    assert [line.balance_after for line in until] == [after[1], after[0]]


def test_kind_filter_shows_only_that_kind_with_true_balances(volunteer, elder, history):
    account_id = member_account(volunteer).id
    after = running(history)
    gifts = statement_lines(account_id, StatementFilter(kind=TransferKind.GIFT), limit=50)
    assert [(line.delta, line.balance_after) for line in gifts] == [
        (-20, after[4]),
        (-45, after[1]),
    ]
    assert {line.counterparty_name for line in gifts} == {elder.display_name}


def test_the_other_side_sees_its_own_balance(elder, history):
    lines = statement_lines(member_account(elder).id, StatementFilter(), limit=50)
    assert [(line.delta, line.balance_after) for line in lines] == [(20, 65), (45, 45)]


def test_all_lines_are_iterated_for_the_csv(volunteer, history):
    account_id = member_account(volunteer).id
    lines = list(iter_statement_lines(account_id, StatementFilter()))
    assert [line.delta for line in lines] == list(reversed(history))


@pytest.mark.parametrize(
    "wanted",
    [StatementFilter(start=date(2024, 3, 5), end=date(2024, 3, 1)), StatementFilter(kind="bogus")],
)
def test_impossible_filters_are_refused(volunteer, wanted):
    with pytest.raises(InvalidStatementFilter):
        statement_lines(member_account(volunteer).id, wanted, limit=50)
    with pytest.raises(InvalidStatementFilter):
        iter_statement_lines(member_account(volunteer).id, wanted)


# --- Pages and the CSV download -----------------------------------------------------


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/")})
    return client


def _link(page: str, label: str) -> str:
    """The href of the button labelled ``label`` (the query string unescaped)."""
    match = re.search(r'href="([^"]+)">' + re.escape(label) + "<", page)
    assert match, label
    return match.group(1).replace("&amp;", "&")


def _rows(page: str) -> str:
    return page[page.index("<tbody>") : page.index("</tbody>")]


def test_statement_pages_link_older_and_newer(app, volunteer, history):
    app.config["STATEMENT_PAGE_SIZE"] = 3
    client = signed_in(app, volunteer)
    first = client.get("/statement").get_data(as_text=True)
    assert first.count("<tr>") == 1 + 3  # header + a page of lines
    assert "Newer entries" not in first and "Back to the newest" not in first
    second = client.get(_link(first, "Older entries")).get_data(as_text=True)
    third = client.get(_link(second, "Older entries")).get_data(as_text=True)
    assert third.count("<tr>") == 1 + 1
    assert "5 h" in third  # the oldest line: 300 minutes in, balance 5 h
    assert "Older entries" not in third and "Back to the newest" in third
    back = client.get(_link(third, "Newer entries")).get_data(as_text=True)
    assert _rows(back) == _rows(second)
    newest = client.get(_link(back, "Newer entries")).get_data(as_text=True)
    assert newest.count("<tr>") == 1 + 3 and "Newer entries" not in newest


def test_filtered_pages_keep_the_filter_and_the_balances(volunteer, history):
    account_id = member_account(volunteer).id
    after = running(history)
    wanted = StatementFilter(end=date(2024, 3, 5))
    first = statement_page(account_id, wanted, size=2, cursor=PageCursor(older_than=10**6))
    assert [line.balance_after for line in first.lines] == [after[6], after[5]]
    older = statement_page(account_id, wanted, size=2, cursor=first.older)
    assert [line.balance_after for line in older.lines] == [after[4], after[3]]
    assert statement_page(account_id, wanted, size=2, cursor=older.newer).lines == first.lines
    gifts = StatementFilter(kind=TransferKind.GIFT)
    assert [line.balance_after for line in statement_lines(account_id, gifts, limit=9)] == [
        after[4],
        after[1],
    ]


@pytest.mark.parametrize(
    "query",
    [
        "older_than=abc",
        "older_than=-3",
        "older_than=0",
        "newer_than=99999999999999999999",
        "older_than=5&newer_than=3",
        "older_than=１２",  # full-width digits
    ],
)
def test_made_up_pages_are_a_clear_400_with_the_newest_page(app, volunteer, history, query):
    response = signed_in(app, volunteer).get(f"/statement?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That page of the statement does not exist" in page
    assert page.count("<tr>") == 1 + len(history)  # the newest page instead


def test_statement_page_shows_filtered_lines(app, volunteer, history):
    client = signed_in(app, volunteer)
    page = client.get("/statement?start=2024-03-02&end=2024-03-02").get_data(as_text=True)
    assert page.count("<tr>") == 1 + 2
    assert "Sat 2 Mar 2024, 12:30 AM" in page  # shown in Shanghai time
    assert "Meal help" in page  # a visit's memo is its category
    assert "start=2024-03-02" in page  # the CSV link keeps the filter


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2024-03-05&end=2024-03-01", "must not be before"),
        ("start=2024-13-45", "Not a valid date"),
        ("kind=bogus", "Not a valid choice"),
    ],
)
def test_bad_filters_are_a_clear_400(app, volunteer, history, query, message):
    client = signed_in(app, volunteer)
    for path in ("/statement", "/statement.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert message in response.get_data(as_text=True), path


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_a_header_and_every_transfer(app, volunteer, history):
    response = signed_in(app, volunteer).get("/statement.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header[:3] == ["Date and time", "Kind", "Counterparty"]
    assert "Minutes in" in header and "Balance after (minutes)" in header
    col = {name: header.index(name) for name in header}
    assert len(rows) == len(history)
    newest_first = list(reversed(list(zip(history, running(history), strict=True))))
    for row, (delta, after) in zip(rows, newest_first, strict=True):
        assert int(row[col["Minutes in"]]) - int(row[col["Minutes out"]]) == delta
        assert int(row[col["Balance after (minutes)"]]) == after
    oldest = rows[-1]
    assert oldest[col["Date and time"]] == "2024-03-01 10:00"
    assert oldest[col["Hours (+ in, − out)"]] == "5.00"
    donation = rows[3]
    assert donation[col["Counterparty"]] == "桂花新村社区 fund"
    assert donation[col["Hours (+ in, − out)"]] == "-0.50"
    assert donation[col["Memo"]].startswith("'=")  # never run as a formula


def test_csv_filters_match_the_page(app, volunteer, history):
    client = signed_in(app, volunteer)
    _, *rows = read_csv(client.get("/statement.csv?kind=donation"))
    assert [row[1] for row in rows] == ["Donation to the fund"] * 2
    _, *rows = read_csv(client.get("/statement.csv?start=2024-03-04&end=2024-03-05"))
    assert len(rows) == 2


def test_coordinator_downloads_a_members_csv(app, coordinator, volunteer, history):
    response = signed_in(app, coordinator).get(f"/statement.csv?member={volunteer.id}")
    assert response.status_code == 200
    assert len(read_csv(response)) == 1 + len(history)


# --- whom a line names: the person helped, not the account that paid ----------------------


@pytest.fixture
def helped(app, volunteer, elder, coordinator):
    """A visit to the elder paid by the community's guarantee account, then reversed."""
    from timebank.transfers import reverse_transfer
    from timebank.visits import confirm_visit, log_visit

    record = log_visit(
        volunteer=volunteer,
        recipient=elder,
        minutes=90,
        category="meal",
        service_date=local_today(),
        entered_by=volunteer,
        idempotency_key="helped-visit",
    )
    paid = confirm_visit(record, by=elder)
    reverse_transfer(
        db.session.get(Transfer, paid),
        by=coordinator,
        reason="logged twice",
        idempotency_key="helped-reversal",
    )
    db.session.commit()
    return record


def test_a_visit_line_names_the_elder_helped_and_says_who_paid(volunteer, elder, helped):
    from timebank.statements import counterparty_label, memo_text

    reversal, service = statement_lines(member_account(volunteer).id, StatementFilter(), limit=10)
    assert service.kind == TransferKind.SERVICE and reversal.kind == TransferKind.REVERSAL
    assert counterparty_label(service) == elder.display_name
    assert counterparty_label(reversal) == elder.display_name  # the visit it undoes
    assert elder.community.name in memo_text(service)  # the community's account paid
    # the elder's own account did not pay: their statement shows nothing of it
    assert statement_lines(member_account(elder).id, StatementFilter(), limit=10) == []


def test_the_page_and_the_csv_name_the_elder_helped(app, volunteer, elder, helped):
    client = signed_in(app, volunteer)
    page = client.get("/statement").get_data(as_text=True)
    assert elder.display_name in page
    header, *rows = read_csv(client.get("/statement.csv"))
    col = header.index("Counterparty")
    assert [row[col] for row in rows] == [elder.display_name] * 2
    assert all("guarantee account" not in row[col] for row in rows)


def test_a_member_paid_visit_names_the_volunteer_on_the_elders_side(volunteer, elder, history):
    lines = statement_lines(member_account(elder).id, StatementFilter(), limit=10)
    assert {line.counterparty_name for line in lines} == {volunteer.display_name}
