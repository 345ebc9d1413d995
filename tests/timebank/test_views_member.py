"""The member's time-bank pages through the HTTP client: access, CSRF,
idempotency, form errors, and the log → confirm journey."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.models import Role
from community.services import link_family
from extensions import db
from tests.conftest import csrf_token, login
from timebank.accounts import community_account, member_account
from timebank.clock import local_today
from timebank.ledger import post_transfer
from timebank.models import AccountKind, RecordStatus, ServiceRecord, Transfer, TransferKind
from timebank.visits import log_visit

GET_PAGES = [
    "/",
    "/visits/new",
    "/visits/1",
    "/confirmations",
    "/gift",
    "/donate",
    "/statement",
    "/statement.csv",
]
POST_PAGES = [
    "/visits/new",
    "/visits/1/confirm",
    "/visits/1/reject",
    "/visits/1/dispute",
    "/gift",
    "/donate",
]
BALANCE_RE = re.compile(r'data-testid="balance">([^<]*)<')


def use_english(client) -> None:
    """Switch the client's session to English so the tests can read the messages."""
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/login")})


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    use_english(client)
    return client


def give(member, minutes: int, key: str) -> None:
    """Arrange: the community's guarantee account credits ``member`` (an adjustment)."""
    post_transfer(
        from_account_id=community_account(member.community_id, AccountKind.GUARANTEE).id,
        to_account_id=member_account(member).id,
        minutes=minutes,
        kind=TransferKind.ADJUSTMENT,
        idempotency_key=key,
        entered_by=None,
    )
    db.session.commit()


def a_visit(volunteer, recipient, minutes: int = 60, key: str = "v1") -> ServiceRecord:
    record = log_visit(
        volunteer=volunteer,
        recipient=recipient,
        category="meal",
        service_date=local_today(),
        minutes=minutes,
        entered_by=volunteer,
        idempotency_key=key,
    )
    db.session.commit()
    return record


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# --- Access -------------------------------------------------------------------


@pytest.mark.parametrize("path", GET_PAGES)
def test_every_page_needs_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", POST_PAGES)
def test_every_form_needs_sign_in(client, path):
    token = csrf_token(client, "/login")
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_another_members_visit_is_forbidden(app, volunteer, elder, make_member):
    record = a_visit(volunteer, elder)
    stranger = make_member("路人")
    client = signed_in(app, stranger)
    assert client.get(f"/visits/{record.id}").status_code == 403
    token = csrf_token(client, "/")
    response = client.post(f"/visits/{record.id}/confirm", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ServiceRecord, record.id).status == RecordStatus.PENDING


def test_people_of_the_visit_may_see_it(app, volunteer, elder, coordinator, make_member):
    record = a_visit(volunteer, elder)
    daughter = make_member("王女儿", age=45)
    link_family(by=elder, elder=elder, relative=daughter)
    for person in (volunteer, elder, daughter, coordinator):
        response = signed_in(app, person).get(f"/visits/{record.id}")
        assert response.status_code == 200, person.display_name
        assert "王秀英" in response.get_data(as_text=True)


def test_unknown_visit_is_404(app, volunteer):
    client = signed_in(app, volunteer)
    assert client.get("/visits/999999").status_code == 404


def test_another_members_statement_and_csv_are_forbidden(app, volunteer, make_member):
    stranger = make_member("路人")
    client = signed_in(app, stranger)
    assert client.get(f"/statement?member={volunteer.id}").status_code == 403
    assert client.get(f"/statement.csv?member={volunteer.id}").status_code == 403


def test_unknown_member_statement_is_404(app, coordinator):
    client = signed_in(app, coordinator)
    assert client.get("/statement?member=999999").status_code == 404
    assert client.get("/statement.csv?member=999999").status_code == 404


def test_coordinator_reads_a_members_statement(app, coordinator, volunteer):
    give(volunteer, 75, "credit")
    response = signed_in(app, coordinator).get(f"/statement?member={volunteer.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "李志愿" in page and "1 h 15 min" in page


def test_coordinator_of_another_community_may_not(app, volunteer, make_community, make_member):
    elsewhere = make_member("别处社工", community=make_community(), role=Role.COORDINATOR)
    client = signed_in(app, elsewhere)
    assert client.get(f"/statement?member={volunteer.id}").status_code == 403
    assert client.get(f"/gift?for={volunteer.id}").status_code == 403


# --- CSRF ---------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_gift_without_a_valid_csrf_token_posts_nothing(app, volunteer, make_member, token):
    friend = make_member("朋友")
    give(volunteer, 120, "credit")
    client = signed_in(app, volunteer)
    data = {"recipient": friend.phone, "hours": "1", "idempotency_key": "gift-1"}
    if token:
        data["csrf_token"] = token
    response = client.post("/gift", data=data)
    assert response.status_code == 400
    assert count(Transfer) == 1  # only the arranged credit


def test_confirm_without_csrf_token_changes_nothing(app, volunteer, elder):
    record = a_visit(volunteer, elder)
    client = signed_in(app, elder)
    response = client.post(f"/visits/{record.id}/confirm", data={})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(ServiceRecord, record.id).status == RecordStatus.PENDING
    assert member_account(volunteer).balance_minutes == 0


# --- Logging visits -----------------------------------------------------------


def log_form(client, recipient, **changes) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/visits/new"),
        "recipient": recipient.phone,
        "category": "meal",
        "service_date": local_today().isoformat(),
        "minutes": "90",
        "note": "",
        "idempotency_key": "log-1",
    }
    data.update(changes)
    return data


def test_log_visit_page_offers_today_and_a_fresh_key(app, volunteer):
    page = signed_in(app, volunteer).get("/visits/new").get_data(as_text=True)
    assert f'value="{local_today().isoformat()}"' in page
    assert re.search(r'name="idempotency_key"[^>]*value="[0-9a-f]{32}"', page)


def test_log_visit_then_the_visit_page_says_waiting(app, volunteer, elder):
    client = signed_in(app, volunteer)
    response = client.post("/visits/new", data=log_form(client, elder))
    assert response.status_code == 302
    record = db.session.scalar(select(ServiceRecord))
    assert response.headers["Location"] == f"/visits/{record.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Waiting for confirmation" in page
    assert "logged" in page.lower()


def test_the_same_visit_form_posted_twice_logs_once(app, volunteer, elder):
    client = signed_in(app, volunteer)
    data = log_form(client, elder)
    assert client.post("/visits/new", data=data).status_code == 302
    again = client.post("/visits/new", data=data)
    assert again.status_code == 409
    assert "already sent" in again.get_data(as_text=True)
    assert count(ServiceRecord) == 1


def test_unknown_recipient_is_a_field_error(app, volunteer):
    client = signed_in(app, volunteer)

    class Nobody:
        phone = "13000000000"

    response = client.post("/visits/new", data=log_form(client, Nobody))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'class="field__error" id="recipient-error"' in page
    assert "13000000000" in page
    assert count(ServiceRecord) == 0


@pytest.mark.parametrize("minutes", ["0", "-30", "100000", "abc"])
def test_bad_minutes_are_refused_with_a_message(app, volunteer, elder, minutes):
    client = signed_in(app, volunteer)
    response = client.post("/visits/new", data=log_form(client, elder, minutes=minutes))
    assert response.status_code == 400
    assert 'id="minutes-error"' in response.get_data(as_text=True)
    assert count(ServiceRecord) == 0


def test_a_visit_in_the_future_is_refused(app, volunteer, elder):
    client = signed_in(app, volunteer)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    response = client.post("/visits/new", data=log_form(client, elder, service_date=tomorrow))
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert count(ServiceRecord) == 0


def test_start_and_end_time_give_the_minutes(app, volunteer, elder):
    client = signed_in(app, volunteer)
    data = log_form(client, elder, minutes="", started_at="09:00", ended_at="10:45")
    assert client.post("/visits/new", data=data).status_code == 302
    assert db.session.scalar(select(ServiceRecord.minutes)) == 105


def test_neither_times_nor_minutes_is_a_form_error(app, volunteer, elder):
    client = signed_in(app, volunteer)
    response = client.post("/visits/new", data=log_form(client, elder, minutes=""))
    assert response.status_code == 400
    assert 'id="minutes-error"' in response.get_data(as_text=True)


def test_coordinator_logs_for_a_volunteer(app, coordinator, volunteer, elder):
    client = signed_in(app, coordinator)
    page = client.get(f"/visits/new?for={volunteer.id}").get_data(as_text=True)
    assert "李志愿" in page
    data = log_form(client, elder)
    response = client.post(f"/visits/new?for={volunteer.id}", data=data)
    assert response.status_code == 302
    record = db.session.scalar(select(ServiceRecord))
    assert (record.volunteer_id, record.on_behalf_of_id) == (volunteer.id, volunteer.id)
    page = client.get(f"/visits/{record.id}").get_data(as_text=True)
    assert "张社工 on behalf of 李志愿" in page


def test_a_member_cannot_log_for_someone_else(app, volunteer, elder, make_member):
    other = make_member("别人", is_volunteer=True)
    client = signed_in(app, volunteer)
    assert client.get(f"/visits/new?for={other.id}").status_code == 403
    response = client.post(f"/visits/new?for={other.id}", data=log_form(client, elder))
    assert response.status_code == 403
    assert count(ServiceRecord) == 0


# --- Answering visits ---------------------------------------------------------


def balance_shown(client) -> str:
    match = BALANCE_RE.search(client.get("/").get_data(as_text=True))
    assert match
    return match.group(1).strip()


def test_log_then_confirm_changes_the_volunteers_balance(app, volunteer, elder):
    volunteer_client = signed_in(app, volunteer)
    assert balance_shown(volunteer_client) == "0 min"
    logged = volunteer_client.post("/visits/new", data=log_form(volunteer_client, elder))
    visit_url = logged.headers["Location"]

    elder_client = signed_in(app, elder)
    home = elder_client.get("/").get_data(as_text=True)
    assert visit_url in home  # the elder's home lists the visit to answer
    assert visit_url in elder_client.get("/confirmations").get_data(as_text=True)
    token = csrf_token(elder_client, visit_url)
    confirmed = elder_client.post(visit_url + "/confirm", data={"confirm-csrf_token": token})
    assert confirmed.status_code == 302
    assert "Confirmed" in elder_client.get(visit_url).get_data(as_text=True)

    assert balance_shown(volunteer_client) == "1 h 30 min"
    assert visit_url not in elder_client.get("/confirmations").get_data(as_text=True)


def test_family_confirms_for_the_elder(app, volunteer, elder, make_member):
    record = a_visit(volunteer, elder, minutes=45)
    daughter = make_member("王女儿", age=45)
    link_family(by=elder, elder=elder, relative=daughter)
    db.session.commit()
    client = signed_in(app, daughter)
    token = csrf_token(client, f"/visits/{record.id}")
    response = client.post(f"/visits/{record.id}/confirm", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get(f"/visits/{record.id}").get_data(as_text=True)
    assert "王女儿 on behalf of 王秀英" in page
    assert member_account(volunteer).balance_minutes == 45


def test_the_volunteer_cannot_confirm_their_own_visit(app, volunteer, elder):
    record = a_visit(volunteer, elder)
    client = signed_in(app, volunteer)
    page = client.get(f"/visits/{record.id}").get_data(as_text=True)
    assert f"/visits/{record.id}/confirm" not in page
    token = csrf_token(client, "/")
    response = client.post(f"/visits/{record.id}/confirm", data={"csrf_token": token})
    assert response.status_code == 403
    assert member_account(volunteer).balance_minutes == 0


def test_confirming_twice_is_refused(app, volunteer, elder):
    record = a_visit(volunteer, elder, minutes=30)
    client = signed_in(app, elder)
    token = csrf_token(client, "/")
    assert (
        client.post(f"/visits/{record.id}/confirm", data={"csrf_token": token}).status_code == 302
    )
    again = client.post(f"/visits/{record.id}/confirm", data={"csrf_token": token})
    assert again.status_code == 409
    assert member_account(volunteer).balance_minutes == 30


def test_reject_posts_nothing(app, volunteer, elder):
    record = a_visit(volunteer, elder)
    client = signed_in(app, elder)
    token = csrf_token(client, "/")
    response = client.post(
        f"/visits/{record.id}/reject", data={"csrf_token": token, "reject-reason": "没来"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(ServiceRecord, record.id)
    assert (record.status, record.decision_note) == (RecordStatus.REJECTED, "没来")
    assert member_account(volunteer).balance_minutes == 0


def test_dispute_needs_a_reason(app, volunteer, elder):
    record = a_visit(volunteer, elder)
    client = signed_in(app, elder)
    token = csrf_token(client, "/")
    response = client.post(f"/visits/{record.id}/dispute", data={"csrf_token": token})
    assert response.status_code == 400
    assert 'id="dispute-reason-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceRecord, record.id).status == RecordStatus.PENDING
    response = client.post(
        f"/visits/{record.id}/dispute", data={"csrf_token": token, "dispute-reason": "只来了半小时"}
    )
    assert response.status_code == 302
    assert "In dispute" in client.get(f"/visits/{record.id}").get_data(as_text=True)


# --- Gifts and donations ------------------------------------------------------


def gift_form(client, recipient_text: str, **changes) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/gift"),
        "recipient": recipient_text,
        "hours": "1",
        "minutes": "30",
        "memo": "给妈妈",
        "idempotency_key": "gift-1",
    }
    data.update(changes)
    return data


def test_gift_to_family_moves_hours_once(app, volunteer, elder):
    link_family(by=elder, elder=elder, relative=volunteer)
    give(volunteer, 200, "credit")
    client = signed_in(app, volunteer)
    page = client.get("/gift").get_data(as_text=True)
    assert "王秀英" in page  # linked family offered as a quick choice
    data = gift_form(client, f"#{elder.id}")
    assert client.post("/gift", data=data).status_code == 302
    again = client.post("/gift", data=data)
    assert again.status_code == 409
    assert member_account(elder).balance_minutes == 90
    assert member_account(volunteer).balance_minutes == 110
    assert balance_shown(client) == "1 h 50 min"


def test_gift_to_a_stranger_is_refused_by_family_policy(app, volunteer, make_member):
    stranger = make_member("路人")
    give(volunteer, 200, "credit")
    client = signed_in(app, volunteer)
    response = client.post("/gift", data=gift_form(client, stranger.phone))
    assert response.status_code == 403
    assert "linked family only" in response.get_data(as_text=True)
    assert member_account(stranger).balance_minutes == 0


@pytest.mark.parametrize(
    ("hours", "minutes"), [("0", "0"), ("", ""), ("-1", "0"), ("0", "-5"), ("9999", "0")]
)
def test_gift_amount_must_be_sensible(app, volunteer, elder, hours, minutes):
    link_family(by=elder, elder=elder, relative=volunteer)
    give(volunteer, 200, "credit")
    client = signed_in(app, volunteer)
    data = gift_form(client, elder.phone, hours=hours, minutes=minutes)
    response = client.post("/gift", data=data)
    assert response.status_code == 400
    assert "field__error" in response.get_data(as_text=True)
    assert member_account(elder).balance_minutes == 0


def test_gift_above_the_balance_is_refused(app, volunteer, elder):
    link_family(by=elder, elder=elder, relative=volunteer)
    give(volunteer, 30, "credit")
    client = signed_in(app, volunteer)
    response = client.post("/gift", data=gift_form(client, elder.phone))
    assert response.status_code == 409
    assert "Not enough hours" in response.get_data(as_text=True)
    assert member_account(volunteer).balance_minutes == 30


def test_gift_to_oneself_is_refused(app, volunteer):
    give(volunteer, 200, "credit")
    client = signed_in(app, volunteer)
    response = client.post("/gift", data=gift_form(client, volunteer.phone))
    assert response.status_code == 400
    assert "yourself" in response.get_data(as_text=True)


def test_coordinator_gifts_for_a_member(app, coordinator, volunteer, elder):
    link_family(by=elder, elder=elder, relative=volunteer)
    give(volunteer, 200, "credit")
    client = signed_in(app, coordinator)
    response = client.post(f"/gift?for={volunteer.id}", data=gift_form(client, elder.phone))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/statement?member={volunteer.id}"
    transfer = db.session.scalar(select(Transfer).where(Transfer.kind == TransferKind.GIFT))
    assert (transfer.entered_by_id, transfer.on_behalf_of_id) == (coordinator.id, volunteer.id)


def test_donation_goes_to_the_community_fund(app, volunteer, community):
    give(volunteer, 100, "credit")
    client = signed_in(app, volunteer)
    data = {
        "csrf_token": csrf_token(client, "/donate"),
        "hours": "",
        "minutes": "40",
        "memo": "",
        "idempotency_key": "donate-1",
    }
    assert client.post("/donate", data=data).status_code == 302
    assert client.post("/donate", data=data).status_code == 409
    assert community_account(community.id, AccountKind.FUND).balance_minutes == 40
    page = client.get("/statement").get_data(as_text=True)
    assert "桂花新村社区 fund" in page
