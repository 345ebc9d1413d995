"""A repair (报修) in a real browser at 360 px, large text for the elder: she asks for a
repair of her kitchen tap, with a photo; the property manager sends 吴师傅 with an appointment; 吴师傅
finds the job first on his phone, with a button to call her, and records what he did;
she confirms it is fixed and rates it 5. Every page passes axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

from datetime import time

import pytest

from civic import repair_steps
from civic.clock import to_utc
from civic.repair_models import Repair
from extensions import db
from tests.browser.support import (
    assert_accessible,
    commit_for_server,
    horizontal_overflow,
    open_menu,
    sign_in,
    text_in,
    toggle_elder_mode,
)
from tests.civic.problem_scene import jpeg
from tests.civic.repair_support import make_property, send_for, tomorrow

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}}


def phone_page(new_page, app, user, locale: str = "zh_CN"):
    page = new_page(**PHONE)
    sign_in(page, app, user, locale)
    return page


def press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
    assert_accessible(page)


def test_elder_asks_manager_sends_wu_worker_records_elder_confirms(
    new_page, app, elder, make_member, tmp_path
):
    place = make_property(elder, make_member)
    commit_for_server()
    locale = "zh_CN"

    def t(message: str, **variables) -> str:
        return text_in(app, locale, message, **variables)

    # The elder, in large text, finds 报修 in the menu and asks.
    she = phone_page(new_page, app, elder)
    toggle_elder_mode(she)
    open_menu(she)
    with she.expect_navigation():
        she.get_by_role("link", name=t("Repairs"), exact=True).click()
    assert_accessible(she)
    with she.expect_navigation():
        she.get_by_role("link", name=t("Ask for a repair"), exact=True).click()
    assert_accessible(she)
    she.get_by_label(t("What needs repairing?"), exact=True).fill("厨房水龙头一直滴水")
    tap = tmp_path / "tap.jpg"
    tap.write_bytes(jpeg(800, 600))
    she.get_by_label(t("Photos (up to 4, optional)"), exact=True).set_input_files(tap)
    she.get_by_label(t("Which day is someone home?"), exact=True).fill(tomorrow().isoformat())
    she.get_by_label(t("Home from"), exact=True).fill("09:00")
    she.get_by_label(t("Home until"), exact=True).fill("12:00")
    press(she, t("Send my repair request"))
    assert she.get_by_test_id("repair-status").inner_text() == t("Waiting for a worker")
    repair_url = she.url

    # The manager opens it from the organisation's list and sends 吴师傅 at 10:00.
    manager = phone_page(new_page, app, place.manager)
    manager.goto("/civic/repairs/")
    assert_accessible(manager)
    with manager.expect_navigation():
        manager.get_by_test_id("organisation-work").get_by_role("link").first.click()
    assert_accessible(manager)
    photo = manager.get_by_test_id("repair-photos").get_by_role("img")
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    manager.get_by_label(t("Worker"), exact=True).select_option(label="吴师傅")
    manager.get_by_label(t("Day of the visit"), exact=True).fill(tomorrow().isoformat())
    manager.get_by_label(t("Time of the visit"), exact=True).fill("10:00")
    press(manager, t("Send the worker"))
    assert manager.get_by_test_id("repair-status").inner_text() == t("A worker is coming")

    # 吴师傅's first screen: the job, with a call button, then he records the visit.
    worker = phone_page(new_page, app, place.worker)
    worker.goto("/civic/repairs/")
    assert_accessible(worker)
    job = worker.get_by_test_id("jobs-later").get_by_test_id("repair-card")
    assert "1幢 1单元101" in job.inner_text()
    assert job.get_by_test_id("call-resident").get_attribute("href") == f"tel:{elder.phone}"
    with worker.expect_navigation():
        job.get_by_role("link", name=t("Open this job")).click()
    assert_accessible(worker)
    worker.get_by_label(t("What was done?"), exact=True).fill("换了水龙头阀芯，试过不漏了")
    press(worker, t("The work is done"))

    # She confirms and gives 5 stars.
    she.goto(repair_url)
    assert_accessible(she)
    assert "换了水龙头阀芯" in she.inner_text("main")
    she.locator("input[name='rating'][value='5']").check()
    press(she, t("Yes, it is fixed"))
    assert she.get_by_test_id("repair-status").inner_text() == t("Finished")
    assert she.get_by_test_id("repair-rating").inner_text() == t("%(n)s of 5", n=5)

    db.session.expire_all()
    repair = db.session.query(Repair).one()
    assert (repair.status, repair.rating, repair.worker_id) == ("done", 5, place.worker.id)


def test_organisation_compound_and_job_pages_fit_a_phone_in_large_text(
    new_page, app, elder, make_member, people
):
    """Every civic page of this branch, at 360 px in large text: axe finds nothing and
    nothing scrolls sideways (a worker's job with a long phone number once did)."""
    place = make_property(elder, make_member)
    repair = send_for(elder, place.home)
    repair_steps.assign(
        repair, by=place.manager, worker=place.worker, appointment_at=to_utc(tomorrow(), time(10))
    )
    commit_for_server()
    visits = [
        (
            people["street_admin"],
            ["/civic/organisations/", f"/civic/organisations/{place.company.id}"],
        ),
        (people["coordinator"], ["/civic/compounds/", f"/civic/compounds/{place.compound.id}"]),
        (place.worker, ["/civic/repairs/", f"/civic/repairs/{repair.id}"]),
        (place.manager, ["/civic/repairs/"]),
        (elder, ["/civic/repairs/new", f"/civic/repairs/{repair.id}"]),
    ]
    for person, paths in visits:
        page = phone_page(new_page, app, person)
        toggle_elder_mode(page)
        for path in paths:
            page.goto(path)
            assert_accessible(page)
            assert horizontal_overflow(page) == 0, path
