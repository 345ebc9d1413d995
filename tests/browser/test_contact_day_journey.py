"""A contact day in a real browser at 360 × 740: the coordinator schedules it; the elder,
in 长辈版, finds it in the menu and signs up with a topic; on the day the coordinator
records the answer and closes the record; the elder reads the answer in the printable
record. Every page passes axe-core; pages are saved under test-results/contact-day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from civic.contact_day_models import ContactDay
from extensions import db
from form_limits import local_today
from tests.browser.support import (
    assert_accessible,
    commit_for_server,
    sign_in,
    text_in,
    toggle_elder_mode,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}}


def screenshot(page, request, name: str) -> None:
    folder = Path(request.config.rootpath) / "test-results" / "contact-day"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_topic_goes_from_sign_up_to_the_printed_record(
    new_page, app, coordinator, elder, request
):
    def t(message: str, **variables) -> str:
        return text_in(app, "zh_CN", message, **variables)

    commit_for_server()
    staff = new_page(**PHONE)
    staff.goto("/login")
    sign_in(staff, app, coordinator)
    staff.goto("/civic/contact-days/")
    assert_accessible(staff)
    with staff.expect_navigation():
        staff.get_by_role("link", name=t("Schedule a contact day")).click()
    assert_accessible(staff)
    staff.get_by_label(t("Date")).fill((local_today() + timedelta(days=3)).isoformat())
    staff.get_by_label(t("Starts at")).fill("09:30")
    staff.get_by_label(t("Place")).fill("社区活动室")
    with staff.expect_navigation():
        staff.get_by_role("button", name=t("Schedule it")).click()
    assert_accessible(staff)
    assert "社区活动室" in staff.content()

    home = new_page(**PHONE)
    home.goto("/login")
    sign_in(home, app, elder)
    toggle_elder_mode(home)
    home.get_by_text(t("Main menu")).click()
    with home.expect_navigation():
        home.get_by_role("link", name=t("Contact days")).click()
    assert_accessible(home)
    screenshot(home, request, "elder-list")
    with home.expect_navigation():
        home.get_by_role("link", name=t("Sign up or see the topics")).click()
    home.get_by_label(t("What do you want to raise?")).fill("3幢楼道灯坏了")
    with home.expect_navigation():
        home.get_by_role("button", name=t("Sign up")).click()
    assert_accessible(home)
    assert t("Signed up. The topic will be heard at the contact day.") in home.content()
    screenshot(home, request, "elder-signed-up")

    # the day comes
    day = db.session.query(ContactDay).one()
    day.held_on = local_today()
    commit_for_server()
    staff.reload()
    with staff.expect_navigation():
        staff.get_by_role("link", name=t("Record what the meeting did")).click()
    assert_accessible(staff)
    staff.get_by_label(t("Answered it on the spot")).check()
    staff.get_by_label(t("The answer, or what was agreed")).fill("物业明天来换灯泡")
    with staff.expect_navigation():
        staff.get_by_role("button", name=t("Save and tell the resident")).click()
    staff.get_by_label(t("Summary of the meeting")).fill("到会 12 人")
    with staff.expect_navigation():
        staff.get_by_role("button", name=t("Close the record")).click()
    assert_accessible(staff)
    assert "物业明天来换灯泡" in staff.content()

    home.reload()
    with home.expect_navigation():
        home.get_by_role("link", name=t("Read the meeting's record")).click()
    assert_accessible(home)
    text = home.locator("main").inner_text()
    assert "3幢楼道灯坏了" in text and "物业明天来换灯泡" in text
    assert elder.display_name not in text  # residents' names show only to staff
    screenshot(home, request, "elder-record")
