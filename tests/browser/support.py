"""What browser tests do on a page: check it with axe-core, sign in and out,
switch language and elder mode, measure text and targets — as a person would,
through labels and button names in the page's own language."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from playwright.sync_api import Page

from community.models import User
from extensions import db
from storage import read_only
from tests.conftest import PASSWORD
from timebank.formatting import format_minutes

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
LOCALES = ("zh_CN", "en")
_axe = Axe()

# Pages loaded and pages checked, per Page, so a test that forgets to check a
# page it visited fails at teardown (see unchecked_loads).
_loads: dict[int, list[str]] = {}
_checked: dict[int, int] = {}
_scripts_off: set[int] = set()

# With JavaScript disabled Chromium still evaluates Playwright's scripts, but
# never fires timers, which axe-core waits on; run them as microtasks instead.
# The page's own scripts never ran, so nothing else sees the difference.
TIMERS_AS_MICROTASKS_JS = """() => {
  window.setTimeout = (callback, _delay, ...args) => {
    Promise.resolve().then(() => callback(...args));
    return 0;
  };
  window.clearTimeout = () => {};
}"""


def watch_loads(page: Page, *, scripts: bool = True) -> Page:
    """Record every document ``page`` loads, to hold tests to checking each one."""
    _loads[id(page)] = []
    if not scripts:
        _scripts_off.add(id(page))
    page.on("load", lambda loaded: _loads[id(page)].append(loaded.url))
    return page


def unchecked_loads(page: Page) -> list[str]:
    """URLs loaded in ``page`` after its last assert_accessible (forgets the page)."""
    if not page.is_closed():
        page.wait_for_load_state()
    _scripts_off.discard(id(page))
    loads = _loads.pop(id(page), [])
    return loads[_checked.pop(id(page), 0) :]


def assert_accessible(page: Page) -> None:
    """Run axe-core (WCAG 2 A/AA, 2.1 AA, 2.2 AA) on the page; fail listing every violation."""
    page.wait_for_load_state("load")
    if id(page) in _scripts_off:
        page.evaluate(TIMERS_AS_MICROTASKS_JS)
    results = _axe.run(page, options=AXE_OPTIONS)
    _checked[id(page)] = len(_loads.get(id(page), []))
    violations = results.response["violations"]
    if violations:
        lines = [f"{len(violations)} axe violation(s) on {page.url}:"]
        for violation in violations:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                target = ", ".join(map(str, node["target"]))
                lines.append(f"    {target}: {node['failureSummary']}")
        raise AssertionError("\n".join(lines))


def text_in(app: Flask, locale: str, message: str, **variables) -> str:
    """``message`` as a person reading ``locale`` sees it on the page."""
    with app.test_request_context(), force_locale(locale):
        return _(message, **variables)


def minutes_in(app: Flask, locale: str, minutes: int) -> str:
    """An amount of time as the pages show it in ``locale`` (e.g. "1 小时 30 分")."""
    with app.test_request_context(), force_locale(locale):
        return format_minutes(minutes)


def commit_for_server() -> None:
    """Commit what the factories made so the live server (another thread) sees it.

    The objects are then reloaded and detached, so reading ``user.login_name``
    later never opens a transaction (on SQLite a write transaction held by the
    test thread would block the server's writes).
    """
    db.session.commit()
    with read_only():
        for instance in list(db.session.identity_map.values()):
            db.session.refresh(instance)
    db.session.expunge_all()
    db.session.rollback()


def open_menu(page: Page) -> None:
    """Signed in, open the header's menu (its settings and links are inside it)."""
    menu = page.locator("details.site-menu")
    if menu.count() and not menu.evaluate("menu => menu.open"):
        menu.locator("summary").click()


def choose_language(page: Page, locale: str) -> None:
    """Press the header's language button if the page is not already in ``locale``."""
    button = page.locator(f"button[name='locale'][value='{locale}']")
    if button.count():
        open_menu(page)
        with page.expect_navigation():
            button.click()
        assert_accessible(page)


def toggle_elder_mode(page: Page) -> None:
    """Press the header's large-text (长辈版) switch (a plain form post)."""
    open_menu(page)
    with page.expect_navigation():
        page.locator("form[action$='/elder-mode'] button").click()
    assert_accessible(page)


def sign_in(page: Page, app: Flask, user: User, locale: str = "zh_CN") -> None:
    """Sign in through the /login form, as a person would, checking each page with axe."""
    page.goto("/login")
    assert_accessible(page)
    page.get_by_label(text_in(app, locale, "Phone number or username")).fill(user.login_name)
    page.get_by_label(text_in(app, locale, "Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=text_in(app, locale, "Sign in"), exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)
    assert_accessible(page)


def sign_out(page: Page, app: Flask, locale: str = "zh_CN") -> None:
    """Press "Sign out" in the header's menu; lands on the sign-in page."""
    open_menu(page)
    page.get_by_role("button", name=text_in(app, locale, "Sign out"), exact=True).click()
    page.wait_for_url("**/login")
    assert_accessible(page)


def body_font_px(page: Page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


SMALL_TARGETS_JS = """
(elements, minimum) => {
  // A radio button or tick box is pressed through its label too, so the label counts.
  const box = e => (['radio', 'checkbox'].includes(e.type) && e.labels && e.labels.length
    ? e.labels[0] : e).getBoundingClientRect();
  return elements
    .filter(e => {
      const r = e.getBoundingClientRect();
      const s = getComputedStyle(e);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && e.type !== 'hidden';
    })
    .filter(e => box(e).height < minimum)
    .map(e => `${e.tagName.toLowerCase()} "${(e.innerText || e.value || e.name || '').trim()}"`
              + ` is ${box(e).height.toFixed(1)} px tall`);
}
"""
TARGETS = ", ".join(
    f"{area} {kind}"
    for area in ("header", "main")
    for kind in ("a", "button", "input", "select", "textarea", "summary")
)


def small_targets(page: Page, minimum: float) -> list[str]:
    """Visible links, buttons and fields in the header and main shorter than ``minimum`` px."""
    return page.eval_on_selector_all(TARGETS, SMALL_TARGETS_JS, minimum)


def horizontal_overflow(page: Page) -> int:
    """How many px the page is wider than the viewport (0: no sideways scrolling)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )
