"""The 物业+服务站 pages: the street admin links on the organisation's page, residents see
the link on a repair and on the provider's page, and pay a repair online; a refused step
says why with a 4xx, writes nothing, and nothing gets a 5xx."""

from __future__ import annotations

import urllib.parse

import pytest
from sqlalchemy import func, select

from extensions import db
from marketplace.booking_models import Booking
from property_services.models import RepairBooking, ServiceStation
from tests.civic.repair_support import make_property
from tests.conftest import csrf_token, login
from tests.test_simultaneous_submits import post_at_once
from tests.timebank.support import top_up

from .support import PRICE_FEN, hourly_item, link, priced_repair, street_admin_of

pytestmark = pytest.mark.views


@pytest.fixture
def place(elder, make_member):
    return make_property(elder, make_member)


@pytest.fixture
def admin(make_member, elder):
    return street_admin_of(make_member, elder)


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    token = csrf_token(client, "/civic/repairs/")
    client.post("/language", data={"locale": "en", "csrf_token": token})
    return client, token


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_the_admin_links_and_residents_see_it_both_ways(
    app, english_pages, place, provider, make_item, admin, elder
):
    hourly_item(provider, make_item)
    db.session.commit()
    client, token = _signed_in(app, admin)
    page = client.get(f"/civic/organisations/{place.company.id}").get_data(as_text=True)
    assert "Link to this provider" in page and provider.name in page
    linked = client.post(
        f"/civic/organisations/{place.company.id}/service-station",
        data={"provider": str(provider.id), "csrf_token": token},
    )
    assert linked.status_code == 302
    page = client.get(f"/civic/organisations/{place.company.id}").get_data(as_text=True)
    assert f"Also a service provider in the market: {provider.name}" in page

    again = client.post(
        f"/civic/organisations/{place.company.id}/service-station",
        data={"provider": str(provider.id), "csrf_token": token},
    )
    assert again.status_code == 409 and "already" in again.get_data(as_text=True)

    shown = client.get(f"/market/providers/{provider.id}").get_data(as_text=True)
    assert (
        f"The service station of {place.company.name}, the property service (物业) of "
        f"{place.compound.name}." in shown
    )

    repair = priced_repair(place, elder)
    db.session.commit()
    resident, _ = _signed_in(app, elder)
    page = resident.get(f"/civic/repairs/{repair.id}").get_data(as_text=True)
    assert f'href="/market/providers/{provider.id}"' in page
    assert "Pay ¥120.00 online" in page


@pytest.mark.parametrize(
    "provider_id", ["", "abc", "0", str(2**31), str(2**63), "1\x00", "9" * 5000]
)
def test_bad_provider_ids_are_refused_with_nothing_written(
    app, english_pages, place, provider, admin, provider_id
):
    db.session.commit()
    client, token = _signed_in(app, admin)
    answer = client.post(
        f"/civic/organisations/{place.company.id}/service-station",
        data={"provider": provider_id, "csrf_token": token},
    )
    assert 400 <= answer.status_code < 500
    assert _count(ServiceStation) == 0


def test_the_coordinator_may_not_link(app, english_pages, place, provider, coordinator):
    db.session.commit()
    client, token = _signed_in(app, coordinator)
    answer = client.post(
        f"/civic/organisations/{place.company.id}/service-station",
        data={"provider": str(provider.id), "csrf_token": token},
    )
    assert answer.status_code == 403
    assert "Only the street office" in answer.get_data(as_text=True)
    assert _count(ServiceStation) == 0


def test_the_resident_pays_by_hours_and_sees_it_paid(
    app, english_pages, place, provider, make_item, admin, elder
):
    hourly_item(provider, make_item)
    link(place, provider, admin)
    top_up(elder, 300)
    repair = priced_repair(place, elder)
    db.session.commit()
    client, token = _signed_in(app, elder)
    page = client.get(f"/civic/repairs/{repair.id}").get_data(as_text=True)
    key = page.split('name="idempotency_key"')[1].split('value="')[1].split('"')[0]
    answer = client.post(
        f"/civic/repairs/{repair.id}/pay-online",
        data={
            "payment_method": "hours",
            "price_fen": str(PRICE_FEN),
            "idempotency_key": key,
            "csrf_token": token,
        },
    )
    assert answer.status_code == 302
    page = client.get(f"/civic/repairs/{repair.id}").get_data(as_text=True)
    assert "Paid online" in page and "Do not pay the worker again on site." in page
    assert "pay-online-button" not in page

    twice = client.post(
        f"/civic/repairs/{repair.id}/pay-online",
        data={
            "payment_method": "hours",
            "price_fen": str(PRICE_FEN),
            "idempotency_key": "another",
            "csrf_token": token,
        },
    )
    assert twice.status_code == 409 and "paid online already" in twice.get_data(as_text=True)
    assert (_count(Booking), _count(RepairBooking)) == (1, 1)

    booking_id = db.session.scalar(select(Booking.id))
    booking_page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert (
        f'href="/civic/repairs/{repair.id}"' in booking_page
        and "Back to the repair" in booking_page
    )
    owner, _ = _signed_in(app, provider.owner)  # the provider does not see the repair
    assert f"/civic/repairs/{repair.id}" not in owner.get(f"/bookings/{booking_id}").get_data(
        as_text=True
    )

    worker, _ = _signed_in(app, place.worker)
    page = worker.get(f"/civic/repairs/{repair.id}").get_data(as_text=True)
    assert "Do not take money on site." in page and 'name="paid_on_site"' not in page


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"payment_method": "hours"},
        {"payment_method": "gold", "price_fen": str(PRICE_FEN)},
        {"payment_method": "hours", "price_fen": "-5"},
        {"payment_method": "hours", "price_fen": str(2**63)},
        {"payment_method": "hours\x00", "price_fen": str(PRICE_FEN)},
        {"payment_method": "hours", "price_fen": str(PRICE_FEN + 1)},
        {"payment_method": "h" * 100000, "price_fen": str(PRICE_FEN)},
    ],
    ids=["empty", "no-price", "unknown-way", "negative", "huge", "nul", "other-price", "long"],
)
def test_bad_pay_forms_get_a_4xx_and_write_nothing(
    app, english_pages, place, provider, make_item, admin, elder, form
):
    hourly_item(provider, make_item)
    link(place, provider, admin)
    top_up(elder, 300)
    repair = priced_repair(place, elder)
    db.session.commit()
    client, token = _signed_in(app, elder)
    answer = client.post(
        f"/civic/repairs/{repair.id}/pay-online",
        data={"idempotency_key": "k", "csrf_token": token, **form},
    )
    assert 400 <= answer.status_code < 500, answer.status_code
    assert (_count(Booking), _count(RepairBooking)) == (0, 0)


def test_attackers_ids_get_404(app, english_pages, place, provider, admin, elder, make_member):
    link(place, provider, admin)
    repair = priced_repair(place, elder)
    stranger = make_member("路人")
    db.session.commit()
    client, token = _signed_in(app, stranger)
    for repair_id in (repair.id, 2**31, 2**31 - 1):
        answer = client.post(
            f"/civic/repairs/{repair_id}/pay-online",
            data={
                "payment_method": "hours",
                "price_fen": str(PRICE_FEN),
                "idempotency_key": "k",
                "csrf_token": token,
            },
        )
        assert answer.status_code == 404
    assert client.post(f"/civic/repairs/{2**63}/pay-online").status_code in (400, 404)
    assert _count(Booking) == 0


def test_the_pay_form_ten_times_at_once_through_the_pages(
    app, client, live_server, place, provider, make_item, admin, elder
):
    hourly_item(provider, make_item)
    link(place, provider, admin)
    top_up(elder, 2000)
    repair_id = priced_repair(place, elder).id
    login(client, elder)
    form = {
        "payment_method": "hours",
        "price_fen": str(PRICE_FEN),
        "idempotency_key": "one-form-ten-taps",
        "csrf_token": csrf_token(client, "/civic/repairs/"),
    }
    cookie = f"session={client.get_cookie('session').value}"
    # the test's own transaction must not hold the database: no row is read after this
    db.session.commit()
    answers = post_at_once(
        f"{live_server}/civic/repairs/{repair_id}/pay-online",
        urllib.parse.urlencode(form).encode(),
        cookie,
        10,
    )
    assert sorted(status for status, _ in answers) == [302] + [409] * 9
    db.session.rollback()
    assert (_count(Booking), _count(RepairBooking)) == (1, 1)
