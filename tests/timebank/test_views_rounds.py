"""Rounds, cards and call-backs over HTTP: the volunteer's visit from check-in to the elder's
card code, cards, call-backs and planning (who may open and do what is in
test_views_permissions)."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from community.models import utcnow
from extensions import db
from tests.conftest import csrf_token, login
from tests.timebank.support import balance, key
from timebank.card_qr import card_scan_url
from timebank.cards import active_card, issue_card
from timebank.clock import local_today
from timebank.models import RecordStatus
from timebank.scheduling import check_in, check_out, schedule_visit, to_utc
from timebank.visit_models import CardAttempt, CardCode, ConfirmationCard, Visit, VisitStatus
from timebank.visits import log_visit

pytestmark = pytest.mark.usefixtures("english_pages")


def planned(people, at=time(10, 0)) -> Visit:
    return schedule_visit(
        volunteer=people["volunteer"],
        recipient=people["elder"],
        category="meal",
        scheduled_date=local_today(),
        scheduled_time=at,
        by=people["coordinator"],
    )


def today_at(hour: int, minute: int = 0):
    return to_utc(local_today(), time(hour, minute))


# --- the volunteer's visit, end to end -------------------------------------------------------


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/rounds/")})


BOX_RE = re.compile(r"read out the number in box (\d+) of their card")


def asked_box(page: str) -> int:
    return int(BOX_RE.search(page).group(1))


def test_check_in_check_out_and_the_elders_card_post_the_hours(client, people):
    volunteer, elder = people["volunteer"], people["elder"]
    visit = planned(people)
    codes = dict(issue_card(elder, by=people["coordinator"]).codes)
    login(client, volunteer)
    page = client.get("/rounds/").get_data(as_text=True)
    assert "Check in to 王秀英" in page
    assert post(client, f"/rounds/visits/{visit.id}/check-in").status_code == 302
    page = client.get(f"/rounds/visits/{visit.id}").get_data(as_text=True)
    assert "Check out: I am leaving" in page
    response = post(client, f"/rounds/visits/{visit.id}/check-out")
    assert response.headers["Location"].endswith(f"/rounds/visits/{visit.id}/card")
    page = client.get(f"/rounds/visits/{visit.id}/card").get_data(as_text=True)
    box = asked_box(page)
    assert f"The number in box {box}" in page
    again = client.get(f"/rounds/visits/{visit.id}/card").get_data(as_text=True)
    assert asked_box(again) == box  # a reload asks for the same box
    code = codes[box]
    response = post(client, f"/rounds/visits/{visit.id}/card", code=f"{code[:3]} {code[3:]}")
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(Visit, visit.id).service_record
    assert record.status == RecordStatus.CONFIRMED and record.confirmation_method == "card"
    assert balance(volunteer) == record.minutes >= 1


def finished_just_now(people, minutes: int = 30) -> Visit:
    """Checked in now and out ``minutes`` later (no planned time: any hour of the day)."""
    visit = planned(people, at=None)
    check_in(visit, by=people["volunteer"], at=utcnow())
    return check_out(visit, by=people["volunteer"], at=utcnow() + timedelta(minutes=minutes))


def test_wrong_codes_count_across_requests_and_the_sixth_try_is_refused(client, people):
    codes = dict(issue_card(people["elder"], by=people["coordinator"]).codes)
    visit = finished_just_now(people)
    login(client, people["volunteer"])
    box = asked_box(client.get(f"/rounds/visits/{visit.id}/card").get_data(as_text=True))
    wrong = f"{(int(codes[box]) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = post(client, f"/rounds/visits/{visit.id}/card", code=wrong)
        assert response.status_code == 400
        assert f"This is not the number in box {box} of 王秀英" in response.get_data(as_text=True)
    response = post(client, f"/rounds/visits/{visit.id}/card", code=codes[box])
    assert response.status_code == 429
    assert db.session.scalar(select(func.count(CardAttempt.id))) == 6  # the refused one too
    assert balance(people["volunteer"]) == 0


def test_after_the_hour_the_card_page_says_what_to_do_instead(client, people):
    codes = dict(issue_card(people["elder"], by=people["coordinator"]).codes)
    visit = finished_just_now(people)
    visit.checked_out_at = utcnow() - timedelta(hours=1, seconds=1)  # as if an hour had passed
    login(client, people["volunteer"])
    response = client.get(f"/rounds/visits/{visit.id}/card")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "within an hour of checking out" in page and "read out" not in page
    response = post(client, f"/rounds/visits/{visit.id}/card", code=codes[1])
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(CardAttempt.id))) == 0


def test_the_card_page_without_a_card_says_so(client, people):
    visit = finished_just_now(people)
    login(client, people["volunteer"])
    page = client.get(f"/rounds/visits/{visit.id}/card").get_data(as_text=True)
    assert "王秀英 has no confirmation card in use." in page
    assert 'name="code"' not in page


def test_check_out_before_check_in_is_refused(client, people):
    visit = planned(people)
    login(client, people["volunteer"])
    response = post(client, f"/rounds/visits/{visit.id}/check-out")
    assert response.status_code == 400
    assert "Check in before checking out" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.SCHEDULED


CODE_RE = re.compile(r'code-card__box">(\d+)</span><span class="code-card__code">(\d{3}) (\d{3})<')


def test_a_card_is_shown_once_with_its_numbered_codes_and_no_code_in_its_qr(client, people):
    login(client, people["coordinator"])
    elder_id = people["elder"].id
    page = post(client, f"/rounds/cards/{elder_id}/issue").get_data(as_text=True)
    boxes = CODE_RE.findall(page)
    assert [int(box) for box, _, _ in boxes] == list(range(1, 21))
    assert "王秀英" in page and "桂花新村社区" in page
    # the QR code holds the card's scan page only (tests/timebank/test_card_qr.py), never a
    # code: a photograph of the card must confirm nothing (migration 0009's reason)
    scan_url = card_scan_url(active_card(people["elder"]))
    assert page.count("<svg") == 1 and not any(a + b in scan_url for _, a, b in boxes)
    assert "@media print" in page and "onclick" not in page
    later = client.get(f"/rounds/cards/{elder_id}").get_data(as_text=True)
    assert "A card is in use" in later and "20 boxes are left." in later
    assert not any(first + second in later for _, first, second in boxes)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ConfirmationCard.id))) == 1


def test_the_desk_tells_the_coordinator_when_a_card_runs_out(client, people):
    printed = issue_card(people["elder"], by=people["coordinator"])
    for box in db.session.scalars(select(CardCode).where(CardCode.card_id == printed.card.id)):
        if box.position > 3:
            box.asked_for_record_id = finished_just_now(people, 1).service_record_id
    login(client, people["coordinator"])
    page = client.get("/desk/").get_data(as_text=True)
    assert "Confirmation cards running out: print new ones" in page
    assert "3 boxes are left." in page
    card_page = client.get(f"/rounds/cards/{people['elder'].id}").get_data(as_text=True)
    assert "Print 王秀英 a new card soon." in card_page


def test_coordinator_confirms_by_call_back(client, people):
    record = log_visit(
        volunteer=people["volunteer"],
        recipient=people["elder"],
        category="meal",
        service_date=local_today(),
        minutes=40,
        entered_by=people["volunteer"],
        idempotency_key=key(),
    )
    login(client, people["coordinator"])
    response = post(client, f"/rounds/callback/{record.id}", note="")
    assert response.status_code == 400 and balance(people["volunteer"]) == 0
    post(client, f"/rounds/callback/{record.id}", note="Phoned at 3 pm; all well.")
    db.session.expire_all()
    assert balance(people["volunteer"]) == 40
    page = client.get(f"/visits/{record.id}").get_data(as_text=True)
    assert "Phoned at 3 pm; all well." in page


# --- planning a visit ------------------------------------------------------------------------


def plan_form(people, **changes) -> dict:
    form = {
        "volunteer": people["volunteer"].login_name,
        "recipient": people["elder"].login_name,
        "category": "meal",
        "scheduled_date": local_today().isoformat(),
        "scheduled_time": "11:00",
        "note": "",
    }
    return {**form, **changes}


@pytest.mark.parametrize(
    ("changes", "status", "planned_visits"),
    [
        ({}, 302, 1),
        ({"recipient": "#999999"}, 404, 0),
        ({"scheduled_date": "2020-01-01"}, 400, 0),
        ({"category": ""}, 400, 0),
    ],
)
def test_a_coordinator_plans_a_visit_unless_the_form_is_wrong(
    client, people, changes, status, planned_visits
):
    login(client, people["coordinator"])
    response = post(client, "/rounds/schedule", **plan_form(people, **changes))
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Visit.id))) == planned_visits


def test_a_planned_visit_shows_who_planned_it_for_whom(client, people):
    login(client, people["family"])
    response = post(client, "/rounds/schedule", **plan_form(people))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王女儿 on behalf of 王秀英" in page
