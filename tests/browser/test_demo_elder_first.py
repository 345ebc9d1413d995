"""The demo street, page by page, in large-text mode (长辈版): every main-menu page of
each demo login and the first thing each page links to, in Chromium, checked with
axe-core and for 22 px text and 60 px targets. With the demo's data the lists have
rows, so their links and buttons are checked too."""

from __future__ import annotations

import pytest
from flask import url_for

from seed.demo import DEMO_PASSWORD
from tests.browser.support import assert_accessible, commit_for_server, toggle_elder_mode
from tests.browser.test_elder_first import assert_elder_first
from tests.browser.test_market_elder_first import PROVIDER_PAGES
from tests.browser.test_timebank_elder_first import COORDINATOR_PAGES, MEMBER_PAGES

pytestmark = pytest.mark.browser

LOGINS = {
    "13900000001": MEMBER_PAGES,  # the volunteer
    "13900000002": MEMBER_PAGES,  # the elder
    "13900000003": MEMBER_PAGES,  # the family member
    "canglang.admin": COORDINATOR_PAGES,  # the street admin
    "haobangshou.shop": PROVIDER_PAGES,  # a provider's owner
}
# Links that start something rather than show something, or are not pages.
NOT_FOLLOWED = ("/pay/", ".csv", "/logout", "/language", "/elder-mode")

FIRST_NEW_LINK_JS = """
(links, [skip, known]) => links.map(a => a.getAttribute('href'))
  .find(h => h && h.startsWith('/') && !skip.some(s => h.includes(s))
             && !known.includes(h.split('?')[0]) && !known.includes(h)) || null
"""


@pytest.fixture
def demo_street(app):
    """The demo street: this test's database is a copy of one seeded once per process
    (tests/browser/conftest.py: demo_template)."""
    commit_for_server()


def sign_in_as(page, login: str) -> None:
    page.goto("/login")
    assert_accessible(page)
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert "/login" not in page.url
    assert_accessible(page)


@pytest.mark.parametrize("login", LOGINS)
def test_the_demo_streets_pages_are_elder_first(new_page, app, demo_street, login):
    page = new_page()
    sign_in_as(page, login)
    toggle_elder_mode(page)
    with app.test_request_context():
        paths = [url_for(endpoint) for endpoint in LOGINS[login]]
    seen = set()
    for path in paths:
        page.goto(path)
        assert_accessible(page)
        assert_elder_first(page, "elder")
        seen.add(path)
        linked = page.eval_on_selector_all(
            "main a[href]", FIRST_NEW_LINK_JS, [list(NOT_FOLLOWED), [*paths, *seen]]
        )
        if linked:
            seen.add(linked)
            page.goto(linked)
            assert_accessible(page)
            assert_elder_first(page, "elder")
    assert len(seen) > len(paths)  # the demo's lists had rows to follow
