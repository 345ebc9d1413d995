"""Elder-first (适老化) pages in a real browser: axe-core WCAG 2.2 AA, big text,
big targets, 320 px wide, no JavaScript needed, read-aloud with JavaScript."""

from __future__ import annotations

import pytest

from community.models import Street
from community.services import found_community
from extensions import db
from tests.browser.support import (
    LOCALES,
    assert_accessible,
    body_font_px,
    choose_language,
    commit_for_server,
    horizontal_overflow,
    open_menu,
    sign_in,
    small_targets,
    text_in,
    toggle_elder_mode,
)

pytestmark = pytest.mark.browser

MODES = {"normal": (18, 44), "elder": (22, 60)}  # body text px, target height px
LOOK_AROUND = "Look at the services near you without signing in"


def open_sign_in_page(page, locale: str, mode: str) -> None:
    page.goto("/login")
    assert_accessible(page)
    choose_language(page, locale)
    if mode == "elder":
        toggle_elder_mode(page)


def assert_elder_first(page, mode: str) -> None:
    """The page's text and targets are as big as ``mode`` promises."""
    text_px, target_px = MODES[mode]
    assert body_font_px(page) >= text_px, f"body text on {page.url} is under {text_px} px"
    assert small_targets(page, target_px) == [], f"targets under {target_px} px on {page.url}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("locale", LOCALES)
def test_sign_in_and_home_pages_are_elder_first(page, app, volunteer, locale, mode):
    commit_for_server()
    open_sign_in_page(page, locale, mode)
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if locale == "zh_CN" else "en")
    assert_elder_first(page, mode)

    sign_in(page, app, volunteer, locale)  # checks both pages with axe

    assert page.get_by_test_id("balance").is_visible()
    assert_elder_first(page, mode)


def test_elder_mode_makes_text_and_targets_bigger(page, app, volunteer):
    commit_for_server()
    sign_in(page, app, volunteer)
    normal = body_font_px(page)
    switch = page.locator("form[action$='/elder-mode'] button")
    assert switch.get_attribute("aria-pressed") == "false"

    toggle_elder_mode(page)

    assert switch.get_attribute("aria-pressed") == "true"
    assert body_font_px(page) > normal
    open_menu(page)
    assert switch.bounding_box()["height"] >= 60
    assert page.get_by_test_id("balance").is_visible()  # still on the same page


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("locale", LOCALES)
def test_no_sideways_scrolling_at_320_px(new_page, app, volunteer, locale, mode):
    commit_for_server()
    page = new_page(viewport={"width": 320, "height": 640})
    open_sign_in_page(page, locale, mode)
    assert horizontal_overflow(page) <= 0, f"sign-in page scrolls sideways ({locale}, {mode})"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    sign_in(page, app, volunteer, locale)

    assert horizontal_overflow(page) <= 0, f"home page scrolls sideways ({locale}, {mode})"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_sign_in_works_without_javascript(new_page, app, volunteer):
    commit_for_server()
    page = new_page(java_script_enabled=False)
    page.goto("/login")
    assert_accessible(page)
    read_aloud = page.locator("#read-aloud")  # in the page, but nothing to press without JS
    assert read_aloud.count() == 1 and not read_aloud.is_visible()

    sign_in(page, app, volunteer)

    assert page.get_by_test_id("balance").is_visible()
    toggle_elder_mode(page)  # a plain form post: works without scripts too
    assert body_font_px(page) >= 22


def test_read_aloud_button_appears_with_javascript(page, app, volunteer):
    commit_for_server()
    sign_in(page, app, volunteer)
    open_menu(page)
    read_aloud = page.get_by_role("button", name=text_in(app, "zh_CN", "Read aloud"))
    assert read_aloud.is_visible()
    box = read_aloud.bounding_box()
    assert box is not None and box["height"] >= 44


@pytest.mark.parametrize("mode", MODES)
def test_a_visitors_market_pages_are_elder_first(new_page, app, street, provider, cleaning, mode):
    """Without signing in: the street to choose (there are two), then its services."""
    other = Street(name="双塔街道")
    db.session.add(other)
    db.session.flush()
    found_community(street_id=other.id, name="别处社区")
    provider_name, street_name = provider.name, street.name
    commit_for_server()
    page = new_page(viewport={"width": 320, "height": 640})
    open_sign_in_page(page, "zh_CN", mode)
    with page.expect_navigation():
        page.get_by_role("link", name=text_in(app, "zh_CN", LOOK_AROUND), exact=True).click()
    for step in ("streets", "services"):
        assert_accessible(page)
        assert_elder_first(page, mode)
        assert horizontal_overflow(page) <= 0, f"{page.url} scrolls sideways ({mode})"
        if step == "streets":
            with page.expect_navigation():
                page.locator("main").get_by_role("link", name=street_name).click()
    assert provider_name in page.locator("main").inner_text()
