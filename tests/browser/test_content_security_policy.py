"""No page breaks under the Content-Security-Policy: Chromium walks the demo street as
each demo login, following every link on every page it reaches (GET only), and
records each script, style, frame or connection the policy refused. The printed
confirmation card and the service certificate (pages with their own print styles)
are opened too. The card payment page, with localstripe's Stripe.js, is covered by
test_market_journey, which pays by card under the same policy."""

from __future__ import annotations

from collections import deque
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from community.models import Role, User
from extensions import db
from seed.demo import DEMO_PASSWORD
from storage import read_only
from tests.browser.test_demo_elder_first import demo_street  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

LOGINS = ("13900000001", "13900000002", "guihua.coord", "canglang.admin", "haobangshou.shop")
# Links that start something rather than show one (or are not pages).
NOT_FOLLOWED = ("/pay/", ".csv", "/logout", "/language", "/elder-mode", "/password/")
MAX_PAGES = 70  # per login: enough to reach every kind of page the demo has

# Every refusal the page meets, including ones made before the page's own scripts run.
RECORD_VIOLATIONS_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} refused ${e.blockedURI || 'inline'}`
                              + ` at ${e.sourceFile || ''}:${e.lineNumber || ''}`);
});
"""


def violations_on(page) -> list[str]:
    page.wait_for_load_state("load")
    return page.evaluate("window.__cspViolations || []")


def sign_in(page, login: str) -> None:
    page.goto("/login")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert "/login" not in page.url, f"{login} could not sign in"


def walk(page, start: str) -> dict[str, list[str]]:
    """Visit pages reachable from ``start`` (breadth first); the refusals on each."""
    refused: dict[str, list[str]] = {}
    queue, seen = deque([start]), {start}
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        response = page.goto(path)
        if response is None or response.status >= 400:
            continue
        found = violations_on(page)
        if found:
            refused[path] = found
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urlsplit(href)
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.netloc != urlsplit(page.url).netloc or link in seen:
                continue
            if any(skip in link for skip in NOT_FOLLOWED):
                continue
            seen.add(link)
            queue.append(link)
    return refused


@pytest.mark.parametrize("login", LOGINS)
def test_no_page_meets_a_refusal(new_context, demo_street, login):  # noqa: F811
    context = new_context(viewport={"width": 360, "height": 740})
    context.add_init_script(RECORD_VIOLATIONS_JS)
    page = context.new_page()
    sign_in(page, login)
    assert violations_on(page) == []
    refused = walk(page, "/")
    assert refused == {}, refused


def test_the_print_pages_keep_their_styles(new_context, app, demo_street):  # noqa: F811
    context = new_context(viewport={"width": 360, "height": 740})
    context.add_init_script(RECORD_VIOLATIONS_JS)
    page = context.new_page()
    sign_in(page, "guihua.coord")
    with read_only():  # a write lock held by this thread would stall the live server
        community_id = db.session.scalar(
            select(User.community_id).where(User.username == "guihua.coord")
        )
        elder_id = db.session.scalar(
            select(User.id).where(
                User.community_id == community_id,
                User.role == Role.MEMBER,
                User.phone.is_(None),
            )
        )
        db.session.rollback()
    page.goto(f"/rounds/cards/{elder_id}")
    with page.expect_navigation():
        page.locator(f"form[action$='/cards/{elder_id}/issue'] button").click()
    assert violations_on(page) == []
    # the card's inline style applied (its codes in large type, 1.6 times the text) and its
    # script ran (the print button, hidden without JavaScript, shows)
    size = page.eval_on_selector(".code-card__code", "e => getComputedStyle(e).fontSize")
    text = page.eval_on_selector("body", "e => getComputedStyle(e).fontSize")
    assert float(size.rstrip("px")) >= 1.5 * float(text.rstrip("px"))
    assert page.locator("button[data-print]").is_visible()
    page.goto("/certificate")
    assert violations_on(page) == []
