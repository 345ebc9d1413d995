"""Paying a repair online, in a real browser at 360 px, large text for the elder: 桂花物业
is also 桂花便民服务站 in the market; 吴师傅 is coming tomorrow for ¥120 outside the
property fee. The elder accepts the price, pays it online by card through Stripe.js
(localstripe's fake one), and her repair then says it is paid online, with no button to
pay it again; the company's name leads to its services page, which says whose property
service it is. Every page passes axe-core (WCAG 2.2 AA) and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from extensions import db
from marketplace.booking_models import Booking, BookingStatus
from property_services.models import RepairBooking
from storage import read_only
from tests.browser.support import (
    assert_accessible,
    commit_for_server,
    horizontal_overflow,
    sign_in,
    text_in,
    toggle_elder_mode,
)
from tests.civic.repair_support import make_property
from tests.property_services.support import (
    PRICE_FEN,
    hourly_item,
    link,
    priced_repair,
    street_admin_of,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}}


def _press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
    assert_accessible(page)


def test_elder_accepts_the_price_pays_online_by_card_and_sees_it_paid(
    new_page, app, stripe_app, localstripe, elder, make_member, provider, make_item
):
    place = make_property(elder, make_member)
    hourly_item(provider, make_item)
    link(place, provider, street_admin_of(make_member, elder))
    repair_id = priced_repair(place, elder, accepted=False).id
    provider_id, provider_name, compound = provider.id, provider.name, place.compound.name
    company = place.company.name
    commit_for_server()
    locale = "zh_CN"

    def t(message: str, **variables) -> str:
        return text_in(app, locale, message, **variables)

    she = new_page(**PHONE)
    sign_in(she, app, elder, locale)
    toggle_elder_mode(she)
    she.goto(f"/civic/repairs/{repair_id}")
    assert_accessible(she)
    assert horizontal_overflow(she) == 0
    main = she.locator("main")

    # She accepts ¥120; the repair now offers to pay it online.
    _press(she, t("Accept %(price)s", price="¥120.00"))
    assert she.get_by_test_id("pay-online").is_visible()
    assert horizontal_overflow(she) == 0
    main.get_by_label(t("Bank card"), exact=True).check()
    _press(she, t("Pay %(price)s online", price="¥120.00"))

    # The card page of the booking that pays it: localstripe's Stripe.js card box.
    card_number = main.get_by_label(t("Card number"), exact=True)
    card_number.wait_for()
    card_number.fill("4242424242424242")
    main.get_by_label(t("Month it expires (two digits)"), exact=True).fill("12")
    main.get_by_label(t("Year it expires (two digits)"), exact=True).fill("30")
    main.get_by_label(t("Security code (three digits on the back)"), exact=True).fill("123")
    main.get_by_label(t("Postcode"), exact=True).fill("215000")
    main.get_by_role("button", name=t("Pay %(amount)s", amount="¥120"), exact=True).click()
    she.wait_for_url("**/bookings/*")
    assert_accessible(she)

    # The booking's page leads back to her repair: paid online, nothing more to pay.
    with she.expect_navigation():
        she.get_by_test_id("booking-link").click()
    assert f"/civic/repairs/{repair_id}" in she.url
    assert_accessible(she)
    assert horizontal_overflow(she) == 0
    assert she.get_by_test_id("paid-online").is_visible()
    assert she.get_by_test_id("repair-paid-elsewhere").inner_text() == t("Paid online")
    assert she.get_by_test_id("pay-online").count() == 0

    # The company's name leads to its services, which say whose property service it is.
    with she.expect_navigation():
        she.get_by_test_id("organisation-services").click()
    assert_accessible(she)
    assert f"/market/providers/{provider_id}" in she.url
    assert provider_name in main.inner_text()
    note = she.get_by_test_id("provider-note").inner_text()
    assert note == t(
        "The service station of %(organisation)s, the property service (物业) of %(compounds)s.",
        organisation=company,
        compounds=compound,
    )

    with read_only():
        db.session.expire_all()
        booking = db.session.query(Booking).one()
        link_row = db.session.query(RepairBooking).one()
        assert (booking.status, booking.total_fen) == (BookingStatus.ACCEPTED, PRICE_FEN)
        assert (link_row.repair_id, link_row.booking_id) == (repair_id, booking.id)
        assert link_row.paid_at is not None and link_row.ended_at is None
        db.session.rollback()
