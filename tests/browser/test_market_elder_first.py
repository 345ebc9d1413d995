"""The market's pages for each of its users, elder-first in a real browser: axe-core,
big text and big targets in both modes (the sign-in and home pages: test_elder_first.py)."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible, commit_for_server, sign_in, toggle_elder_mode
from tests.browser.test_elder_first import MODES, assert_elder_first

pytestmark = pytest.mark.browser

PROVIDER_PAGES = (
    "catalogue.home",
    "catalogue.menu_page",
    "catalogue.meals",
    "catalogue.calendar",
    "provider_dashboard.index",
)


@pytest.fixture
def market(provider, cleaning, make_booking, elder, provider_owner, coordinator):
    """Who looks at which pages: the resident, the provider's owner and a coordinator."""
    booking = make_booking(cleaning, elder, status="accepted")
    pages = {
        elder: [
            "/market/",
            f"/market/providers/{provider.id}",
            f"/bookings/new?item={cleaning.id}",
            "/bookings/",
            f"/bookings/{booking.id}",
            f"/bookings/{booking.id}/cancel",
        ],
        provider_owner: [
            "/provider/",
            "/provider/menu",
            "/provider/meals",
            "/provider/calendar",
            "/provider/dashboard/",
        ],
        coordinator: [
            "/provider/applications",
            "/subsidies/",
            "/subsidies/report",
            "/bookings/disputes",
            "/reviews/moderation",
        ],
    }
    commit_for_server()
    return pages


@pytest.mark.parametrize("mode", MODES)
def test_every_market_page_is_elder_first(new_page, app, market, mode):
    for user, paths in market.items():
        page = new_page()
        sign_in(page, app, user)
        if mode == "elder":
            toggle_elder_mode(page)
        for path in paths:
            page.goto(path)
            assert_accessible(page)
            assert_elder_first(page, mode)
