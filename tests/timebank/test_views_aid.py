"""The /aid pages: what each action changes (who may do what is in test_views_permissions)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.services import link_family
from extensions import db
from tests.conftest import csrf_token, login
from timebank.aid_models import AidRequest, Offer, RequestStatus
from timebank.clock import local_today
from timebank.offers import OfferDetails, publish_offer
from timebank.requests import Need, approve_take, post_request, take_request
from timebank.visit_models import Visit, VisitStatus

from .support import key


def _need(**fields) -> Need:
    return Need(
        category=fields.pop("category", "meal"),
        estimated_minutes=60,
        needed_on=local_today() + timedelta(days=2),
        **fields,
    )


@pytest.fixture
def scene(people):
    """An open request (with private notes), a taken one, and an offer."""
    elder = people["elder"]
    open_request = post_request(
        _need(private_notes="钥匙在邻居家"), requester=elder, by=elder, idempotency_key=key()
    )
    taken = post_request(_need(), requester=elder, by=elder, idempotency_key=key())
    take_request(taken, volunteer=people["volunteer"])
    offer = publish_offer(OfferDetails(category="haircut"), by=people["volunteer"])
    db.session.commit()
    return {
        "open": open_request.id,
        "taken": taken.id,
        "offer": offer.id,
        "elder": elder.id,
    }


@pytest.mark.parametrize(
    ("path", "who"),
    [("/aid/requests/{taken}/take", "volunteer"), ("/aid/requests/{open}/decline", "elder")],
)
def test_acting_on_a_request_in_the_wrong_state_is_a_conflict(client, people, scene, path, who):
    login(client, people[who])
    token = csrf_token(client, "/aid/my")
    assert client.post(path.format(**scene), data={"csrf_token": token}).status_code == 409


def test_post_without_csrf_token_changes_nothing(client, people, scene):
    login(client, people["volunteer"])
    assert client.post(f"/aid/requests/{scene['open']}/take").status_code == 400
    assert db.session.get(AidRequest, scene["open"]).status == RequestStatus.OPEN


def _need_form(token, **fields) -> dict:
    data = {
        "csrf_token": token,
        "idempotency_key": key(),
        "category": "meal",
        "needed_on": (local_today() + timedelta(days=1)).isoformat(),
        "window_start": "10:00",
        "window_end": "11:00",
        "building": "3",
        "unit": "201",
        "estimated_minutes": "60",
        "private_notes": "请按两次门铃",
    }
    data.update(fields)
    return data


def test_family_posts_a_need_for_the_elder(client, people):
    elder = people["elder"]
    login(client, people["family"])
    token = csrf_token(client, f"/aid/requests/new?for={elder.id}")
    response = client.post(f"/aid/requests/new?for={elder.id}", data=_need_form(token))
    assert response.status_code == 302
    posted = db.session.query(AidRequest).one()
    assert (posted.requester_id, posted.entered_by_id) == (elder.id, people["family"].id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请按两次门铃" in page and people["family"].display_name in page


def test_a_need_in_the_past_is_refused_with_its_message(client, people):
    login(client, people["elder"])
    token = csrf_token(client, "/aid/requests/new")
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    response = client.post("/aid/requests/new", data=_need_form(token, needed_on=yesterday))
    assert response.status_code == 400
    assert db.session.query(AidRequest).count() == 0


def test_family_without_booking_rights_is_refused(client, people, make_member):
    son = make_member("王儿子", age=52)
    link_family(elder=people["elder"], relative=son, by=people["elder"], may_book=False)
    login(client, son)
    assert client.get(f"/aid/requests/new?for={people['elder'].id}").status_code == 403


def test_private_notes_hidden_from_volunteers_until_the_elder_agrees(client, people, scene):
    login(client, people["volunteer"])
    url = f"/aid/requests/{scene['open']}"
    assert "钥匙在邻居家" not in client.get(url).get_data(as_text=True)
    assert "钥匙在邻居家" not in client.get("/aid/requests").get_data(as_text=True)
    client.post(url + "/take", data={"csrf_token": csrf_token(client, url)})
    assert "钥匙在邻居家" not in client.get(url).get_data(as_text=True)  # taken, not agreed
    approve_take(db.session.get(AidRequest, scene["open"]), by=people["elder"])
    db.session.commit()
    assert "钥匙在邻居家" in client.get(url).get_data(as_text=True)


def test_approval_schedules_the_visit(client, people, scene):
    login(client, people["elder"])
    url = f"/aid/requests/{scene['taken']}"
    page = client.get(url).get_data(as_text=True)
    assert page.count("button--primary") == 1
    response = client.post(url + "/approve", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    approved = db.session.get(AidRequest, scene["taken"])
    db.session.refresh(approved)
    assert approved.status == RequestStatus.SCHEDULED and approved.visit_id is not None
    assert f"/rounds/visits/{approved.visit_id}" in client.get(url).get_data(as_text=True)


def test_volunteer_publishes_an_offer_and_a_resident_asks_for_it(app, client, people):
    login(client, people["volunteer"])
    token = csrf_token(client, "/aid/offers/new")
    response = client.post(
        "/aid/offers/new",
        data={"csrf_token": token, "category": "repairs", "weekdays": ["1", "4"]},
    )
    assert response.status_code == 302
    client = app.test_client()
    login(client, people["elder"])
    listing = client.get("/aid/offers?category=repairs").get_data(as_text=True)
    assert people["volunteer"].display_name in listing
    offer = db.session.query(Offer).one()
    assert offer.weekday_list == [1, 4]
    ask_url = f"/aid/offers/{offer.id}/ask"
    response = client.post(ask_url, data=_need_form(csrf_token(client, ask_url), category=""))
    assert response.status_code == 302
    asked = db.session.query(AidRequest).one()
    assert (asked.volunteer_id, asked.status, asked.category) == (
        people["volunteer"].id,
        RequestStatus.TAKEN,
        "repairs",
    )


def test_the_requesters_side_cancels_a_scheduled_request_and_its_visit_from_its_page(
    app, client, people, scene, english_pages
):
    scheduled = db.session.get(AidRequest, scene["taken"])
    approve_take(scheduled, by=people["elder"])
    db.session.commit()
    url = f"/aid/requests/{scheduled.id}"
    volunteer = app.test_client()
    login(volunteer, people["volunteer"])
    assert "Cancel this request" not in volunteer.get(url).get_data(as_text=True)
    login(client, people["family"])
    assert "Cancel this request and its visit" in client.get(url).get_data(as_text=True)
    response = client.post(url + "/cancel", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    db.session.expire_all()
    assert scheduled.status == RequestStatus.CANCELLED
    assert db.session.get(Visit, scheduled.visit_id).status == VisitStatus.CANCELLED
    page = client.get(url).get_data(as_text=True)
    assert "The request is cancelled." in page and "Cancel this request" not in page
