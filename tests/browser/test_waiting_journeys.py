"""The "等您办的事" list in a real browser, at 360 × 740 in 长辈版: a volunteer takes an elder's
request and the elder's home asks her to agree; a provider marks a booking done and the
resident's home asks her to confirm; a completed booking shows 待评价. Each person signs
in onto their own work. Every page passes axe-core; the homes are saved as screenshots
under the test's output folder (look at them)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from community.models import utcnow
from tests.browser.support import (
    assert_accessible,
    commit_for_server,
    sign_in,
    text_in,
    toggle_elder_mode,
)
from timebank.clock import local_today
from timebank.requests import Need, post_request

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}}


def screenshot(page, request, name: str) -> None:
    folder = Path(request.config.rootpath) / "test-results" / "waiting"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def phone_signed_in(new_page, app, user, *, elder_mode: bool = True):
    page = new_page(**PHONE)
    page.goto("/login")
    assert_accessible(page)
    sign_in(page, app, user)
    if elder_mode and 'class="elder-mode"' not in page.content():
        toggle_elder_mode(page)
    return page


def waiting_items(page):
    return page.locator("[data-testid=waiting] [data-testid=waiting-item]")


def test_a_volunteer_takes_a_request_and_the_elders_home_asks_her_to_agree(
    new_page, app, elder, volunteer, request
):
    def t(message: str, **variables) -> str:
        return text_in(app, "zh_CN", message, **variables)

    need = Need(category="errands", estimated_minutes=60, needed_on=local_today())
    post_request(need, requester=elder, by=elder, idempotency_key=uuid.uuid4().hex)
    commit_for_server()

    helper = phone_signed_in(new_page, app, volunteer, elder_mode=False)
    assert helper.url.endswith("/hours")  # a member lands on the time bank's home
    nearby = helper.get_by_test_id("nearby")
    with helper.expect_navigation():
        nearby.get_by_role("link", name=t("See the request of %(name)s", name="王秀英")).click()
    assert_accessible(helper)
    with helper.expect_navigation():
        helper.get_by_role("button", name=t("I can help: take this request")).click()
    assert_accessible(helper)

    home = phone_signed_in(new_page, app, elder)
    [line] = waiting_items(home).all()
    assert "李志愿想来帮您" in line.inner_text() and "请您同意" in line.inner_text()
    screenshot(home, request, "elder-asked-to-agree")
    # the waiting list starts on the first screen, right under the balance
    top = home.get_by_test_id("waiting").bounding_box()["y"]
    assert top < 740
    with home.expect_navigation():
        line.get_by_role("link", name=t("Agree to the help")).click()
    assert_accessible(home)
    assert home.url.endswith("#approve-title")
    with home.expect_navigation():
        home.get_by_role("button", name=t("Yes, schedule the visit")).click()
    assert_accessible(home)
    home.goto("/")
    assert_accessible(home)
    assert waiting_items(home).count() == 0
    assert t("Nothing is waiting for you.") in home.get_by_test_id("waiting").inner_text()


def test_a_provider_marks_a_booking_done_and_the_resident_confirms_then_rates(
    new_page, app, elder, provider_owner, cleaning, make_booking, request
):
    def t(message: str, **variables) -> str:
        return text_in(app, "zh_CN", message, **variables)

    booking = make_booking(
        cleaning, elder, status="accepted", starts_at=utcnow() - timedelta(hours=3)
    )
    booking_id = booking.id
    commit_for_server()

    shop = phone_signed_in(new_page, app, provider_owner, elder_mode=False)
    assert shop.url.endswith("/provider/dashboard/")  # a provider lands on their dashboard
    shop.goto(f"/bookings/{booking_id}")
    assert_accessible(shop)
    with shop.expect_navigation():
        shop.get_by_role("button", name=t("The service is done")).click()
    assert_accessible(shop)
    assert shop.get_by_test_id("booking-status").inner_text() == "服务已完成，待确认"

    home = phone_signed_in(new_page, app, elder)
    [line] = waiting_items(home).all()
    assert "已经做完了，请您确认" in line.inner_text()
    screenshot(home, request, "resident-asked-to-confirm")
    with home.expect_navigation():
        line.get_by_role("link", name=t("Confirm the service")).click()
    assert_accessible(home)
    assert home.get_by_test_id("booking-status").inner_text() == "服务已完成，待确认"
    history = home.locator("main table").inner_text()
    assert "服务商标记服务已完成" in history and "delivered" not in history
    with home.expect_navigation():
        home.get_by_role("button", name=t("Yes, the service was done")).click()
    assert_accessible(home)

    home.goto("/")
    assert_accessible(home)
    [line] = waiting_items(home).all()
    assert line.inner_text().startswith("待评价")
    screenshot(home, request, "resident-to-rate")
    with home.expect_navigation():
        line.get_by_role("link", name=t("Rate the service")).click()
    assert_accessible(home)
    assert f"/reviews/new/{booking_id}" in home.url
