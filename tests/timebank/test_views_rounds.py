"""Rounds, cards and call-backs over HTTP: the volunteer's visit from check-in to the elder's
card code, cards, call-backs and planning (who may open and do what is in
test_views_permissions)."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import func, select

from extensions import db
from tests.conftest import csrf_token, login
from tests.timebank.support import balance, key
from timebank.cards import issue_card
from timebank.clock import local_today
from timebank.models import RecordStatus
from timebank.scheduling import check_in, check_out, schedule_visit, to_utc
from timebank.visit_models import CardAttempt, ConfirmationCard, Visit, VisitStatus
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


def test_check_in_check_out_and_the_elders_card_post_the_hours(client, people):
    volunteer, elder = people["volunteer"], people["elder"]
    visit = planned(people)
    _, code = issue_card(elder, by=people["coordinator"])
    login(client, volunteer)
    page = client.get("/rounds/").get_data(as_text=True)
    assert "Check in to 王秀英" in page
    assert post(client, f"/rounds/visits/{visit.id}/check-in").status_code == 302
    page = client.get(f"/rounds/visits/{visit.id}").get_data(as_text=True)
    assert "Check out: I am leaving" in page
    response = post(client, f"/rounds/visits/{visit.id}/check-out")
    assert response.headers["Location"].endswith(f"/rounds/visits/{visit.id}/card")
    assert "type in the 6 digits" in client.get(f"/rounds/visits/{visit.id}/card").get_data(
        as_text=True
    )
    response = post(client, f"/rounds/visits/{visit.id}/card", code=code)
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(Visit, visit.id).service_record
    assert record.status == RecordStatus.CONFIRMED and record.confirmation_method == "card"
    assert balance(volunteer) == record.minutes >= 1


def test_wrong_codes_count_across_requests_and_the_sixth_try_is_refused(client, people):
    visit = planned(people)
    _, code = issue_card(people["elder"], by=people["coordinator"])
    check_in(visit, by=people["volunteer"], at=today_at(10, 0))
    check_out(visit, by=people["volunteer"], at=today_at(10, 50))
    login(client, people["volunteer"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = post(client, f"/rounds/visits/{visit.id}/card", code=wrong)
        assert response.status_code == 400
        assert "does not match" in response.get_data(as_text=True)
    response = post(client, f"/rounds/visits/{visit.id}/card", code=code)
    assert response.status_code == 429
    assert db.session.scalar(select(func.count(CardAttempt.id))) == 5
    assert balance(people["volunteer"]) == 0


def test_check_out_before_check_in_is_refused(client, people):
    visit = planned(people)
    login(client, people["volunteer"])
    response = post(client, f"/rounds/visits/{visit.id}/check-out")
    assert response.status_code == 400
    assert "Check in before checking out" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.SCHEDULED


def test_a_card_is_shown_once_with_its_code_and_qr(client, people):
    login(client, people["coordinator"])
    elder_id = people["elder"].id
    page = post(client, f"/rounds/cards/{elder_id}/issue").get_data(as_text=True)
    code = re.search(r'confirmation-card__code">(\d{6})<', page).group(1)
    assert "<svg" in page and "王秀英" in page and "桂花新村社区" in page
    assert "@media print" in page
    later = client.get(f"/rounds/cards/{elder_id}").get_data(as_text=True)
    assert "A card is in use" in later and code not in later
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ConfirmationCard.id))) == 1


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
