"""Issue 13's journey in a real browser (360 px, 长辈版): an elder reports a broken stair
light with a photo; the community's coordinator hands it to the property company; the
company's manager closes it with a photo; the elder confirms it and rates it. Every
page passes axe, and the photo on the problem's page is the cleaned one."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from civic.problem_models import Problem, ProblemStatus
from extensions import db
from tests.browser.support import (
    assert_accessible,
    choose_language,
    commit_for_server,
    sign_in,
    text_in,
    toggle_elder_mode,
)
from tests.browser.test_market_journey import go, stored
from tests.civic.problem_scene import compound_in, property_company

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}}
WORDS = "3幢2单元楼道的灯坏了一个星期，晚上上下楼看不见台阶"


def _photo(path, *, gps: bool) -> str:
    exif = Image.Exif()
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 18.0, 0.0)})
    Image.new("RGB", (2400, 1800), (60, 60, 70)).save(path, "JPEG", exif=exif)
    return str(path)


def _problem() -> dict:
    def read():
        problem = db.session.query(Problem).one()
        return {
            "id": problem.id,
            "status": problem.status,
            "rating": problem.rating,
            "photos": len(problem.photos),
        }

    return stored(read)


@pytest.mark.parametrize("locale", ["zh_CN"])
def test_elder_reports_coordinator_hands_over_company_closes_elder_confirms(
    new_page, app, elder, coordinator, make_member, community, tmp_path, locale
):
    def t(message: str, **variables) -> str:
        return text_in(app, locale, message, **variables)

    place = compound_in(community, "桂花新村")
    manager = make_member("周建国", age=48)
    company = property_company(place, manager, name="沧浪物业服务有限公司")
    company_name = company.name
    commit_for_server()

    # The elder, on a phone in large text, reports the light with a photo.
    resident = new_page(**PHONE)
    resident.goto("/login")
    assert_accessible(resident)
    choose_language(resident, locale)
    sign_in(resident, app, elder, locale)
    toggle_elder_mode(resident)
    resident.goto("/problems/new")
    assert_accessible(resident)
    main = resident.locator("main")
    main.get_by_label(t("Lights"), exact=True).check()
    main.get_by_label("桂花新村", exact=True).check()
    go(resident, "main", "button", t("Next"))
    main.get_by_label(t("What is the problem?"), exact=True).fill(WORDS)
    main.get_by_label(t("Where exactly? (optional)"), exact=True).fill("2单元楼道")
    main.get_by_label(t("Soon: within a week"), exact=True).check()
    main.get_by_label(t("Photos (up to 4, optional)")).set_input_files(
        _photo(tmp_path / "light.jpg", gps=True)
    )
    go(resident, "main", "button", t("Send it to the community"))
    assert t("Your report is sent. The community will look at it and tell you.") in (
        resident.locator("body").inner_text()
    )
    reported = _problem()
    assert reported["status"] == ProblemStatus.REPORTED and reported["photos"] == 1
    shown = resident.locator("main img").first
    photo = resident.request.get(shown.get_attribute("src"))
    assert photo.ok and photo.headers["content-type"] == "image/jpeg"
    kept = Image.open(io.BytesIO(photo.body()))
    assert max(kept.size) == 1600 and dict(kept.getexif()) == {}

    # The coordinator decides: the property company, by the deadline offered.
    staff = new_page(**PHONE)
    sign_in(staff, app, coordinator, locale)
    staff.goto("/problems/work")
    assert_accessible(staff)
    go(staff, "main", "link", f"{t('Lights')} · 桂花新村 · 2单元楼道")
    go(staff, "main", "link", t("Decide on this report"))
    staff.locator("main").get_by_label(company_name, exact=True).check()
    go(staff, "main", "button", t("Accept and hand it over"))
    assert _problem()["status"] == ProblemStatus.ACCEPTED

    # The company's manager finds it on the work list and closes it with a photo.
    company_page = new_page(**PHONE)
    sign_in(company_page, app, manager, locale)
    company_page.goto("/problems/work")
    assert_accessible(company_page)
    go(company_page, "main", "link", f"{t('Lights')} · 桂花新村 · 2单元楼道")
    go(company_page, "main", "link", t("It is dealt with"))
    company_main = company_page.locator("main")
    company_main.get_by_label(t("What was done?"), exact=True).fill("换了新的声控灯")
    company_main.get_by_label(t("Photos of the work (up to 4, optional)")).set_input_files(
        _photo(tmp_path / "done.jpg", gps=False)
    )
    go(company_page, "main", "button", t("Close it: ask the reporter to confirm"))
    closed = _problem()
    assert closed["status"] == ProblemStatus.CLOSED and closed["photos"] == 2

    # The elder answers from her message: fixed, five stars.
    resident.goto("/inbox/")
    assert_accessible(resident)
    assert company_name in resident.locator("main").inner_text()
    resident.goto(f"/problems/{closed['id']}")
    assert_accessible(resident)
    go(resident, "main", "link", t("Is it fixed? Answer here"))
    main.get_by_label(t("5 stars — very well handled"), exact=True).check()
    go(resident, "main", "button", t("Yes, it is fixed"))
    assert main.get_by_test_id("problem-status").inner_text() == t("Fixed")
    done = _problem()
    assert (done["status"], done["rating"]) == (ProblemStatus.CONFIRMED, 5)
