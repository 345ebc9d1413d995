"""Issue 3's journey in a real browser: a resident finds a checked provider in the
market (looking first without signing in), signs in to book a cleaning for tomorrow and pays by card through Stripe.js
(localstripe's fake one); the provider accepts and, after the start, marks it
done; the resident confirms (the card is captured) and rates it five stars; the
review and the new rating show on the provider's page. Every page passes axe."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from community.models import utcnow
from extensions import db
from marketplace.booking_models import Booking, BookingStatus
from marketplace.card_models import CardPayment, CardStatus
from marketplace.clock import local_today
from marketplace.formatting import format_yuan
from marketplace.models import Provider
from marketplace.review_models import Review
from storage import read_only
from tests.browser.support import (
    assert_accessible,
    choose_language,
    commit_for_server,
    sign_in,
    text_in,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

REVIEW_TEXT = "阿姨很细心，厨房擦得很干净，下次还约。"


def go(page, area: str, role: str, name: str) -> None:
    """Press a link or button in ``area`` (a CSS selector) that loads a page; check it with axe."""
    with page.expect_navigation():
        page.locator(area).get_by_role(role, name=name, exact=True).click()
    assert_accessible(page)


def signed_in_page(new_page, app, user, locale: str):
    """A browser of its own for ``user``, in ``locale``, signed in (every page checked)."""
    page = new_page()
    page.goto("/login")
    assert_accessible(page)
    choose_language(page, locale)
    sign_in(page, app, user, locale)
    return page


def stored(read):
    """What ``read()`` returns from the database now, in a read-only transaction ended at once
    (an open SQLite write transaction in the test would block the live server)."""
    with read_only():
        value = read()
    db.session.rollback()
    return value


def booking_row(booking_id: int) -> dict:
    def read():
        booking = db.session.get(Booking, booking_id)
        payment = db.session.query(CardPayment).filter_by(booking_id=booking_id).one()
        return {
            "status": booking.status,
            "card_status": payment.status,
            "captured_fen": payment.captured_fen,
            "payment_intent_id": payment.payment_intent_id,
        }

    return stored(read)


def started_earlier(booking_id: int) -> None:
    """Move the booking into the past, as if its start time had come and gone."""
    booking = db.session.get(Booking, booking_id)
    length = booking.ends_at - booking.starts_at
    booking.starts_at = utcnow() - length - timedelta(minutes=30)
    booking.ends_at = booking.starts_at + length
    commit_for_server()


@pytest.mark.parametrize("locale", ["zh_CN"])
def test_resident_books_pays_by_card_provider_delivers_resident_confirms_and_rates(
    new_page,
    app,
    stripe_app,
    localstripe,
    make_member,
    make_provider,
    make_item,
    provider,
    provider_owner,
    cleaning,
    elder,
    locale,
):
    def t(message: str, **variables) -> str:
        return text_in(app, locale, message, **variables)

    # A second verified provider the search must leave out.
    other = make_provider("阳光托育中心", owner=make_member("李园长", age=38))
    make_item(other, "半日托育", category="childcare", unit="session", price_fen=6000)
    provider_id, provider_name, item_title = provider.id, provider.name, cleaning.title
    other_name, price = other.name, format_yuan(cleaning.price_fen)
    commit_for_server()
    tomorrow = (local_today() + timedelta(days=1)).isoformat()

    # The resident first looks as a visitor, from the sign-in page, and searches for cleaning.
    resident = new_page()
    resident.goto("/login")
    assert_accessible(resident)
    choose_language(resident, locale)
    go(resident, "main", "link", t("Look at the services near you without signing in"))
    main = resident.locator("main")
    main.get_by_label(t("Search"), exact=True).fill("保洁")
    main.get_by_label(t("Kind of service"), exact=True).select_option(label=t("Housekeeping"))
    go(resident, "main", "button", t("Show"))
    found = main.locator(".card-list").inner_text()
    assert provider_name in found
    assert other_name not in found
    assert t("No reviews yet") in found

    # The provider's page, then its cleaning: booking needs signing in, which comes back here.
    go(resident, "main", "link", provider_name)
    assert t("No reviews yet") in main.inner_text()
    go(resident, "main", "link", t("Book “%(title)s”", title=item_title))
    assert "/login?next=" in resident.url
    main.get_by_label(t("Phone number or username"), exact=True).fill(elder.login_name)
    main.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    go(resident, "main", "button", t("Sign in"))
    assert "/bookings/new?item=" in resident.url

    # Tomorrow at 9:00, paid by card.
    with resident.expect_navigation():
        main.locator(f"[data-testid=day-links] a[href*='day={tomorrow}']").click()
    assert_accessible(resident)
    main.get_by_label(re.compile(r"^\s*09:00–11:00")).check()
    main.get_by_label(t("Bank card"), exact=True).check()
    assert t("Total: %(total)s", total=price) in main.inner_text()
    go(resident, "main", "button", t("Book now"))

    # The card page: localstripe's fake Stripe.js mounts the card box, labelled by pay.js.
    assert re.search(r"/pay/\d+$", resident.url)
    booking_id = int(resident.url.rsplit("/", 1)[1])
    card_number = main.get_by_label(t("Card number"), exact=True)
    card_number.wait_for()
    assert_accessible(resident)
    assert t("Pay by card") in main.locator("h1").inner_text()
    assert booking_row(booking_id)["status"] == BookingStatus.PENDING_PAYMENT
    card_number.fill("4242424242424242")
    main.get_by_label(t("Month it expires (two digits)"), exact=True).fill("12")
    main.get_by_label(t("Year it expires (two digits)"), exact=True).fill("30")
    main.get_by_label(t("Security code (three digits on the back)"), exact=True).fill("123")
    main.get_by_label(t("Postcode"), exact=True).fill("215000")
    main.get_by_role("button", name=t("Pay %(amount)s", amount=price), exact=True).click()
    # Stripe.js confirms the card, then the page goes to card.done, which lands on the booking.
    resident.wait_for_url(f"**/bookings/{booking_id}")
    assert_accessible(resident)
    text = main.inner_text()
    assert t("Paid by card. The amount is held and only taken when the service is done.") in text
    assert main.get_by_test_id("booking-status").inner_text() == t("Waiting for the provider")
    paid = booking_row(booking_id)
    assert (paid["status"], paid["card_status"]) == (BookingStatus.REQUESTED, CardStatus.AUTHORISED)
    intent_path = f"/v1/payment_intents/{paid['payment_intent_id']}"
    assert localstripe.get(intent_path)["status"] == "requires_capture"

    # The provider's owner accepts from the dashboard.
    owner = signed_in_page(new_page, app, provider_owner, locale)
    owner.goto("/provider/dashboard/")
    assert_accessible(owner)
    owner_main = owner.locator("main")
    assert t("Waiting for the provider") in owner_main.inner_text()
    go(owner, "main", "link", t("Open booking %(n)s", n=booking_id))
    # accepting tells the resident to expect them: a plain page asks first (issue 10)
    go(owner, "main", "link", t("Accept this booking"))
    told = t("The resident is told that you will come at this time. Make sure someone can.")
    assert told in owner_main.inner_text()
    go(owner, "main", "button", t("Accept this booking"))
    assert t("You accepted the booking. The resident can see it now.") in owner_main.inner_text()
    assert owner_main.get_by_test_id("booking-status").inner_text() == t("Accepted")
    done_button = owner_main.get_by_role("button", name=t("The service is done"), exact=True)
    assert done_button.count() == 0  # not before the start

    # The start time passes; the provider marks the service done.
    started_earlier(booking_id)
    owner.reload()
    assert_accessible(owner)
    with owner.expect_navigation():
        done_button.click()
    assert_accessible(owner)
    assert t("Marked as done. The resident is asked to confirm.") in owner_main.inner_text()

    # The resident confirms: the booking completes and the held amount is taken.
    resident.reload()
    assert_accessible(resident)
    # marked done, the status says what comes next (not "accepted" still: issue 10)
    assert main.get_by_test_id("booking-status").inner_text() == t("Done, waiting for confirmation")
    go(resident, "main", "button", t("Yes, the service was done"))
    assert t("Thank you. The service is confirmed and paid.") in main.inner_text()
    assert main.get_by_test_id("booking-status").inner_text() == t("Completed")
    done = booking_row(booking_id)
    assert done["status"] == BookingStatus.COMPLETED
    assert (done["card_status"], done["captured_fen"]) == (CardStatus.CAPTURED, 8000)
    intent = localstripe.get(intent_path)
    assert (intent["status"], intent["amount"]) == ("succeeded", 8000)

    # Five stars with a few words; the provider's page shows them.
    go(resident, "main", "link", t("Rate this service"))
    main.get_by_label(t("5 stars — excellent"), exact=True).check()
    main.get_by_label(t("What would you tell a neighbour? (optional)"), exact=True).fill(
        REVIEW_TEXT
    )
    go(resident, "main", "button", t("Send my rating"))
    assert resident.url.endswith(f"/market/providers/{provider_id}#reviews")
    text = main.inner_text()
    assert t("Thank you. Your rating helps your neighbours choose.") in text
    assert REVIEW_TEXT in text
    assert t("%(average)s ★ (%(count)s reviews)", average="5.0", count=1) in text
    assert t("No reviews yet") not in text

    def review_and_rating():
        review = db.session.query(Review).filter_by(booking_id=booking_id).one()
        shown = db.session.get(Provider, provider_id)
        return review.stars, review.text, shown.rating_count, shown.rating_sum

    assert stored(review_and_rating) == (5, REVIEW_TEXT, 1, 5)

    # The provider sees the review and the earning on the dashboard.
    owner.goto("/provider/dashboard/")
    assert_accessible(owner)
    dashboard = owner_main.inner_text()
    assert REVIEW_TEXT in dashboard
    assert t("%(average)s ★ (%(count)s reviews)", average="5.0", count=1) in dashboard
