"""Issue 4's journey in a real browser: an elder's family member asks for help for
the elder, a volunteer takes the request, the family member approves, the
volunteer checks in and out and types in the code the elder reads out from the box
of her card the page asks for; the hours reach the volunteer's statement, are paid
from the guarantee account, and show on the coordinator's desk and figures. Every page on the way passes axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from community.services import link_family
from extensions import db
from tests.browser.support import (
    assert_accessible,
    choose_language,
    commit_for_server,
    minutes_in,
    open_menu,
    sign_in,
    text_in,
)
from timebank.cards import issue_card
from timebank.clock import local_today
from timebank.visit_models import Visit

pytestmark = pytest.mark.browser

VISIT_MINUTES = 45  # how long ago the volunteer is made to have checked in


def go(page, area: str, role: str, name: str) -> None:
    """Press a link or button in ``area`` (a CSS selector) that loads a page; check it with axe.
    The header's links are in its menu, which is opened first."""
    if area == "header":
        open_menu(page)
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


def check_in_earlier(visit_id: int, minutes: int) -> None:
    """Move the visit's check-in back, as if the volunteer had arrived ``minutes`` ago."""
    visit = db.session.get(Visit, visit_id)
    visit.checked_in_at -= timedelta(minutes=minutes)
    commit_for_server()


# Chinese only: English pages are walked by the foundation journey and the page checks.
@pytest.mark.parametrize("locale", ["zh_CN"])
def test_family_need_is_taken_visited_confirmed_by_card_and_paid(
    new_page, app, make_member, community, elder, volunteer, coordinator, locale
):
    def t(message: str, **variables) -> str:
        return text_in(app, locale, message, **variables)

    relative = make_member("王小明", age=50)
    link_family(by=elder, elder=elder, relative=relative, relation="儿子")
    codes = dict(issue_card(elder, by=coordinator).codes)
    community_name = community.name
    commit_for_server()
    today = local_today()

    # The coordinator's desk and figures before: nothing paid, nobody active.
    desk = signed_in_page(new_page, app, coordinator, locale)
    go(desk, "header", "link", t("Desk"))
    assert desk.get_by_test_id("guarantee").inner_text().strip() == minutes_in(app, locale, 0)
    go(desk, "header", "link", t("Figures and reports"))
    go(desk, "main", "link", t("Open the figures"))
    assert desk.get_by_test_id("active-volunteers").inner_text().strip() == "0"

    # The son asks for meal help for his mother, today between 11:00 and 12:30.
    family = signed_in_page(new_page, app, relative, locale)
    go(family, "header", "link", t("My family"))
    go(family, "main", "link", t("Ask for help for %(name)s", name=elder.display_name))
    main = family.locator("main")
    assert t("Ask for help for %(name)s", name=elder.display_name) in main.inner_text()
    main.get_by_label(t("What kind of help?"), exact=True).select_option(label=t("Meal help"))
    assert main.get_by_label(t("Which day"), exact=True).input_value() == today.isoformat()
    main.get_by_label(t("From (time)"), exact=True).fill("11:00")
    main.get_by_label(t("Until (time)"), exact=True).fill("12:30")
    main.get_by_label(t("About how many minutes"), exact=True).fill("60")
    main.get_by_label(t("Notes for the volunteer only (optional)"), exact=True).fill(
        "请敲门两次，老人耳背"
    )
    go(family, "main", "button", t("Post my request for help"))
    assert t("Your request is posted. Volunteers nearby can see it now.") in main.inner_text()
    assert t("Waiting for a volunteer") in main.inner_text()
    request_url = family.url

    # The volunteer finds it on the open list and takes it.
    helper = signed_in_page(new_page, app, volunteer, locale)
    go(helper, "header", "link", t("Requests for help"))
    listed = helper.locator("main .card").filter(has_text=elder.display_name)
    assert listed.count() == 1
    assert t("Meal help") in listed.inner_text()
    with helper.expect_navigation():
        listed.get_by_role("link", name=t("See this request"), exact=True).click()
    assert_accessible(helper)
    assert helper.url == request_url
    assert "请敲门两次" not in helper.locator("main").inner_text()  # private until approved
    go(helper, "main", "button", t("I can help: take this request"))
    helper_main = helper.locator("main")
    assert (
        t("You took this request. You will hear when it is approved.") in helper_main.inner_text()
    )
    assert t("Taken, waiting for approval") in helper_main.inner_text()

    # The son approves from his requests: the visit is scheduled for today at 11:00.
    go(family, "header", "link", t("Ask for help"))
    go(family, "main", "link", t("Open this request"))
    assert t("%(name)s can help. Agree?", name=volunteer.display_name) in main.inner_text()
    assert main.get_by_label(t("Day of the visit"), exact=True).input_value() == today.isoformat()
    go(family, "main", "button", t("Yes, schedule the visit"))
    assert t("Approved. The visit is scheduled.") in main.inner_text()
    assert t("Visit scheduled") in main.inner_text()

    # The volunteer's rounds: check in, (45 minutes pass), check out, type the card code.
    go(helper, "header", "link", t("My visits"))
    go(helper, "main", "button", t("Check in to %(name)s", name=elder.display_name))
    assert t("Checked in. Check out when you leave.") in helper_main.inner_text()
    assert t("Under way") in helper_main.inner_text()
    visit_id = int(re.search(r"/visits/(\d+)", helper.url).group(1))
    check_in_earlier(visit_id, VISIT_MINUTES)
    go(helper, "main", "button", t("Check out: I am leaving"))
    spent = minutes_in(app, locale, VISIT_MINUTES)
    assert t("Checked out: %(time)s.", time=spent) in helper_main.inner_text()
    box = int(helper_main.locator(".card-ask__box").inner_text().strip())
    helper_main.get_by_label(t("The number in box %(box)s", box=box), exact=True).fill(codes[box])
    go(helper, "main", "button", t("Confirm the visit"))
    thanks = t(
        "Confirmed with %(name)s's card. %(time)s are yours. Thank you!",
        name=elder.display_name,
        time=spent,
    )
    assert thanks in helper_main.inner_text()

    # The hours are on the volunteer's statement, paid by the community's guarantee account.
    go(helper, "header", "link", t("Statement"))
    assert helper.get_by_test_id("statement-balance").inner_text().strip() == spent
    rows = helper.locator("main tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert t("%(community)s guarantee account", community=community_name) in row
    assert t("Meal help") in row
    assert f"+{spent}" in row

    # The son sees the request done.
    family.reload()
    assert_accessible(family)
    assert t("Done") in main.inner_text()

    # The coordinator's desk shows the guarantee account paid; the figures show the hours.
    go(desk, "header", "link", t("Desk"))
    paid = minutes_in(app, locale, -VISIT_MINUTES)
    assert desk.get_by_test_id("guarantee").inner_text().strip() == paid
    go(desk, "header", "link", t("Figures and reports"))
    go(desk, "main", "link", t("Open the figures"))
    assert desk.get_by_test_id("active-volunteers").inner_text().strip() == "1"
    assert desk.get_by_test_id("elders-served").inner_text().strip() == "1"
    monthly = desk.get_by_test_id("monthly-table").inner_text()
    assert spent in monthly
