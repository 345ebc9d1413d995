"""The booking pages: the form, who may see a booking, CSRF, replays and bad input."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from community.models import utcnow
from community.services import link_family
from extensions import db
from marketplace.booking_models import Booking, BookingStatus
from marketplace.clock import to_utc
from marketplace.models import ProviderStatus, WeeklySlot

from ..conftest import csrf_token, login
from .booking_support import add_booking, key

pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture
def morning(provider, day) -> int:
    return db.session.scalar(
        select(WeeklySlot.id).where(
            WeeklySlot.provider_id == provider.id,
            WeeklySlot.weekday == day.weekday(),
            WeeklySlot.starts_at == time(9),
        )
    )


def new_url(item, day, **extra) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"item": item.id, "day": day, **extra}.items())
    return f"/bookings/new?{query}"


def form_data(client, item, day, slot_id, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, new_url(item, day)),
        "slot": slot_id,
        "quantity": 1,
        "for_member": "",
        "payment_method": "on_site",
        "expected_price_fen": item.price_fen,
        "expected_price_minutes": item.price_minutes or "",
        "idempotency_key": key(),
        "address": "3号楼201",
    }
    data.update(overrides)
    return data


def bookings_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def test_signing_in_is_needed(client, cleaning, day):
    db.session.commit()
    response = client.get(new_url(cleaning, day))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_form_shows_times_places_days_and_ways_to_pay(client, elder, cleaning, day):
    add_booking(cleaning, to_utc(day, time(14)), quantity=3)
    login(client, elder)
    page = client.get(new_url(cleaning, day)).get_data(as_text=True)
    assert "日常保洁" in page and "¥80" in page
    assert "3 places left" in page
    # the full afternoon is shown but cannot be chosen
    afternoon = re.search(r'<input type="radio" name="slot"[^>]*>\s*<label[^>]*>14:00', page)
    assert afternoon and "disabled" in afternoon.group(0)
    assert "full" in page
    assert page.count('data-testid="day-links"') == 1
    assert f'day={day.isoformat()}"' in page and 'aria-current="date"' in page
    assert 'value="on_site"' in page and 'value="hours"' in page
    assert 'value="card"' not in page  # no Stripe keys: card is not offered
    assert 'name="idempotency_key"' in page and 'name="expected_price_fen" type="hidden"' in page


def test_card_is_offered_when_enabled(app, client, elder, cleaning, day):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_123"
    login(client, elder)
    assert 'value="card"' in client.get(new_url(cleaning, day)).get_data(as_text=True)


def test_an_unverified_providers_item_is_not_found(client, elder, provider, cleaning, day):
    provider.status = ProviderStatus.APPLIED
    login(client, elder)
    assert client.get(new_url(cleaning, day)).status_code == 404


def test_booking_redirects_to_its_page(client, elder, cleaning, day, morning):
    login(client, elder)
    response = client.post(new_url(cleaning, day), data=form_data(client, cleaning, day, morning))
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = db.session.scalar(select(Booking))
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
    assert booking.resident_id == elder.id and booking.status == BookingStatus.REQUESTED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Booked." in page and "Waiting for the provider" in page


def test_a_card_booking_goes_to_payment(app, client, elder, cleaning, day, morning):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_123"
    login(client, elder)
    data = form_data(client, cleaning, day, morning, payment_method="card")
    response = client.post(new_url(cleaning, day), data=data)
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert booking.status == BookingStatus.PENDING_PAYMENT
    expected = "/pay/" if "card.pay" in app.view_functions else "/bookings/"
    assert response.headers["Location"].endswith(f"{expected}{booking.id}")


def test_without_csrf_nothing_is_booked(client, elder, cleaning, day, morning):
    login(client, elder)
    data = form_data(client, cleaning, day, morning)
    del data["csrf_token"]
    response = client.post(new_url(cleaning, day), data=data)
    assert response.status_code == 400
    assert bookings_count() == 0


def test_a_replayed_form_books_once(client, elder, cleaning, day, morning):
    login(client, elder)
    data = form_data(client, cleaning, day, morning)
    assert client.post(new_url(cleaning, day), data=data).status_code == 302
    again = client.post(new_url(cleaning, day), data=data)
    assert again.status_code == 409
    assert "already made" in again.get_data(as_text=True)
    assert bookings_count() == 1


BAD_INPUT = {
    "no time chosen": ({"slot": ""}, 400, "Choose a time."),
    "quantity zero": ({"quantity": 0}, 400, "Book between 1 and 10 at a time."),
    "quantity not a number": ({"quantity": "many"}, 400, ""),
    "price changed": ({"expected_price_fen": 7000}, 409, "The price changed"),
    "prices tampered": ({"expected_price_fen": "abc"}, 400, ""),
    "card when off": ({"payment_method": "card"}, 400, "Paying by card is not available"),
    "no such time": ({"slot": 999999}, 409, "This time is not offered"),
    "unknown member typed": ({"member": "nobody-here"}, 404, "No member found"),
    "not my family": ({"for_member": "999999"}, 404, "No member found"),
}


def test_bad_input_is_refused_with_a_message(subtests, client, elder, cleaning, day, morning):
    login(client, elder)
    for case, (overrides, status, message) in BAD_INPUT.items():
        with subtests.test(case=case):
            data = form_data(client, cleaning, day, morning, **overrides)
            response = client.post(new_url(cleaning, day), data=data)
            assert response.status_code == status
            page = response.get_data(as_text=True)
            assert message in page
            assert "<form" in page  # the form is shown again
            assert bookings_count() == 0


def test_a_full_time_says_so(client, elder, cleaning, day, morning):
    add_booking(cleaning, to_utc(day, time(9)), quantity=2)
    login(client, elder)
    data = form_data(client, cleaning, day, morning, quantity=2)
    response = client.post(new_url(cleaning, day), data=data)
    assert response.status_code == 409
    assert "Only 1 places are left" in response.get_data(as_text=True)
    assert bookings_count() == 1


def test_a_bad_day_is_refused(client, elder, cleaning):
    login(client, elder)
    assert client.get(f"/bookings/new?item={cleaning.id}&day=tomorrow").status_code == 400
    assert client.get("/bookings/new?item=abc").status_code == 404


def test_family_books_for_an_elder_from_the_list(
    client, make_member, elder, cleaning, day, morning
):
    son = make_member("儿子", age=50)
    link_family(by=elder, elder=elder, relative=son)
    login(client, son)
    page = client.get(new_url(cleaning, day)).get_data(as_text=True)
    assert elder.display_name in page
    data = form_data(client, cleaning, day, morning, for_member=str(elder.id))
    assert client.post(new_url(cleaning, day), data=data).status_code == 302
    booking = db.session.scalar(select(Booking))
    assert (booking.resident_id, booking.booked_by_id) == (elder.id, son.id)
    assert booking.events[0].on_behalf_of_id == elder.id


def test_a_coordinator_books_for_a_member_by_phone(
    client, coordinator, elder, cleaning, day, morning
):
    login(client, coordinator)
    page = client.get(new_url(cleaning, day)).get_data(as_text=True)
    assert 'name="member"' in page
    data = form_data(client, cleaning, day, morning, member=elder.phone)
    assert client.post(new_url(cleaning, day), data=data).status_code == 302
    booking = db.session.scalar(select(Booking))
    assert (booking.resident_id, booking.booked_by_id) == (elder.id, coordinator.id)


def test_a_coordinators_for_link_preselects_the_member(client, coordinator, elder, cleaning, day):
    login(client, coordinator)
    page = client.get(new_url(cleaning, day, **{"for": elder.id})).get_data(as_text=True)
    assert f"For {elder.display_name}" in page
    assert re.search(rf'<input checked[^>]*value="{elder.id}"', page) or re.search(
        rf'value="{elder.id}"[^>]*checked', page
    )


def test_a_stranger_cannot_book_for_someone(client, make_member, elder, cleaning, day, morning):
    stranger = make_member("路人", age=40)
    login(client, stranger)
    assert client.get(new_url(cleaning, day, **{"for": elder.id})).status_code == 403
    data = form_data(client, cleaning, day, morning, member=elder.phone)
    assert client.post(new_url(cleaning, day), data=data).status_code == 403
    assert bookings_count() == 0


# --- who may see a booking ----------------------------------------------------------------


@pytest.fixture
def people(make_member, make_provider, make_community, elder, coordinator, provider_owner):
    son = make_member("儿子", age=50)
    link_family(by=elder, elder=elder, relative=son)
    other_owner = make_member("别家老板", age=45)
    make_provider("别家家政", owner=other_owner)
    return {
        "resident": (elder, 200),
        "family with may_book": (son, 200),
        "provider owner": (provider_owner, 200),
        "coordinator": (coordinator, 200),
        "stranger": (make_member("路人", age=40), 404),
        "another provider": (other_owner, 404),
        "coordinator elsewhere": (
            make_member(
                "别处社工", age=40, role="coordinator", community=make_community("别处社区")
            ),
            404,
        ),
    }


def test_who_may_see_a_booking(subtests, app, people, elder, cleaning):
    booking = add_booking(cleaning, utcnow() + timedelta(days=2), resident=elder)
    for who, (user, status) in people.items():
        with subtests.test(who=who):
            client = app.test_client()
            login(client, user)
            response = client.get(f"/bookings/{booking.id}")
            assert response.status_code == status
            if status == 200:
                assert "日常保洁" in response.get_data(as_text=True)


def test_the_page_shows_the_timeline_with_who_acted_for_whom(
    client, coordinator, elder, cleaning, day, morning
):
    login(client, coordinator)
    data = form_data(client, cleaning, day, morning, member=elder.phone)
    location = client.post(new_url(cleaning, day), data=data).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "What happened" in page
    assert f"{coordinator.display_name} on behalf of {elder.display_name}" in page
    assert "9:00 AM" in page  # Shanghai time, not the stored 01:00


def test_a_completed_booking_offers_rating_within_14_days(client, elder, cleaning, make_member):
    recent = add_booking(cleaning, utcnow() - timedelta(days=3), resident=elder)
    old = add_booking(cleaning, utcnow() - timedelta(days=30), resident=elder)
    for booking, days_ago in ((recent, 2), (old, 20)):
        booking.status = BookingStatus.COMPLETED
        booking.completed_at = utcnow() - timedelta(days=days_ago)
    login(client, elder)
    has_reviews = "reviews.new" in client.application.view_functions
    assert ("Rate this service" in client.get(f"/bookings/{recent.id}").get_data(as_text=True)) == (
        has_reviews
    )
    assert "Rate this service" not in client.get(f"/bookings/{old.id}").get_data(as_text=True)


def test_my_bookings_lists_mine_and_those_i_made_for_family(
    client, make_member, elder, cleaning, day, morning
):
    son = make_member("儿子", age=50)
    link_family(by=elder, elder=elder, relative=son)
    login(client, son)
    data = form_data(client, cleaning, day, morning, for_member=str(elder.id), note="")
    client.post(new_url(cleaning, day), data=data)
    past = add_booking(cleaning, utcnow() - timedelta(days=5), resident=son)
    past.title = "上周的保洁"
    someone_else = add_booking(cleaning, utcnow() + timedelta(days=1), resident=make_member())
    someone_else.title = "别人的保洁"
    db.session.commit()
    page = client.get("/bookings/").get_data(as_text=True)
    assert f"For {elder.display_name}" in page
    assert page.index("Coming up") < page.index("日常保洁") < page.index("Earlier or cancelled")
    assert page.index("Earlier") < page.index("上周的保洁")
    assert "别人的保洁" not in page


def test_the_page_shows_the_buttons_the_viewer_may_press(client, provider_owner, elder, cleaning):
    booking = add_booking(cleaning, utcnow() + timedelta(days=2), resident=elder)
    login(client, provider_owner)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-testid="booking-actions"' in page
    assert f'/bookings/{booking.id}/accept"' in page


def test_the_form_shows_the_subsidy_and_what_remains(
    client, community, coordinator, elder, lunch, make_meal_menu, day
):
    from marketplace.subsidies import create_rule

    make_meal_menu(lunch, day, offers_delivery=True)
    create_rule(
        community,
        name="八十岁以上助餐",
        category="meals",
        min_age=80,
        fen_per_unit=500,
        monthly_budget_fen=10000,
        by=coordinator,
    )
    login(client, elder)
    page = client.get(new_url(lunch, day)).get_data(as_text=True)
    assert "Community subsidy: ¥5" in page and "You pay: ¥10" in page
    assert 'id="fulfilment-pickup"' in page and 'id="fulfilment-delivery"' in page
    assert 'value="hours"' not in page  # the lunch has no price in hours


def test_paying_in_hours_from_the_form_holds_the_hours(client, elder, cleaning, day, morning):
    from timebank.models import Hold

    from ..timebank.support import top_up

    top_up(elder, 300)
    login(client, elder)
    data = form_data(client, cleaning, day, morning, payment_method="hours")
    assert client.post(new_url(cleaning, day), data=data).status_code == 302
    booking = db.session.scalar(select(Booking))
    assert db.session.get(Hold, booking.hold_id).amount_minutes == 120
