"""Provider pages and coordinators' verification: who may see and do what (SQLite only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.models import Role
from extensions import db
from marketplace.clock import local_today
from marketplace.models import (
    CalendarException,
    MealMenu,
    Provider,
    ProviderStatus,
    ServiceItem,
    WeeklySlot,
)
from tests.conftest import csrf_token, login


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _post(client, path, data, token_page="/provider/"):
    return client.post(path, data={"csrf_token": csrf_token(client, token_page), **data})


@pytest.fixture
def people(make_member, make_community, provider_owner, coordinator):
    elsewhere = make_community("别的社区")
    other_owner = make_member("别家老板", age=40)
    return {
        "owner": provider_owner,
        "other_owner": other_owner,
        "resident": make_member("居民甲"),
        "coordinator": coordinator,
        "other_coordinator": make_member(
            "外社工", age=40, role=Role.COORDINATOR, community=elsewhere
        ),
        "street_admin": make_member(
            "街道管理员", age=45, role=Role.STREET_ADMIN, community=elsewhere
        ),
    }


APPLICATION = {
    "name": "好帮手家政",
    "kind": "company",
    "categories": ["housekeeping", "meals"],
    "contact_name": "陈经理",
    "contact_phone": "13900001111",
    "licence_number": "123",
    "licence_details": "营业执照",
}


# --- applying ------------------------------------------------------------------------


def test_sign_in_required(client):
    assert client.get("/provider/").status_code == 302
    assert client.get("/provider/applications").status_code == 302


def test_a_member_without_a_provider_is_offered_to_apply(client, people, english_pages):
    login(client, people["resident"])
    page = client.get("/provider/").get_data(as_text=True)
    assert "/provider/apply" in page
    assert client.get("/provider/menu").status_code == 404
    assert client.get("/provider/dashboard/").status_code == 404


def test_apply_and_see_the_status(client, people, community, english_pages):
    login(client, people["resident"])
    assert client.get("/provider/apply").status_code == 200
    response = _post(
        client, "/provider/apply", {**APPLICATION, "communities": [community.id]}, "/provider/apply"
    )
    assert response.status_code == 302
    provider = db.session.scalar(select(Provider))
    assert provider.status == ProviderStatus.APPLIED
    assert provider.owner_id == people["resident"].id
    page = client.get("/provider/").get_data(as_text=True)
    assert "Waiting for a coordinator to check it" in page
    assert f"/market/providers/{provider.id}" not in page  # not visible yet
    # a second application goes to the provider area, and adds nothing
    assert (
        _post(
            client, "/provider/apply", {**APPLICATION, "communities": [community.id]}, "/provider/"
        ).status_code
        == 302
    )
    assert _count(Provider) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"categories": []}, "Choose at least one kind of service."),
        ({"contact_phone": "12ab"}, "Enter the contact phone as 7 to 20 digits."),
        ({"name": ""}, "Enter a name."),
    ],
)
def test_bad_applications_say_why(client, people, community, english_pages, change, message):
    login(client, people["resident"])
    data = {**APPLICATION, "communities": [community.id], **change}
    response = _post(client, "/provider/apply", data, "/provider/apply")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(Provider) == 0


def test_application_without_csrf_is_refused(client, people, community, english_pages):
    login(client, people["resident"])
    response = client.post("/provider/apply", data={**APPLICATION, "communities": [community.id]})
    assert response.status_code == 400
    assert _count(Provider) == 0


def test_applying_for_another_streets_community_is_refused(client, people, english_pages):
    login(client, people["resident"])
    response = _post(
        client, "/provider/apply", {**APPLICATION, "communities": [99999]}, "/provider/apply"
    )
    assert response.status_code == 400
    assert _count(Provider) == 0


# --- the coordinators' queue and decisions ---------------------------------------------

# the checks in person that verifying or reinstating a childcare or meal provider needs
CHECKS = {
    "licence_number": "JY13205080001",
    "licence_seen": "y",
    "health_certificates_seen": "y",
    "premises_checked": "y",
}


@pytest.fixture
def applied(make_provider):
    return make_provider(status=ProviderStatus.APPLIED)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("street_admin", 200),
        ("other_coordinator", 403),
        ("resident", 403),
        ("owner", 403),
    ],
)
def test_who_sees_an_application(client, people, applied, who, status):
    login(client, people[who])
    assert client.get(f"/provider/review/{applied.id}").status_code == status
    queue = client.get("/provider/applications")
    if who in ("resident", "owner"):
        assert queue.status_code == 403
    else:
        assert queue.status_code == 200
        assert (applied.name in queue.get_data(as_text=True)) == (status == 200)


def test_the_review_page_shows_the_licence(client, people, applied):
    login(client, people["coordinator"])
    page = client.get(f"/provider/review/{applied.id}").get_data(as_text=True)
    assert applied.licence_number in page
    assert f"/provider/review/{applied.id}/verify" in page
    assert f"/provider/review/{applied.id}/reject" in page
    assert client.get("/provider/review/99999").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("coordinator", 302), ("street_admin", 302), ("other_coordinator", 403), ("resident", 403)],
)
def test_who_may_verify(client, people, applied, who, status):
    login(client, people[who])
    response = _post(client, f"/provider/review/{applied.id}/verify", CHECKS)
    assert response.status_code == status
    db.session.expire_all()
    expected = ProviderStatus.VERIFIED if status == 302 else ProviderStatus.APPLIED
    assert db.session.get(Provider, applied.id).status == expected


def test_rejecting_needs_a_reason_and_the_owner_sees_it(client, people, applied, english_pages):
    login(client, people["coordinator"])
    response = _post(client, f"/provider/review/{applied.id}/reject", {"reason": " "})
    assert response.status_code == 400
    assert "Please give a reason" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Provider, applied.id).status == ProviderStatus.APPLIED
    assert (
        _post(client, f"/provider/review/{applied.id}/reject", {"reason": "执照不清楚"}).status_code
        == 302
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/provider/")})
    login(client, people["owner"])
    page = client.get("/provider/").get_data(as_text=True)
    assert "执照不清楚" in page
    assert "Apply again" in page


def test_suspend_and_reinstate(client, people, provider, english_pages):
    login(client, people["coordinator"])
    assert _post(client, f"/provider/review/{provider.id}/reinstate", CHECKS).status_code == 409
    assert (
        _post(client, f"/provider/review/{provider.id}/suspend", {"reason": "投诉"}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Provider, provider.id).status == ProviderStatus.SUSPENDED
    assert "投诉" in client.get(f"/provider/review/{provider.id}").get_data(as_text=True)
    assert _post(client, f"/provider/review/{provider.id}/reinstate", CHECKS).status_code == 302
    db.session.expire_all()
    assert db.session.get(Provider, provider.id).status == ProviderStatus.VERIFIED
    assert _post(client, f"/provider/review/{provider.id}/destroy", {}).status_code == 404


def test_decisions_need_csrf(client, people, applied):
    login(client, people["coordinator"])
    assert client.post(f"/provider/review/{applied.id}/verify").status_code == 400
    db.session.expire_all()
    assert db.session.get(Provider, applied.id).status == ProviderStatus.APPLIED


# --- the owner's menu, meals, calendar, settings -----------------------------------------

ITEM = {
    "category": "housekeeping",
    "title": "深度保洁",
    "unit": "visit",
    "price_yuan": "12.5",
    "price_hours": "1.5",
    "duration_minutes": "120",
    "cancel_fee_percent": "0",
}


@pytest.mark.parametrize(
    "path", ["/provider/menu", "/provider/calendar", "/provider/settings", "/provider/meals"]
)
def test_owner_pages_show_to_the_owner_only(client, people, provider, path):
    login(client, people["owner"])
    assert client.get(path).status_code == 200
    assert client.get("/provider/").status_code == 200
    for who in ("other_owner", "resident", "coordinator"):
        other = client.application.test_client()
        login(other, people[who])
        assert other.get(path).status_code == 404  # they run no provider


def test_owner_adds_edits_pauses_and_resumes_an_item(client, people, provider, english_pages):
    login(client, people["owner"])
    assert _post(client, "/provider/menu/items", ITEM, "/provider/menu").status_code == 302
    item = db.session.scalar(select(ServiceItem))
    assert (item.price_fen, item.price_minutes) == (1250, 90)
    edit = client.get(f"/provider/menu/items/{item.id}/edit").get_data(as_text=True)
    assert 'value="12.50"' in edit and 'value="1.5"' in edit
    response = _post(
        client,
        f"/provider/menu/items/{item.id}/edit",
        {**ITEM, "price_yuan": "20"},
        "/provider/menu",
    )
    assert response.status_code == 302
    assert _post(client, f"/provider/menu/items/{item.id}/pause", {}).status_code == 302
    db.session.expire_all()
    item = db.session.get(ServiceItem, item.id)
    assert (item.price_fen, item.is_paused) == (2000, True)
    assert _post(client, f"/provider/menu/items/{item.id}/resume", {}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(ServiceItem, item.id).is_paused


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"price_yuan": "0"}, 400, "The price must be more than 0"),
        ({"price_yuan": "abc"}, 400, "Enter the price in yuan"),
        ({"category": "childcare"}, 400, "Childcare needs an age range"),
        ({"category": "meals"}, 400, "Meals are sold per meal"),
        ({"duration_minutes": ""}, 400, "Enter a whole number from 1 to 1440."),
    ],
)
def test_bad_items_say_why(client, people, provider, english_pages, change, status, message):
    login(client, people["owner"])
    response = _post(client, "/provider/menu/items", {**ITEM, **change}, "/provider/menu")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _count(ServiceItem) == 0


def test_another_owner_cannot_touch_an_item(client, people, provider, cleaning, make_provider):
    make_provider("别家", owner=people["other_owner"])
    login(client, people["other_owner"])
    assert client.get(f"/provider/menu/items/{cleaning.id}/edit").status_code == 403
    assert _post(client, f"/provider/menu/items/{cleaning.id}/pause", {}).status_code == 403
    response = _post(
        client, f"/provider/menu/items/{cleaning.id}/edit", {**ITEM, "price_yuan": "1"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    item = db.session.get(ServiceItem, cleaning.id)
    assert (item.price_fen, item.is_paused) == (8000, False)


def test_meal_menus(client, people, provider, lunch, english_pages):
    login(client, people["owner"])
    day = local_today() + timedelta(days=2)
    data = {
        "item": str(lunch.id),
        "served_on": day.isoformat(),
        "dishes": "红烧肉",
        "portions": "30",
        "offers_pickup": "y",
    }
    assert _post(client, "/provider/meals", data, "/provider/meals").status_code == 302
    assert "红烧肉" in client.get("/provider/meals").get_data(as_text=True)
    past = {**data, "served_on": (local_today() - timedelta(days=1)).isoformat()}
    response = _post(client, "/provider/meals", past, "/provider/meals")
    assert response.status_code == 400
    assert "Choose today or a later day." in response.get_data(as_text=True)
    neither = {**data, "offers_pickup": ""}
    neither.pop("offers_pickup")
    response = _post(client, "/provider/meals", neither, "/provider/meals")
    assert response.status_code == 400
    assert "Offer pickup, delivery or both." in response.get_data(as_text=True)
    assert _count(MealMenu) == 1


def test_calendar_slots_and_days(client, people, make_provider, english_pages):
    make_provider(slots=())
    login(client, people["owner"])
    slot = {
        "slot-weekday": "2",
        "slot-starts_at": "09:00",
        "slot-ends_at": "11:00",
        "slot-capacity": "4",
    }
    assert _post(client, "/provider/calendar/slots", slot, "/provider/calendar").status_code == 302
    overlapping = {**slot, "slot-starts_at": "10:00", "slot-ends_at": "12:00"}
    response = _post(client, "/provider/calendar/slots", overlapping, "/provider/calendar")
    assert response.status_code == 409
    assert "overlaps another slot" in response.get_data(as_text=True)
    backwards = {**slot, "slot-weekday": "3", "slot-starts_at": "12:00", "slot-ends_at": "11:00"}
    assert (
        _post(client, "/provider/calendar/slots", backwards, "/provider/calendar").status_code
        == 400
    )
    assert _count(WeeklySlot) == 1
    day = (local_today() + timedelta(days=1)).isoformat()
    closed = {"day-on_date": day, "day-state": "closed", "day-note": "休息"}
    assert _post(client, "/provider/calendar/days", closed, "/provider/calendar").status_code == 302
    open_without_places = {"day-on_date": day, "day-state": "open"}
    response = _post(client, "/provider/calendar/days", open_without_places, "/provider/calendar")
    assert response.status_code == 400
    assert "give the places per slot" in response.get_data(as_text=True)
    page = client.get("/provider/calendar").get_data(as_text=True)
    assert "休息" in page and "Wednesday" in page
    exception = db.session.scalar(select(CalendarException))
    assert _post(client, f"/provider/calendar/days/{exception.id}/clear", {}).status_code == 302
    weekly = db.session.scalar(select(WeeklySlot))
    assert _post(client, f"/provider/calendar/slots/{weekly.id}/remove", {}).status_code == 302
    assert _count(CalendarException) == 0 and _count(WeeklySlot) == 0


def test_another_owner_cannot_change_a_calendar(client, people, provider, make_provider):
    make_provider("别家", owner=people["other_owner"], slots=())
    login(client, people["other_owner"])
    slot = db.session.scalar(select(WeeklySlot).where(WeeklySlot.provider_id == provider.id))
    assert _post(client, f"/provider/calendar/slots/{slot.id}/remove", {}).status_code == 403
    assert db.session.get(WeeklySlot, slot.id) is not None


def test_settings(client, people, provider, community, english_pages):
    login(client, people["owner"])
    page = client.get("/provider/settings").get_data(as_text=True)
    assert provider.contact_phone in page
    data = {
        "description": "新介绍",
        "contact_name": "陈",
        "contact_phone": "13900002222",
        "min_notice_hours": "4",
        "response_hours": "12",
        "communities": [str(community.id)],
    }
    assert _post(client, "/provider/settings", data, "/provider/settings").status_code == 302
    db.session.expire_all()
    saved = db.session.get(Provider, provider.id)
    assert (saved.min_notice_hours, saved.response_hours, saved.description) == (4, 12, "新介绍")
    response = _post(
        client, "/provider/settings", {**data, "response_hours": "100"}, "/provider/settings"
    )
    assert response.status_code == 400
    assert "Enter a whole number from 1 to 72." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Provider, provider.id).response_hours == 12


def test_a_form_sent_twice_adds_one_item(client, people, provider, english_pages):
    login(client, people["owner"])
    assert _post(client, "/provider/menu/items", ITEM, "/provider/menu").status_code == 302
    again = _post(client, "/provider/menu/items", ITEM, "/provider/menu")
    assert again.status_code == 409
    assert "already has an item called" in again.get_data(as_text=True)
    assert _count(ServiceItem) == 1


def test_a_decision_sent_twice_decides_once(client, people, applied):
    login(client, people["coordinator"])
    assert _post(client, f"/provider/review/{applied.id}/verify", CHECKS).status_code == 302
    assert _post(client, f"/provider/review/{applied.id}/verify", CHECKS).status_code == 409
    db.session.expire_all()
    assert db.session.get(Provider, applied.id).status == ProviderStatus.VERIFIED


def test_a_rejected_applicant_has_no_menu_but_may_apply_again(client, people, make_provider):
    make_provider(status=ProviderStatus.REJECTED)
    login(client, people["owner"])
    assert client.get("/provider/menu").status_code == 404
    assert client.get("/provider/apply").status_code == 200


def test_a_verified_owner_links_to_their_public_page(client, people, provider):
    login(client, people["owner"])
    page = client.get("/provider/").get_data(as_text=True)
    assert f"/market/providers/{provider.id}" in page
    assert "/provider/dashboard/" in page and "/provider/calendar" in page
