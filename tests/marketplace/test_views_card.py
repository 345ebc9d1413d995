"""The pay page, its way back from Stripe.js, and the webhook without a CSRF token."""

from __future__ import annotations

import pytest

from extensions import db
from marketplace import card
from marketplace.booking_models import BookingStatus
from marketplace.card_models import CardStatus
from tests.conftest import login
from tests.marketplace.stripe_server import event, signed

DECLINED_ON_CHARGE = "4000000000000341"


def client_secret_on(page) -> str:
    """The SetupIntent's client secret the page hands to Stripe.js."""
    return page.get_data(as_text=True).split('data-client-secret="')[1].split('"')[0]


@pytest.fixture
def booking(book_by_card):
    booking = book_by_card()
    db.session.commit()
    return booking


@pytest.fixture
def elder_client(client, elder, english_pages):
    login(client, elder)
    return client


def test_the_pay_page_loads_stripe_js_and_says_test_mode(elder_client, booking, localstripe):
    page = elder_client.get(f"/pay/{booking.id}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'src="{localstripe.url}/js.stripe.com/v3/"' in html
    assert "Test mode: no real money moves." in html
    assert "Pay ¥80" in html
    assert "Card payment needs JavaScript" in html
    assert 'data-client-secret="seti_' in html
    assert f'data-done-url="/pay/{booking.id}/done"' in html
    assert card.card_payment(booking).status == CardStatus.STARTED


def test_paying_and_coming_back_books_it(elder_client, booking, localstripe):
    localstripe.enter_card(client_secret_on(elder_client.get(f"/pay/{booking.id}")))

    response = elder_client.get(f"/pay/{booking.id}/done")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
    db.session.refresh(booking)
    assert booking.status == BookingStatus.REQUESTED


def test_coming_back_without_a_card_books_nothing(elder_client, booking):
    elder_client.get(f"/pay/{booking.id}")

    response = elder_client.get(f"/pay/{booking.id}/done")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/pay/{booking.id}")
    db.session.refresh(booking)
    assert booking.status == BookingStatus.PENDING_PAYMENT


def test_a_card_declined_when_charged_shows_why_and_books_nothing(
    elder_client, booking, localstripe
):
    localstripe.enter_card(
        client_secret_on(elder_client.get(f"/pay/{booking.id}")), DECLINED_ON_CHARGE
    )

    response = elder_client.get(f"/pay/{booking.id}/done")

    html = response.get_data(as_text=True)
    assert response.status_code == 402
    assert "The card was declined. Nothing was charged." in html
    assert "Your card was declined" not in html  # Stripe's own words stay out
    assert f'href="/pay/{booking.id}"' in html
    db.session.refresh(booking)
    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert card.card_payment(booking).status == CardStatus.FAILED  # the record was kept


def test_someone_else_cannot_open_the_pay_page(client, booking, make_member, english_pages):
    login(client, make_member("路人甲"))

    assert client.get(f"/pay/{booking.id}").status_code == 404
    assert client.get(f"/pay/{booking.id}/done").status_code == 404


def test_a_booking_already_paid_goes_to_its_page(elder_client, booking, localstripe, elder):
    from tests.marketplace.stripe_server import paid

    paid(booking, localstripe, elder)
    db.session.commit()

    response = elder_client.get(f"/pay/{booking.id}")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")


def test_without_stripe_keys_card_payment_is_not_offered(elder_client, booking, app):
    app.config["STRIPE_SECRET_KEY"] = None

    response = elder_client.get(f"/pay/{booking.id}")

    assert response.status_code == 409
    assert "Card payment is not offered here" in response.get_data(as_text=True)


def test_the_webhook_needs_no_csrf_token_but_a_signature(client, booking):
    body, signature = signed(event("evt_csrf", "customer.created", {"id": "cus_1"}))

    good = client.post(
        "/pay/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    unsigned = client.post(
        "/pay/stripe/webhook", data=body, headers={"Content-Type": "application/json"}
    )

    assert (good.status_code, unsigned.status_code) == (200, 400)
