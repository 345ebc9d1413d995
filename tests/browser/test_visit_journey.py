"""Issue 2's journey in a real browser: a volunteer logs a visit, the elder
confirms it, and the volunteer sees the hours arrive. Every page on the way
passes axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    LOCALES,
    assert_accessible,
    choose_language,
    commit_for_server,
    minutes_in,
    sign_in,
    sign_out,
    text_in,
)

pytestmark = pytest.mark.browser


def click_through(page, role: str, name: str) -> None:
    """Press a link or button in the page's main part that leads to another page; check it."""
    with page.expect_navigation():
        page.locator("main").get_by_role(role, name=name, exact=True).click()
    assert_accessible(page)


@pytest.mark.parametrize("locale", LOCALES)
def test_logged_visit_confirmed_by_elder_pays_the_volunteer(page, app, volunteer, elder, locale):
    def t(message: str, **variables) -> str:
        return text_in(app, locale, message, **variables)

    commit_for_server()
    page.goto("/login")
    assert_accessible(page)
    choose_language(page, locale)

    # The volunteer signs in with nothing yet, and logs a 90-minute visit.
    sign_in(page, app, volunteer, locale)
    balance = page.get_by_test_id("balance")
    assert balance.inner_text().strip() == minutes_in(app, locale, 0)
    click_through(page, "link", t("Log a visit"))
    page.get_by_label(t("Who did you help?"), exact=True).fill(elder.login_name)
    page.get_by_label(t("Kind of service"), exact=True).select_option(label=t("Meal help"))
    page.get_by_label(t("Or: how many minutes"), exact=True).fill("90")
    page.get_by_label(t("Note (optional)"), exact=True).fill("送午饭，聊了一会儿天")
    click_through(page, "button", t("Log the visit"))

    assert "/visits/" in page.url
    main = page.locator("main")
    assert t("Visit logged. It is waiting for confirmation.") in main.inner_text()
    assert t("Waiting for confirmation") in main.inner_text()
    assert minutes_in(app, locale, 90) in main.inner_text()
    click_through(page, "link", t("Back to my page"))
    assert balance.inner_text().strip() == minutes_in(app, locale, 0)  # pending: no hours yet
    sign_out(page, app, locale)

    # The elder signs in, finds the visit waiting on her home ("等您办的事"), and confirms it.
    sign_in(page, app, elder, locale)
    waiting = page.get_by_test_id("waiting")
    assert volunteer.display_name in waiting.inner_text()
    click_through(page, "link", t("Confirm this visit"))
    click_through(page, "button", t("Yes, confirm the visit"))
    assert t("Confirmed") in main.inner_text()
    confirmed = t(
        "Confirmed. %(time)s went to %(name)s. Thank you!",
        time=minutes_in(app, locale, 90),
        name=volunteer.display_name,
    )
    assert confirmed in main.inner_text()
    sign_out(page, app, locale)

    # The volunteer signs in again and sees the hours on their balance.
    sign_in(page, app, volunteer, locale)
    assert balance.inner_text().strip() == minutes_in(app, locale, 90)
