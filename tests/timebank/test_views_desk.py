"""The coordinator's desk: members' hours, grants, reversals and disputes — what each
action posts, or refuses to post (who may open each page is in test_views_permissions)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from tests.conftest import csrf_token, login
from tests.timebank.support import (
    assert_ledger_clean,
    balance,
    disputed_visit,
    fill_fund,
    fund,
    key,
    top_up,
    transfer_count,
)
from timebank.clock import local_today
from timebank.models import RecordStatus, Transfer, TransferKind
from timebank.transfers import donate_hours, grant_hours
from timebank.visits import log_visit


def test_desk_home_shows_pools_and_waiting_visits(client, people):
    fill_fund(people["coordinator"].community, 150)
    log_visit(
        volunteer=people["volunteer"],
        recipient=people["elder"],
        category="meal",
        service_date=local_today(),
        minutes=45,
        entered_by=people["volunteer"],
        idempotency_key=key(),
    )
    login(client, people["coordinator"])
    page = client.get("/desk/").get_data(as_text=True)
    assert "2 h 30 min" in page or "2 小时 30 分" in page
    assert "45" in page and "王秀英" in page
    assert 'href="/members/new"' in page


def test_desk_lists_new_members_to_check_and_not_old_ones(client, people, make_member):
    newcomer = make_member("新来的李奶奶", age=79)
    old_timer = make_member("老住户", age=70)
    old_timer.created_at = old_timer.created_at - timedelta(days=30)
    elsewhere = make_member("别处新人", community=people["other_coordinator"].community)
    login(client, people["coordinator"])
    page = client.get("/desk/").get_data(as_text=True)
    assert f'href="/members/{newcomer.id}"' in page
    assert "老住户" not in page and elsewhere.display_name not in page


def _twelve_waiting(people) -> list:
    """12 visits to the elder waiting for an answer, one a day, oldest first."""
    today = local_today()
    records = [
        log_visit(
            volunteer=people["volunteer"],
            recipient=people["elder"],
            category="meal",
            service_date=today - timedelta(days=12 - n),
            minutes=30 + n,
            entered_by=people["volunteer"],
            idempotency_key=key(),
            today=today,
        )
        for n in range(12)
    ]
    db.session.commit()
    return records


def test_desk_shows_the_ten_oldest_visits_waiting_and_counts_them_all(client, people):
    """12 visits wait: the desk says 12, shows the oldest 10 and leads to the page that
    lists every one."""
    records = _twelve_waiting(people)
    login(client, people["coordinator"])
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/")})
    desk = client.get("/desk/").get_data(as_text=True)
    assert "Visits waiting for confirmation: 12" in desk
    assert [r for r in records if f'href="/visits/{r.id}"' in desk] == records[:10]
    assert 'href="/confirmations"' in desk and "See all 12 visits waiting" in desk
    page = client.get("/confirmations").get_data(as_text=True)
    assert all(f'href="/visits/{r.id}"' in page for r in records)


def test_confirmations_page_through_every_visit_waiting(client, people, monkeypatch):
    """Five a page (instead of 100): the coordinator pages through all 12 oldest first,
    each page saying how many wait from there on, and comes back to the oldest; a cursor
    that names nothing shows the first page, and NUL in it is refused."""
    monkeypatch.setattr("timebank.views.CONFIRMATIONS_PER_PAGE", 5)
    records = _twelve_waiting(people)
    login(client, people["coordinator"])
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/")})
    path, pages = "/confirmations", []
    while path:
        page = client.get(path).get_data(as_text=True)
        pages.append(page)
        found = re.search(r'href="(/confirmations\?after=[^"]+)"', page)
        path = found.group(1) if found else None
    assert len(pages) == 3
    listed = [[r for r in records if f'href="/visits/{r.id}"' in page] for page in pages]
    assert listed == [records[:5], records[5:10], records[10:]]
    assert "12 visits are waiting; the oldest 5 are listed here." in pages[0]
    assert "7 visits are waiting from here on; the next 5 are listed here." in pages[1]
    assert "These are the last 2 visits waiting." in pages[2]
    assert "Back to the oldest" in pages[2] and "Back to the oldest" not in pages[0]
    for cursor in ("garbage", "20261301-5", f"20261205-{2**31}", "２０２６１２０５-1", ""):
        response = client.get("/confirmations", query_string={"after": cursor})
        assert response.status_code == 200, cursor
        first = response.get_data(as_text=True)
        assert [r for r in records if f'href="/visits/{r.id}"' in first] == records[:5]
    assert client.get("/confirmations?after=20261205-1%00").status_code == 400


def test_desk_shows_the_ten_newest_and_counts_them_all(client, people, make_member):
    """A fortnight with 12 newcomers: the desk (a phone's few screens) shows the newest 10
    and says 12, and leads to the members page listing all 12, newest first."""
    for person in people.values():  # the scene's people joined a month ago
        person.created_at = person.created_at - timedelta(days=30)
    newcomers = [make_member(f"新成员{n:02d}", age=70) for n in range(12)]
    for n, person in enumerate(newcomers):
        person.created_at = person.created_at - timedelta(hours=12 - n)  # the last is newest
    db.session.commit()
    login(client, people["coordinator"])
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/")})
    desk = client.get("/desk/").get_data(as_text=True)
    assert "New members of the last two weeks: 12" in desk
    shown = [p for p in newcomers if f'href="/members/{p.id}"' in desk]
    assert shown == newcomers[2:]
    assert 'href="/members?joined=recent"' in desk and "See all 12 new members" in desk
    listed = client.get("/members?joined=recent")
    assert listed.status_code == 200
    page = listed.get_data(as_text=True)
    positions = [page.index(f'href="/desk/members/{p.id}"') for p in reversed(newcomers)]
    assert positions == sorted(positions)  # newest first, all 12
    assert "New members of the last two weeks: 12" in page


def test_member_page_shows_balance_and_what_was_done_on_their_behalf(client, people):
    volunteer = people["volunteer"]
    top_up(volunteer, 200)
    donate_hours(member=volunteer, minutes=30, by=people["coordinator"], idempotency_key=key())
    login(client, people["coordinator"])
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/")})
    page = client.get(f"/desk/members/{volunteer.id}").get_data(as_text=True)
    assert "2 h 50 min" in page
    assert "张社工 on behalf of 李志愿" in page
    assert f"/visits/new?for={volunteer.id}" in page
    assert f"/gift?for={volunteer.id}" in page


def grant_form(client, elder_id: int, **fields) -> dict:
    data = {
        "hours": "2",
        "minutes": "0",
        "source": "guarantee",
        "reason": "独居老人, 春节慰问",
        "idempotency_key": key(),
        "csrf_token": csrf_token(client, f"/desk/members/{elder_id}"),
    }
    data.update(fields)
    return data


@pytest.fixture
def priority_elder(make_member):
    return make_member("孙奶奶", age=88, is_priority=True)


def test_coordinator_grants_hours_to_a_priority_elder(client, people, priority_elder):
    login(client, people["coordinator"])
    response = client.post(
        f"/desk/members/{priority_elder.id}/grant",
        data=grant_form(client, priority_elder.id, hours="1", minutes="30"),
    )
    assert response.status_code == 302
    assert balance(priority_elder) == 90
    granted = db.session.scalar(select(Transfer).where(Transfer.kind == TransferKind.GRANT))
    assert granted.entered_by_id == people["coordinator"].id
    assert granted.memo == "独居老人, 春节慰问"
    assert response.headers["Location"].endswith(f"/desk/transfers/{granted.id}")
    assert_ledger_clean()


def test_grant_to_an_elder_who_is_not_a_priority_elder_posts_nothing(client, people):
    login(client, people["coordinator"])
    before = transfer_count()
    response = client.post(
        f"/desk/members/{people['elder'].id}/grant", data=grant_form(client, people["elder"].id)
    )
    assert 400 <= response.status_code < 500
    assert transfer_count() == before
    assert balance(people["elder"]) == 0


def test_the_fund_cannot_go_below_zero(client, people, priority_elder):
    fill_fund(priority_elder.community, 60)
    db.session.commit()
    login(client, people["coordinator"])
    before = transfer_count()
    response = client.post(
        f"/desk/members/{priority_elder.id}/grant",
        data=grant_form(client, priority_elder.id, source="fund"),
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Not enough hours" in page or "不足" in page or "不够" in page
    assert transfer_count() == before
    assert fund(priority_elder.community).balance_minutes == 60


def test_a_replayed_grant_posts_once(client, people, priority_elder):
    login(client, people["coordinator"])
    data = grant_form(client, priority_elder.id)
    assert client.post(f"/desk/members/{priority_elder.id}/grant", data=data).status_code == 302
    again = client.post(f"/desk/members/{priority_elder.id}/grant", data=data)
    assert again.status_code == 409
    assert balance(priority_elder) == 120
    assert db.session.scalar(select(func.count()).where(Transfer.kind == "grant")) == 1


@pytest.mark.parametrize(
    "fields",
    [{"reason": ""}, {"hours": "0", "minutes": "0"}, {"hours": "-1"}, {"idempotency_key": ""}],
)
def test_bad_grant_forms_post_nothing(client, people, priority_elder, fields):
    login(client, people["coordinator"])
    response = client.post(
        f"/desk/members/{priority_elder.id}/grant",
        data=grant_form(client, priority_elder.id, **fields),
    )
    assert response.status_code == 400
    assert balance(priority_elder) == 0


def test_grant_without_csrf_token_posts_nothing(client, people, priority_elder):
    login(client, people["coordinator"])
    data = grant_form(client, priority_elder.id)
    del data["csrf_token"]
    response = client.post(f"/desk/members/{priority_elder.id}/grant", data=data)
    assert response.status_code == 400
    assert balance(priority_elder) == 0


def test_coordinator_of_another_community_cannot_grant(client, people, priority_elder):
    login(client, people["other_coordinator"])
    response = client.post(
        f"/desk/members/{priority_elder.id}/grant", data=grant_form(client, priority_elder.id)
    )
    assert response.status_code == 403
    assert balance(priority_elder) == 0


def reverse_form(client, transfer_id: int, **fields) -> dict:
    data = {
        "reason": "记错了人",
        "idempotency_key": key(),
        "csrf_token": csrf_token(client, f"/desk/transfers/{transfer_id}"),
    }
    data.update(fields)
    return data


@pytest.fixture
def mistaken_gift(people, priority_elder):
    """Two hours a coordinator granted to the wrong elder (from the guarantee account)."""
    transfer_id = grant_hours(
        elder=priority_elder,
        minutes=120,
        source="guarantee",
        by=people["coordinator"],
        memo="慰问",
        idempotency_key=key(),
    )
    db.session.commit()
    return transfer_id


def test_reversal_restores_balances_and_keeps_the_original(
    client, people, priority_elder, mistaken_gift
):
    login(client, people["coordinator"])
    response = client.post(
        f"/desk/transfers/{mistaken_gift}/reverse", data=reverse_form(client, mistaken_gift)
    )
    assert response.status_code == 302
    assert balance(priority_elder) == 0
    original = db.session.get(Transfer, mistaken_gift)
    assert original.amount_minutes == 120 and original.kind == TransferKind.GRANT
    reversal = db.session.scalar(select(Transfer).where(Transfer.reverses_id == mistaken_gift))
    assert reversal.memo == "记错了人" and reversal.entered_by_id == people["coordinator"].id
    assert response.headers["Location"].endswith(f"/desk/transfers/{reversal.id}")
    page = client.get(f"/desk/transfers/{mistaken_gift}").get_data(as_text=True)
    assert f"/desk/transfers/{reversal.id}" in page
    assert f'action="/desk/transfers/{mistaken_gift}/reverse"' not in page  # no second reversal
    assert_ledger_clean()


def test_a_transfer_is_reversed_only_once(client, people, priority_elder, mistaken_gift):
    login(client, people["coordinator"])
    first = client.post(
        f"/desk/transfers/{mistaken_gift}/reverse", data=reverse_form(client, mistaken_gift)
    )
    assert first.status_code == 302
    second = client.post(
        f"/desk/transfers/{mistaken_gift}/reverse", data=reverse_form(client, mistaken_gift)
    )
    assert second.status_code == 409
    assert db.session.scalar(select(func.count()).where(Transfer.kind == "reversal")) == 1
    assert balance(priority_elder) == 0


def test_a_reversal_needs_a_reason(client, people, priority_elder, mistaken_gift):
    login(client, people["coordinator"])
    response = client.post(
        f"/desk/transfers/{mistaken_gift}/reverse",
        data=reverse_form(client, mistaken_gift, reason="  "),
    )
    assert response.status_code == 400
    assert balance(priority_elder) == 120
    assert db.session.scalar(select(func.count()).where(Transfer.kind == "reversal")) == 0


def test_coordinator_of_another_community_cannot_reverse(
    client, people, priority_elder, mistaken_gift
):
    login(client, people["other_coordinator"])
    response = client.post(
        f"/desk/transfers/{mistaken_gift}/reverse", data=reverse_form(client, mistaken_gift)
    )
    assert response.status_code == 403
    assert balance(priority_elder) == 120


def settle_form(client, record_id: int, **fields) -> dict:
    data = {
        "decision": "post_all",
        "note": "和双方核实过",
        "csrf_token": csrf_token(client, f"/desk/disputes/{record_id}"),
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("fields", "posted", "status"),
    [
        ({"decision": "post_all"}, 120, RecordStatus.CONFIRMED),
        ({"decision": "post_fewer", "hours": "1", "minutes": "15"}, 75, RecordStatus.CONFIRMED),
        ({"decision": "reject"}, 0, RecordStatus.REJECTED),
    ],
)
def test_settling_a_dispute_posts_the_decided_minutes(client, people, fields, posted, status):
    record = disputed_visit(people["volunteer"], people["elder"], minutes=120)
    login(client, people["coordinator"])
    response = client.post(
        f"/desk/disputes/{record.id}", data=settle_form(client, record.id, **fields)
    )
    assert response.status_code == 302
    assert balance(people["volunteer"]) == posted
    db.session.refresh(record)
    assert record.status == status
    assert record.decided_by_id == people["coordinator"].id
    assert_ledger_clean()


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"note": ""}, 400),
        ({"decision": "post_fewer", "hours": "3", "minutes": "0"}, 400),
        ({"decision": "post_fewer"}, 400),
        ({"decision": ""}, 400),
    ],
)
def test_bad_settlements_post_nothing(client, people, fields, status):
    record = disputed_visit(people["volunteer"], people["elder"], minutes=120)
    login(client, people["coordinator"])
    response = client.post(
        f"/desk/disputes/{record.id}", data=settle_form(client, record.id, **fields)
    )
    assert response.status_code == status
    assert balance(people["volunteer"]) == 0
    db.session.refresh(record)
    assert record.status == RecordStatus.DISPUTED


def test_a_settled_dispute_cannot_be_settled_again(client, people):
    record = disputed_visit(people["volunteer"], people["elder"], minutes=120)
    login(client, people["coordinator"])
    data = settle_form(client, record.id)
    assert client.post(f"/desk/disputes/{record.id}", data=data).status_code == 302
    again = client.post(f"/desk/disputes/{record.id}", data=settle_form(client, record.id))
    assert again.status_code == 409
    assert balance(people["volunteer"]) == 120


def test_disputes_list_shows_only_my_communities(client, people, make_member):
    mine = disputed_visit(people["volunteer"], people["elder"])
    outsider = make_member("外居民", community=people["other_coordinator"].community)
    outsider_helper = make_member("外志愿", community=people["other_coordinator"].community)
    theirs = disputed_visit(outsider_helper, outsider)
    login(client, people["coordinator"])
    page = client.get("/desk/disputes").get_data(as_text=True)
    assert f"/desk/disputes/{mine.id}" in page
    assert f"/desk/disputes/{theirs.id}" not in page
