"""On a 360 × 740 phone the page's own content comes first: for each demo login, on
their home and on every page of their menu, in normal text and in 长辈版, the top of
<main> is within the first 40 % of the screen. The header is one row of the name and
a menu button (and unread messages); its links open below the button."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible, open_menu, toggle_elder_mode
from tests.browser.test_demo_elder_first import demo_street, sign_in_as  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
TOP_SHARE = 0.40
LOGINS = (
    "13900000001",  # the volunteer
    "13900000002",  # the elder
    "13900000003",  # the family member
    "guihua.coord",  # the coordinator (the longest menu)
    "canglang.admin",  # the street admin
    "haobangshou.shop",  # a provider's owner
)
MAIN_TOP_JS = "document.querySelector('main').getBoundingClientRect().top + window.scrollY"


@pytest.mark.parametrize("mode", ["normal", "elder"])
@pytest.mark.parametrize("login", LOGINS)
def test_each_menu_page_starts_in_the_first_screen(new_page, demo_street, login, mode):  # noqa: F811
    page = new_page(viewport=PHONE)
    sign_in_as(page, login)
    if (mode == "elder") != page.evaluate("document.body.classList.contains('elder-mode')"):
        toggle_elder_mode(page)
    assert page.evaluate("document.body.classList.contains('elder-mode')") == (mode == "elder")
    menu = page.eval_on_selector_all(".main-nav a[href]", "links => links.map(a => a.pathname)")
    assert len(menu) >= 8, menu
    late = {}
    for path in dict.fromkeys(["/", *menu]):
        page.goto(path)
        assert_accessible(page)
        top = page.evaluate(MAIN_TOP_JS)
        if top > TOP_SHARE * PHONE["height"]:
            late[path] = round(top)
    assert late == {}, f"<main> starts below {TOP_SHARE:.0%} of the screen ({mode}): {late}"


def test_the_menu_opens_without_scripts_and_lists_the_members_work(new_page, demo_street):  # noqa: F811
    page = new_page(viewport=PHONE, java_script_enabled=False)
    sign_in_as(page, "guihua.coord")
    links = page.locator(".main-nav a")
    assert not links.first.is_visible()  # closed: the page comes first
    open_menu(page)
    assert links.first.is_visible()
    desk = page.locator(".main-nav a[href='/desk/']")
    assert desk.is_visible() and desk.bounding_box()["height"] >= 44
