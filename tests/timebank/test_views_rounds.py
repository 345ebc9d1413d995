"""Rounds, cards and call-backs over HTTP: who may open and do what (a table over every
route), and the volunteer's visit from check-in to the elder's card code."""

from __future__ import annotations

import re
from datetime import time

import pytest
from sqlalchemy import func, select

from community.models import Role
from community.services import link_family
from extensions import db
from tests.conftest import csrf_token, login
from tests.timebank.support import balance, key
from timebank.cards import issue_card
from timebank.clock import local_today
from timebank.models import RecordStatus
from timebank.scheduling import check_in, check_out, schedule_visit, to_utc
from timebank.visit_models import CardAttempt, ConfirmationCard, Visit, VisitStatus
from timebank.visits import log_visit

UNKNOWN = 999_999


pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture
def people(make_member, make_community, volunteer, elder, coordinator):
    """Everyone the permission table signs in as, by name."""
    other = make_community("金狮河沿社区")
    family = make_member("王建国", age=50)
    link_family(elder=elder, relative=family, by=elder, relation="son")
    return {
        "elder": elder,
        "family": family,
        "volunteer": volunteer,
        "coordinator": coordinator,
        "other_coordinator": make_member("外社工", age=41, role=Role.COORDINATOR, community=other),
        "street_admin": make_member("街道管理员", age=45, role=Role.STREET_ADMIN, community=other),
        "stranger": make_member("路人", age=35),
    }


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


@pytest.fixture
def scene(people):
    """Planned visits, one checked out (its record pending), and the elder's card."""
    volunteer = people["volunteer"]
    plain = planned(people, time(8, 0))
    finished = planned(people, time(12, 0))
    check_in(finished, by=volunteer, at=today_at(12, 0))
    check_out(finished, by=volunteer, at=today_at(12, 40))
    # checked in by the test itself when it checks out (a volunteer is in one visit at a time)
    under_way = planned(people, time(15, 0))
    issue_card(people["elder"], by=people["coordinator"])
    db.session.commit()
    return {
        "plain": plain.id,
        "under_way": under_way.id,
        "finished": finished.id,
        "record": finished.service_record_id,
        "elder": people["elder"].id,
    }


ALL = (
    "elder",
    "family",
    "volunteer",
    "coordinator",
    "other_coordinator",
    "street_admin",
    "stranger",
)
COORDINATORS = {"coordinator", "street_admin"}


def expect(ok: set[str], ok_status: int, others: int = 403) -> dict[str, int]:
    return {who: ok_status if who in ok else others for who in ALL}


VIEWERS = {"elder", "family", "volunteer"} | COORDINATORS
DOERS = {"volunteer"} | COORDINATORS
ARRANGERS = {"elder", "family", "volunteer"} | COORDINATORS
# (method, path, form data, {who: status})
ROUTES = [
    ("GET", "/rounds/", {}, expect(set(ALL), 200)),
    ("GET", "/rounds/schedule", {}, expect(set(ALL), 200)),
    ("GET", "/rounds/visits/{plain}", {}, expect(VIEWERS, 200)),
    ("POST", "/rounds/visits/{plain}/check-in", {}, expect(DOERS, 302)),
    ("POST", "/rounds/visits/{under_way}/check-out", {}, expect(DOERS, 302)),
    ("POST", "/rounds/visits/{plain}/skip", {}, expect(ARRANGERS, 302)),
    ("POST", "/rounds/visits/{plain}/cancel", {}, expect(ARRANGERS, 302)),
    ("GET", "/rounds/visits/{finished}/card", {}, expect({"volunteer"}, 200)),
    # a wrong code from the visit's volunteer counts and answers 400
    ("POST", "/rounds/visits/{finished}/card", {"code": "000000"}, expect({"volunteer"}, 400)),
    ("GET", "/rounds/visits/{plain}/record", {}, expect(COORDINATORS, 200)),
    (
        "POST",
        "/rounds/visits/{plain}/record",
        {"started_at": "08:00", "ended_at": "08:45"},
        expect(COORDINATORS, 302),
    ),
    ("GET", "/rounds/cards/{elder}", {}, expect(COORDINATORS, 200)),
    ("POST", "/rounds/cards/{elder}/issue", {}, expect(COORDINATORS, 200)),
    ("POST", "/rounds/cards/{elder}/revoke", {}, expect(COORDINATORS, 302)),
    ("GET", "/rounds/callback/{record}", {}, expect(COORDINATORS, 200)),
    ("POST", "/rounds/callback/{record}", {"note": "Phoned at 3 pm."}, expect(COORDINATORS, 302)),
]
TABLE = [
    pytest.param(method, path, data, who, status, id=f"{method} {path} as {who}")
    for method, path, data, table in ROUTES
    for who, status in table.items()
]


@pytest.mark.parametrize(("method", "path", "data", "who", "status"), TABLE)
def test_who_may_open_and_do_what(client, people, scene, method, path, data, who, status):
    if "{under_way}" in path:
        check_in(db.session.get(Visit, scene["under_way"]), by=people["volunteer"], at=today_at(15))
        db.session.commit()
    login(client, people[who])
    url = path.format(**scene)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={**data, "csrf_token": csrf_token(client, "/rounds/")})
    assert response.status_code == status, response.get_data(as_text=True)[:2000]


@pytest.mark.parametrize(
    "path",
    [
        f"/rounds/visits/{UNKNOWN}",
        f"/rounds/visits/{UNKNOWN}/record",
        f"/rounds/cards/{UNKNOWN}",
        f"/rounds/callback/{UNKNOWN}",
    ],
)
def test_unknown_ids_are_404(client, people, path):
    login(client, people["coordinator"])
    assert client.get(path).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/rounds/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


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
    ("who", "changes", "status", "planned_visits"),
    [
        ("coordinator", {}, 302, 1),
        ("family", {}, 302, 1),
        ("volunteer", {}, 302, 1),
        ("stranger", {}, 403, 0),
        ("other_coordinator", {}, 403, 0),
        ("coordinator", {"recipient": "#999999"}, 404, 0),
        ("coordinator", {"scheduled_date": "2020-01-01"}, 400, 0),
        ("coordinator", {"category": ""}, 400, 0),
    ],
)
def test_planning_a_visit(client, people, who, changes, status, planned_visits):
    login(client, people[who])
    response = post(client, "/rounds/schedule", **plan_form(people, **changes))
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Visit.id))) == planned_visits


def test_a_planned_visit_shows_who_planned_it_for_whom(client, people):
    login(client, people["family"])
    response = post(client, "/rounds/schedule", **plan_form(people))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王建国 on behalf of 王秀英" in page
