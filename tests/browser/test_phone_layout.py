"""Phones, for each demo login: every main-menu page (and the pages a person reaches from
them: the provider's dashboard, a canteen's page, a booking, the figures) at 360 × 740 and
at 320 px wide, in normal text and in 长辈版:

- nothing scrolls sideways at 320 px, neither the page nor a box inside it;
- no text is narrower than its first two characters (nothing one character a line: a
  button squeezed to 70 px, a name in a narrow table column);
- every text is at least 18 px (22 px in 长辈版), the charts' words too, whatever the width;
- below 600 px every table in the page is one card per row, each value with its label;
- nothing the pages ask for is missing (the favicon answered, no 404).

One browser and one page per login, resized rather than reloaded between the widths. The
same pages are checked with axe-core in test_first_screen.py and test_demo_elder_first.py,
so these loads are measured, not checked again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from community.models import User
from extensions import db
from marketplace.booking_models import Booking
from marketplace.models import Provider
from tests.browser.test_demo_elder_first import demo_street  # noqa: F401
from tests.browser.test_elder_first import MODES

pytestmark = pytest.mark.browser

WIDTHS = (360, 320)
HEIGHT = 740
LOGINS = (
    "13900000001",  # the volunteer
    "13900000002",  # the elder
    "13900000003",  # the family member
    "guihua.coord",  # the coordinator
    "canglang.admin",  # the street admin
    "haobangshou.shop",  # the housekeeping provider
    "guihua.canteen",  # the canteen
)
PROVIDER_PAGES = (
    "/provider/dashboard/",
    "/provider/dashboard/upcoming",
    "/provider/menu",
    "/provider/meals",
    "/provider/calendar",
)
STAFF_PAGES = ("/reports/figures", "/family/pending", "/provider/applications", "/subsidies/report")
CANTEEN = "桂花新村长者食堂"

# What a page does wrong on a phone, measured in the page (see the module's docstring).
MEASURE_JS = """
([minPx]) => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) problems.push(`page scrolls sideways by ${doc.scrollWidth - doc.clientWidth} px`);
  const hiddenAway = el => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility === 'hidden') return true;
      if (s.clip !== 'auto' || s.clipPath !== 'none') return true;  // visually hidden
      if (s.overflow !== 'visible' && (a.clientWidth <= 1 || a.clientHeight <= 1)) return true;
    }
    return false;
  };
  const blockOf = el => { while (el && getComputedStyle(el).display === 'inline') el = el.parentElement; return el; };
  const charWidth = (node, i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect().width; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, select, option, textarea') || hiddenAway(el)) continue;
    const visible = [];
    for (let i = 0; i < node.data.length && visible.length < 2; i++) if (node.data[i].trim()) visible.push(i);
    if (!visible.length || !charWidth(node, visible[0])) continue;
    const words = node.data.trim().slice(0, 24);
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg) size *= svg.getScreenCTM().a;  // SVG text scales with its drawing
    if (size < minPx - 0.05) problems.push(`"${words}" is ${size.toFixed(1)} px`);
    if (visible.length < 2 || svg) continue;
    const need = visible.reduce((sum, i) => sum + charWidth(node, i), 0);
    const box = blockOf(el);
    const s = getComputedStyle(box);
    const room = box.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (room + 0.5 < need) problems.push(`"${words}" has ${room.toFixed(0)} px for its first two characters (${need.toFixed(0)} px)`);
  }
  for (const el of document.querySelectorAll('body *')) {
    const s = getComputedStyle(el);
    if (['auto', 'scroll'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${el.tagName.toLowerCase()}.${el.className} scrolls sideways (${el.scrollWidth} > ${el.clientWidth} px)`);
  }
  for (const table of document.querySelectorAll('main table')) {
    if (!table.classList.contains('stack-on-narrow')) { problems.push(`a table without labelled rows: "${(table.caption || table).innerText.slice(0, 30)}"`); continue; }
    for (const cell of table.querySelectorAll(':scope > tbody > tr > td, :scope > tfoot > tr > td')) {
      if (cell.offsetParent !== null && !(cell.dataset.label || '').trim())
        problems.push(`a value without its label: "${cell.innerText.trim().slice(0, 24)}"`);
    }
  }
  return [...new Set(problems)];
}
"""


def mode_of(page) -> str:
    return "elder" if page.evaluate("document.body.classList.contains('elder-mode')") else "normal"


def switch_mode(page) -> None:
    page.evaluate("document.querySelector('details.site-menu').open = true")
    with page.expect_navigation():
        page.locator("form[action$='/elder-mode'] button").click()


def extra_pages(login: str) -> list[str]:
    """The pages beyond the menu worth a look for ``login``: their work and their bookings."""
    user = db.session.scalar(select(User).where((User.phone == login) | (User.username == login)))
    canteen = db.session.scalar(select(Provider.id).where(Provider.name == CANTEEN))
    paths = [f"/market/providers/{canteen}"]
    booking = db.session.scalar(
        select(Booking.id).where(Booking.resident_id == user.id).order_by(Booking.id).limit(1)
    )
    if booking:
        paths += [f"/bookings/{booking}", "/bookings/earlier"]
    if db.session.scalar(select(Provider.id).where(Provider.owner_id == user.id)):
        paths += PROVIDER_PAGES
    if user.is_coordinator:
        paths += STAFF_PAGES
    return paths


@pytest.mark.parametrize("login", LOGINS)
def test_every_page_fits_a_phone_in_both_modes(new_context, demo_street, login):  # noqa: F811
    extras = extra_pages(login)
    db.session.rollback()
    context = new_context(viewport={"width": WIDTHS[0], "height": HEIGHT})
    page = context.new_page()
    missing: list[str] = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    page.goto("/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("linli2026")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert "/login" not in page.url
    menu = page.eval_on_selector_all(".main-nav a[href]", "links => links.map(a => a.pathname)")
    assert len(menu) >= 8, menu
    problems: dict[str, list[str]] = {}
    for mode in ("normal", "elder") if mode_of(page) == "normal" else ("elder", "normal"):
        if mode_of(page) != mode:
            switch_mode(page)
        min_px = MODES[mode][0]
        for path in dict.fromkeys(["/", *menu, *extras]):
            page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
            response = page.goto(path)
            assert response.status == 200, f"{path}: {response.status}"
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": HEIGHT})
                found = page.evaluate(MEASURE_JS, [min_px])
                if found:
                    problems[f"{path} at {width} px ({mode})"] = found[:8]
    assert problems == {}, "\n".join(f"{where}: {found}" for where, found in problems.items())
    assert missing == [], f"asked for and not found: {missing}"
    assert page.request.get("/favicon.ico").status == 200


def test_the_checks_catch_a_squeezed_button_and_a_wide_table(new_context, demo_street):  # noqa: F811
    """The measure fails where the people met trouble: a button squeezed to 70 px, and a
    table of bare values scrolling sideways (so the test above could fail)."""
    page = new_context(viewport={"width": 320, "height": HEIGHT}).new_page()
    page.goto("/login")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend',
            '<div class="table-wrap"><table><tr>' + '<td>¥160</td>'.repeat(12) + '</tr></table></div>' +
            '<a class="button" href="#" id="squeezed">取消这个预约</a>');
          document.getElementById('squeezed').style.width = '70px';
        }"""
    )
    found = page.evaluate(MEASURE_JS, [18])
    assert any("取消这个预约" in f and "first two characters" in f for f in found), found
    assert any("scrolls sideways" in f for f in found), found
    assert any("without labelled rows" in f for f in found), found
