"""Issue 13's owners' vote in a real browser at 360 × 740: a coordinator opens a vote on
加装电梯 for one building, two owners vote on their phones (the elder in 长辈版), the
coordinator records a paper ballot for an owner without a phone, closes the vote, and
the result page shows Article 278's counts against both thresholds. axe-core checks
every page on the way."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from civic.place_models import Building, Compound, Home, HomeOwner
from extensions import db
from tests.browser.support import (
    LOCALES,
    assert_accessible,
    choose_language,
    commit_for_server,
    sign_in,
    sign_out,
    text_in,
    toggle_elder_mode,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def _building(community, owners) -> None:
    compound = Compound(community_id=community.id, name="桂花新村")
    building = Building(compound=compound, name="3幢")
    homes = [
        Home(building=building, unit=unit, area_dm2=area)
        for unit, area in (("101", 7000), ("201", 8000), ("301", 9000))
    ]
    db.session.add_all([compound, building, *homes])
    db.session.flush()
    db.session.add_all(
        HomeOwner(home_id=home.id, member_id=owner.id)
        for home, owner in zip(homes, owners, strict=True)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_an_owners_vote_on_a_lift_from_opening_to_result(
    new_page, app, coordinator, elder, volunteer, make_member, locale
):
    def t(message: str, **variables) -> str:
        return text_in(app, locale, message, **variables)

    paper_voter = make_member("钱奶奶", age=91, phone="", password=None)
    paper_voter.phone = None
    _building(coordinator.community, [elder, volunteer, paper_voter])
    commit_for_server()
    page = new_page(viewport=PHONE)
    page.goto("/login")
    assert_accessible(page)
    choose_language(page, locale)

    def go(path: str) -> None:
        page.goto(path)
        assert_accessible(page)

    def press(role: str, name: str) -> None:
        with page.expect_navigation():
            page.locator("main").get_by_role(role, name=name, exact=True).click()
        assert_accessible(page)

    # The coordinator opens the proposal: the owners of 3幢 vote, under the 3/4 rule.
    sign_in(page, app, coordinator, locale)
    go("/consultations/")
    press("link", t("Council members"))
    press("link", t("All proposals"))
    press("link", t("Open a proposal"))
    page.get_by_label(t("Title"), exact=True).fill("3幢加装电梯")
    page.get_by_label(t("What is proposed"), exact=True).fill("在3幢东侧加装一部电梯。")
    page.get_by_label(t("Where"), exact=True).select_option(label="桂花新村 3幢")
    page.get_by_label(
        t("Owners (业主) of the building or compound, counted by floor area"), exact=True
    ).check()
    page.get_by_label(t("What is decided (the rule of 《民法典》 Article 278)")).select_option(
        label=t("Rebuilding or altering the building (such as adding a lift): 3/4")
    )
    tomorrow = date.today() + timedelta(days=1)
    page.get_by_label(t("Vote opens on"), exact=True).fill(tomorrow.isoformat())
    page.get_by_label(t("Opens at (time)"), exact=True).fill("09:00")
    page.get_by_label(t("Vote closes on"), exact=True).fill(
        (tomorrow + timedelta(days=7)).isoformat()
    )
    page.get_by_label(t("Closes at (time)"), exact=True).fill("18:00")
    press("button", t("Open the proposal"))
    assert t("The proposal is open for discussion.") in page.locator("main").inner_text()
    proposal = page.url
    # the meeting agrees to vote at once
    press("button", t("Open the vote now"))
    assert t("The vote is open.") in page.locator("main").inner_text()
    sign_out(page, app, locale)

    # Two owners vote on their phones; the elder reads it in large text.
    for owner, choice, large in ((elder, "I agree", True), (volunteer, "I disagree", False)):
        sign_in(page, app, owner, locale)
        if large:
            toggle_elder_mode(page)
        go(proposal)
        page.get_by_label(t(choice), exact=True).check()
        press("button", t("Send my vote"))
        assert t("Your vote is counted.") in page.locator("main").inner_text()
        assert t("You may change it until the vote closes.") in page.locator("main").inner_text()
        if large:
            toggle_elder_mode(page)
        sign_out(page, app, locale)

    # The coordinator records 钱奶奶's paper ballot, number 1, and closes the vote.
    sign_in(page, app, coordinator, locale)
    go(proposal)
    press("link", t("Record paper ballots"))
    page.get_by_label(t("Voter"), exact=True).select_option(label="钱奶奶")
    page.get_by_label(t("Number on the paper ballot"), exact=True).fill("1")
    page.get_by_label(t("I agree"), exact=True).check()
    press("button", t("Record the paper ballot"))
    assert t("Paper ballot %(n)s is recorded for %(name)s.", n=1, name="钱奶奶") in (
        page.locator("main").inner_text()
    )
    go(proposal)
    press("button", t("Close the vote now"))

    # The result: all three owners took part; 2 of 3 agreed (< 3/4), 16000 of 24000 m².
    main = page.locator("main").inner_text()
    assert "/result" in page.url
    assert t("Result: not passed. Not enough agreed.") in main
    assert t("Floor area of the owners who voted:") in main
    assert t("at least %(share)s", share="2/3") in main
    assert t("at least %(share)s", share="3/4") in main
    assert t("%(part)s of the %(whole)s owners", part=3, whole=3) in main
    assert t("%(part)s of the %(whole)s owners who voted", part=2, whole=3) in main
    assert "66%" in main  # 16000 of 24000 dm² agreed
    assert t("%(n)s of the ballots were on paper, recorded by a coordinator.", n=1) in main
    assert "钱奶奶" in main and elder.display_name in main  # an open vote names its voters
