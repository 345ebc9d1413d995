"""The booking buttons, the step pages (a cancellation says its fee first) and the dispute desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template_string

from community.models import Role, utcnow
from extensions import db
from marketplace.booking_models import Booking
from tests.conftest import csrf_token, login
from tests.timebank.support import top_up

pytestmark = pytest.mark.usefixtures("english_pages")


def post(client, booking, action, path=None, **data):
    token = csrf_token(client, path or f"/bookings/{booking.id}/cancel")
    return client.post(f"/bookings/{booking.id}/{action}", data={"csrf_token": token, **data})


def fresh(booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


@pytest.fixture
def requested(make_booking, cleaning, elder):
    return make_booking(cleaning, elder, expires_at=utcnow() + timedelta(hours=5))


def test_provider_accepts_with_one_button(client, requested, provider_owner):
    login(client, provider_owner)
    token = csrf_token(client, f"/bookings/{requested.id}/decline")
    response = client.post(f"/bookings/{requested.id}/accept", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bookings/{requested.id}")
    assert fresh(requested).status == "accepted"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You accepted the booking." in page


def test_the_resident_cannot_accept(client, requested, elder):
    login(client, elder)
    response = post(client, requested, "accept")
    assert response.status_code == 403
    assert "Only the provider itself may do this." in response.get_data(as_text=True)
    assert fresh(requested).status == "requested"


def test_a_stranger_sees_no_booking(client, requested, make_member):
    login(client, make_member("路人"))
    assert client.get(f"/bookings/{requested.id}/cancel").status_code == 404


def test_an_unknown_action_is_not_found(client, requested, provider_owner):
    login(client, provider_owner)
    assert client.get(f"/bookings/{requested.id}/explode").status_code == 404


def test_cancel_page_says_it_is_free_then_cancels(client, requested, elder):
    login(client, elder)
    page = client.get(f"/bookings/{requested.id}/cancel").get_data(as_text=True)
    assert "Cancelling now is free." in page
    response = post(client, requested, "cancel", reason="Changed my plans")
    assert response.status_code == 302
    assert fresh(requested).status == "cancelled"


def test_cancel_page_names_the_late_fee(client, make_booking, cleaning, elder):
    top_up(elder, 300)
    booking = make_booking(
        cleaning,
        elder,
        status="accepted",
        payment_method="hours",
        starts_at=utcnow() + timedelta(hours=5),
    )
    login(client, elder)
    page = client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "Cancelling now costs a fee." in page
    assert "20% of the price" in page


def test_dispute_needs_a_reason(client, make_booking, cleaning, elder):
    booking = make_booking(
        cleaning,
        elder,
        status="accepted",
        starts_at=utcnow() - timedelta(hours=3),
        delivered_at=utcnow() - timedelta(hours=1),
    )
    login(client, elder)
    response = post(client, booking, "dispute", path=f"/bookings/{booking.id}/dispute", reason="")
    assert response.status_code == 400
    assert "Please say what went wrong." in response.get_data(as_text=True)
    response = post(client, booking, "dispute", reason="Nobody cleaned the kitchen")
    assert response.status_code == 302
    assert fresh(booking).status == "disputed"


def test_the_dispute_desk_and_a_refund(client, make_booking, cleaning, elder, coordinator):
    booking = make_booking(
        cleaning,
        elder,
        status="disputed",
        starts_at=utcnow() - timedelta(days=2),
        delivered_at=utcnow() - timedelta(days=2),
    )
    booking.dispute_reason = "Broke a vase"
    login(client, coordinator)
    desk = client.get("/bookings/disputes").get_data(as_text=True)
    assert "Broke a vase" in desk
    token = csrf_token(client, f"/bookings/disputes/{booking.id}")
    too_much = client.post(
        f"/bookings/disputes/{booking.id}",
        data={"csrf_token": token, "outcome": "refund", "refund_yuan": "80.01", "note": "x"},
    )
    assert too_much.status_code == 400
    assert "at most what was paid" in too_much.get_data(as_text=True)
    done = client.post(
        f"/bookings/disputes/{booking.id}",
        data={"csrf_token": token, "outcome": "refund", "refund_yuan": "30", "note": "Vase"},
    )
    assert done.status_code == 302
    assert (fresh(booking).status, fresh(booking).refunded_fen) == ("refunded", 3000)


def test_members_have_no_dispute_desk(client, elder):
    login(client, elder)
    assert client.get("/bookings/disputes").status_code == 403


def test_the_resolve_page_is_for_overseeing_coordinators(client, make_booking, cleaning, elder):
    booking = make_booking(cleaning, elder, status="disputed")
    login(client, elder)
    assert client.get(f"/bookings/disputes/{booking.id}").status_code == 403


def test_the_macro_draws_only_the_allowed_buttons(app, requested, provider_owner, elder):
    template = (
        '{% from "marketplace/bookings/_actions.html" import booking_actions %}'
        "{{ booking_actions(booking, booking_actions_for(booking, user)) }}"
    )
    with app.test_request_context():
        for_provider = render_template_string(template, booking=requested, user=provider_owner)
        for_resident = render_template_string(template, booking=requested, user=elder)
    assert f"/bookings/{requested.id}/accept" in for_provider
    assert f"/bookings/{requested.id}/decline" in for_provider
    assert f"/bookings/{requested.id}/accept" not in for_resident
    assert f"/bookings/{requested.id}/cancel" in for_resident
    assert "dispute" not in for_resident


def test_a_coordinator_of_the_community_may_cancel_for_the_elder(
    client, requested, make_member, elder
):
    coordinator = make_member("社工", role=Role.COORDINATOR)
    login(client, coordinator)
    assert post(client, requested, "cancel").status_code == 302
    event = fresh(requested).events[-1]
    assert (event.actor_id, event.on_behalf_of_id) == (coordinator.id, elder.id)


def test_the_confirm_page_says_what_is_paid(client, make_booking, cleaning, elder):
    top_up(elder, 300)
    booking = make_booking(
        cleaning,
        elder,
        status="accepted",
        payment_method="hours",
        starts_at=utcnow() - timedelta(hours=3),
        delivered_at=utcnow() - timedelta(hours=1),
    )
    login(client, elder)
    page = client.get(f"/bookings/{booking.id}/confirm").get_data(as_text=True)
    assert "of time-bank hours now." in page
    assert post(client, booking, "confirm").status_code == 302
    assert fresh(booking).status == "completed"
