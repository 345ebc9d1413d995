"""Every page of the main menu, for a volunteer and for a coordinator, elder-first in a
real browser: axe-core, big text and big targets in both modes."""

from __future__ import annotations

import pytest
from flask import url_for

from tests.browser.support import assert_accessible, commit_for_server, sign_in, toggle_elder_mode
from tests.browser.test_elder_first import MODES, assert_elder_first

pytestmark = pytest.mark.browser

MEMBER_PAGES = (
    "timebank.home",
    "timebank.log_visit",
    "timebank.confirmations",
    "timebank.statement",
    "timebank.gift",
    "timebank.donate",
    "aid.my_requests",
    "aid.open_list",
    "visits.rounds",
    "plans.my_plans",
    "family.my_family",
    "inbox.index",
)
COORDINATOR_PAGES = (
    "desk.index",
    "community.members",
    "desk.disputes",
    "aid.unclaimed",
    "reports.index",
    "groups.index",
)


@pytest.mark.parametrize("mode", MODES)
def test_every_main_menu_page_is_elder_first(new_page, app, volunteer, coordinator, mode):
    with app.test_request_context():
        pages = {
            volunteer: [url_for(endpoint) for endpoint in MEMBER_PAGES],
            coordinator: [url_for(endpoint) for endpoint in COORDINATOR_PAGES],
        }
    commit_for_server()
    for user, paths in pages.items():
        page = new_page()
        sign_in(page, app, user)
        if mode == "elder":
            toggle_elder_mode(page)
        for path in paths:
            page.goto(path)
            assert_accessible(page)
            assert_elder_first(page, mode)
