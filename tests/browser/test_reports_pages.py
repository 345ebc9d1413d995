"""The figures, reports and certificate pages pass axe (WCAG 2.2 AA) and fit a 320 px phone."""

from __future__ import annotations

import pytest

from community.models import Role
from tests.browser.support import (
    LOCALES,
    assert_accessible,
    choose_language,
    commit_for_server,
    horizontal_overflow,
    sign_in,
)
from tests.timebank.support import key
from timebank.clock import local_today
from timebank.visits import confirm_visit, log_visit


@pytest.fixture
def served(volunteer, elder, make_member):
    for category, minutes in (("meal", 60), ("cleaning", 90), ("escort", 45)):
        record = log_visit(
            volunteer=volunteer,
            recipient=elder,
            category=category,
            service_date=local_today(),
            minutes=minutes,
            entered_by=volunteer,
            idempotency_key=key(),
        )
        confirm_visit(record, by=elder)
    return make_member("街道管理员", age=45, role=Role.STREET_ADMIN)


@pytest.mark.parametrize("width", [320])
@pytest.mark.parametrize("locale", LOCALES)
def test_report_pages_are_accessible(new_page, app, volunteer, coordinator, served, locale, width):
    commit_for_server()
    page = new_page(viewport={"width": width, "height": 800}, java_script_enabled=False)
    page.goto("/login")
    assert_accessible(page)
    choose_language(page, locale)
    sign_in(page, app, served, locale)
    for path in ("/reports/", "/reports/figures", f"/reports/certificates/{volunteer.id}"):
        page.goto(path)
        assert_accessible(page)
        assert horizontal_overflow(page) <= 0, f"{path} scrolls sideways at {width} px"
