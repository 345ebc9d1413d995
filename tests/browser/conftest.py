"""Browser fixtures: the app on a live local server, Debian's Chromium driven by
Playwright (sync API), and axe-core for WCAG 2.2 AA checks.

Browser tests run on SQLite only: what they check is the page a person sees,
which does not depend on the database (the other tests cover both backends).
Chromium is /usr/bin/chromium (Debian's package); `playwright install` is never
used. Without Chromium the tests are skipped locally and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.support import unchecked_loads, watch_loads
from tests.conftest import copy_demo_photos

CALL_FAILED = pytest.StashKey[bool]()
CHROMIUM = Path(os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Note whether a test's body failed, so teardown checks do not pile on a second error."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """Overrides tests/conftest.py: a fresh migrated SQLite file, never PostgreSQL (with
    the demo street already in it for the tests that ask for ``demo_street``)."""
    path = tmp_path / "linli.sqlite3"
    if "demo_street" in request.fixturenames:
        template, photos = request.getfixturevalue("sqlite_demo_template")
        copy_demo_photos(photos, tmp_path / "photos")
    else:
        template = request.getfixturevalue("sqlite_template")
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run (skipped without it, unless CI=true)."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser: Browser, live_server: str):
    """new_context(**options) -> a fresh browser context (own cookies) on the live server."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        options.setdefault("viewport", {"width": 1024, "height": 768})
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context, request):
    """new_page(**context_options) -> a page in its own context; at teardown the
    test fails if it loaded a page it did not check with assert_accessible."""
    pages: list[Page] = []

    def make(**options) -> Page:
        context = new_context(**options)
        page = watch_loads(context.new_page(), scripts=options.get("java_script_enabled", True))
        pages.append(page)
        return page

    yield make
    unchecked = [url for page in pages for url in unchecked_loads(page)]
    if request.node.stash.get(CALL_FAILED, False):
        return
    assert not unchecked, f"pages loaded but never checked with assert_accessible: {unchecked}"


@pytest.fixture
def page(new_page) -> Page:
    """A page in its own context, JavaScript on, 1024 × 768."""
    return new_page()


# The marketplace's provider, menu item and localstripe fixtures, for the market
# journey (tests/marketplace/stripe_server.py runs localstripe on 127.0.0.1).
from tests.marketplace.conftest import (  # noqa: E402, F401
    cleaning,
    localstripe,
    make_booking,
    make_item,
    make_provider,
    provider,
    provider_owner,
    stripe_app,
)
