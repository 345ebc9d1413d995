"""The marketplace's pages follow reach: a refusal has the right status and reveals nothing.

Community A's elder (王秀英) books a provider that also serves community B. A's
coordinator and the street admin work on that booking; B's coordinator, staff
of another street and other members get 404 (bookings) or 403 (moderating a
review), with nothing of the booking in the page: no title, provider, time or
name. Reviewers appear as 王** wherever others see them.
"""

from __future__ import annotations

import pytest

from extensions import db
from marketplace.formatting import local_time
from marketplace.moderation import hide_review
from marketplace.reviews import create_review, report_review
from tests.conftest import csrf_token, login
from tests.marketplace.test_reach import completed_booking, disputed_booking

OUTSIDERS = ["other_coordinator", "far_coordinator", "far_street_admin", "volunteer"]
STAFF = ["coordinator", "street_admin"]


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def secrets_of(booking) -> list[str]:
    """What a refusal must not show: the booking's title, provider, start time and resident."""
    return [
        booking.title,
        booking.provider.name,
        local_time(booking.starts_at),
        booking.resident.display_name,
    ]


def assert_reveals_nothing(response, booking) -> None:
    page = response.get_data(as_text=True)
    for secret in secrets_of(booking):
        assert secret not in page, secret


# --- bookings ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS + ["family_without_booking", "other_provider"])
def test_a_booking_out_of_reach_is_not_found_get_and_post(
    who, app, actors, two_sided, elder, make_booking
):
    booking = make_booking(two_sided, elder, status="accepted", subsidy=False)
    db.session.commit()
    client = signed_in(app, actors[who])
    token = csrf_token(client, "/market/")
    for response in (
        client.get(f"/bookings/{booking.id}"),
        client.get(f"/bookings/{booking.id}/cancel"),
        client.post(f"/bookings/{booking.id}/cancel", data={"csrf_token": token}),
        client.post(f"/bookings/{booking.id}/confirm", data={"csrf_token": token}),
        client.get(f"/pay/{booking.id}"),
        client.get(f"/pay/{booking.id}/done"),
    ):
        assert response.status_code == 404
        assert_reveals_nothing(response, booking)
    db.session.refresh(booking)
    assert booking.status == "accepted"


@pytest.mark.parametrize("who", STAFF + ["provider_owner", "family"])
def test_the_residents_side_and_the_provider_open_the_booking(
    who, app, actors, two_sided, elder, make_booking
):
    booking = make_booking(two_sided, elder, status="accepted", subsidy=False)
    db.session.commit()
    response = signed_in(app, actors[who]).get(f"/bookings/{booking.id}")
    assert response.status_code == 200
    assert booking.title in response.get_data(as_text=True)


def test_a_coordinator_cancels_for_their_resident_and_another_may_not(
    app, actors, two_sided, elder, make_booking
):
    booking = make_booking(two_sided, elder, status="accepted", subsidy=False)
    db.session.commit()
    outsider = signed_in(app, actors["other_coordinator"])
    refused = outsider.post(
        f"/bookings/{booking.id}/cancel", data={"csrf_token": csrf_token(outsider, "/market/")}
    )
    assert refused.status_code == 404
    theirs = signed_in(app, actors["coordinator"])
    done = theirs.post(
        f"/bookings/{booking.id}/cancel", data={"csrf_token": csrf_token(theirs, "/market/")}
    )
    assert done.status_code == 302
    db.session.refresh(booking)
    assert booking.status == "cancelled"


# --- disputes ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_coordinator", "far_coordinator", "far_street_admin"])
def test_a_dispute_out_of_reach_is_neither_shown_nor_decided(
    who, app, actors, two_sided, elder, make_booking
):
    booking = disputed_booking(make_booking, two_sided, elder)
    db.session.commit()
    client = signed_in(app, actors[who])
    desk = client.get("/bookings/disputes")
    assert desk.status_code == 200
    assert f"/bookings/disputes/{booking.id}" not in desk.get_data(as_text=True)
    assert_reveals_nothing(desk, booking)
    form = client.get(f"/bookings/disputes/{booking.id}")
    assert form.status_code == 404
    assert_reveals_nothing(form, booking)
    decided = client.post(
        f"/bookings/disputes/{booking.id}",
        data={
            "outcome": "refund",
            "refund_yuan": "80",
            "note": "退款",
            "csrf_token": csrf_token(client, "/market/"),
        },
    )
    assert decided.status_code == 404
    assert_reveals_nothing(decided, booking)
    db.session.refresh(booking)
    assert (booking.status, booking.refunded_fen) == ("disputed", 0)


@pytest.mark.parametrize("who", STAFF)
def test_the_residents_staff_decide_the_dispute(who, app, actors, two_sided, elder, make_booking):
    booking = disputed_booking(make_booking, two_sided, elder)
    db.session.commit()
    client = signed_in(app, actors[who])
    assert f"/bookings/disputes/{booking.id}" in client.get("/bookings/disputes").get_data(
        as_text=True
    )
    form = client.get(f"/bookings/disputes/{booking.id}").get_data(as_text=True)
    assert elder.phone in form  # the coordinator may call their resident
    decided = client.post(
        f"/bookings/disputes/{booking.id}",
        data={"outcome": "uphold", "note": "做完了", "csrf_token": csrf_token(client, "/market/")},
    )
    assert decided.status_code == 302
    db.session.refresh(booking)
    assert booking.status == "completed"


# --- reviews -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_strangers_post_to_a_review_page_reveals_nothing(
    who, app, actors, two_sided, elder, make_booking
):
    booking = completed_booking(make_booking, two_sided, elder)
    db.session.commit()
    client = signed_in(app, actors[who])
    token = csrf_token(client, "/market/")
    for response in (
        client.get(f"/reviews/new/{booking.id}"),
        client.post(f"/reviews/new/{booking.id}", data={"csrf_token": token}),  # empty
        client.post(f"/reviews/new/{booking.id}", data={"stars": "9", "csrf_token": token}),
        client.post(f"/reviews/new/{booking.id}", data={"stars": "1", "csrf_token": token}),
    ):
        assert response.status_code == 404
        assert_reveals_nothing(response, booking)
    assert booking.provider.rating_count == 0


@pytest.fixture
def reported(app, actors, two_sided, elder, make_booking):
    booking = completed_booking(make_booking, two_sided, elder)
    review = create_review(by=elder, booking_id=booking.id, stars=1, text="阿姨骂人很难听")
    report_review(by=actors["volunteer"], review_id=review.id, reason="辱骂")
    db.session.commit()
    return review


@pytest.mark.parametrize("who", ["other_coordinator", "far_coordinator", "far_street_admin"])
def test_moderating_a_review_out_of_reach_is_refused_and_reveals_nothing(
    who, app, actors, reported
):
    client = signed_in(app, actors[who])
    token = csrf_token(client, "/market/")
    queue = client.get("/reviews/moderation")
    assert queue.status_code == 200 and reported.text not in queue.get_data(as_text=True)
    for response in (
        client.get(f"/reviews/{reported.id}/hide"),
        client.post(f"/reviews/{reported.id}/hide", data={"reason": "x", "csrf_token": token}),
        client.post(f"/reviews/{reported.id}/keep", data={"csrf_token": token}),
        client.post(f"/reviews/{reported.id}/unhide", data={"csrf_token": token}),
    ):
        assert response.status_code == 403
        page = response.get_data(as_text=True)
        assert reported.text not in page and "两社区家政" not in page
    db.session.refresh(reported)
    assert not reported.is_hidden


def test_a_hidden_reviews_text_is_for_the_reviewers_coordinators_only(
    app, actors, reported, two_sided
):
    hide_review(by=actors["coordinator"], review_id=reported.id, reason="人身攻击")
    db.session.commit()
    page_path = f"/market/providers/{two_sided.provider_id}"
    theirs = signed_in(app, actors["coordinator"]).get(page_path).get_data(as_text=True)
    assert reported.text in theirs and f"/reviews/{reported.id}/unhide" in theirs
    for who in ("other_coordinator", "far_street_admin", "provider_owner"):
        page = signed_in(app, actors[who]).get(page_path).get_data(as_text=True)
        assert "人身攻击" in page  # the reason is public
        assert reported.text not in page and f"/reviews/{reported.id}/unhide" not in page


def test_reviewers_are_masked_on_the_provider_page_dashboard_and_csv(
    app, actors, reported, two_sided, elder
):
    for path in (f"/market/providers/{two_sided.provider_id}", "/provider/dashboard/"):
        page = signed_in(app, actors["provider_owner"]).get(path).get_data(as_text=True)
        assert reported.text in page
        assert "王**" in page and elder.display_name not in page
    csv_text = (
        signed_in(app, actors["provider_owner"])
        .get("/provider/dashboard/bookings.csv")
        .get_data(as_text=True)
    )
    assert "王**" in csv_text and elder.display_name not in csv_text


# --- phone numbers -----------------------------------------------------------------------


def test_the_provider_sees_the_residents_phone_only_while_there_is_a_service_to_give(
    app, actors, two_sided, elder, make_booking
):
    live = make_booking(two_sided, elder, status="accepted", subsidy=False)
    done = completed_booking(make_booking, two_sided, elder)
    db.session.commit()
    owner = signed_in(app, actors["provider_owner"])
    assert elder.phone in owner.get(f"/bookings/{live.id}").get_data(as_text=True)
    assert elder.phone not in owner.get(f"/bookings/{done.id}").get_data(as_text=True)
    resident = signed_in(app, elder)
    page = resident.get(f"/bookings/{done.id}").get_data(as_text=True)
    assert two_sided.provider.contact_phone in page  # the customer may call the provider
