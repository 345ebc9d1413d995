"""Care plans over HTTP: who may open and do what (a table over every route), and setting
up a plan, then skipping one of its visits with one click."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from community.models import Role
from community.services import link_family
from extensions import db
from tests.conftest import csrf_token, login
from timebank.care_plan_models import CarePlan, PlanStatus
from timebank.care_plans import PlanDetails, create_plan
from timebank.clock import local_today
from timebank.visit_models import Visit, VisitStatus

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


def every_day(people, **overrides) -> CarePlan:
    values = {
        "category": "meal",
        "weekdays": tuple(range(7)),
        "time_of_day": time(11, 0),
        "start_date": local_today() + timedelta(days=1),
    }
    plan, _ = create_plan(
        elder=people["elder"],
        volunteer=people["volunteer"],
        details=PlanDetails(**{**values, **overrides}),
        by=people["coordinator"],
    )
    return plan


@pytest.fixture
def scene(people):
    active = every_day(people)
    paused = every_day(people, time_of_day=time(16, 0))
    paused.status = PlanStatus.PAUSED
    visit = db.session.scalars(select(Visit).where(Visit.care_plan_id == active.id)).first()
    db.session.commit()
    return {
        "plan": active.id,
        "paused": paused.id,
        "visit": visit.id,
        "elder": people["elder"].id,
        "volunteer": people["volunteer"].id,
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
MANAGERS = {"elder", "family"} | COORDINATORS
VIEWERS = MANAGERS | {"volunteer"}


def expect(ok: set[str], ok_status: int, others: int = 403) -> dict[str, int]:
    return {who: ok_status if who in ok else others for who in ALL}


# (method, path, form data, {who: status})
ROUTES = [
    ("GET", "/plans/", {}, expect(set(ALL), 200)),
    ("GET", "/plans/new", {}, expect(set(ALL), 200)),
    ("GET", "/plans/elder/{elder}", {}, expect(MANAGERS, 200)),
    ("GET", "/plans/volunteer/{volunteer}", {}, expect({"volunteer"} | COORDINATORS, 200)),
    ("GET", "/plans/community", {}, expect(COORDINATORS | {"other_coordinator"}, 200)),
    ("GET", "/plans/{plan}", {}, expect(VIEWERS, 200)),
    ("POST", "/plans/{plan}/pause", {}, expect(MANAGERS, 302)),
    ("POST", "/plans/{paused}/resume", {}, expect(MANAGERS, 302)),
    ("POST", "/plans/{plan}/end", {}, expect(MANAGERS, 302)),
    # the volunteer may skip one visit (as on the rounds page), not change the plan
    ("POST", "/plans/{plan}/visits/{visit}/skip", {}, expect(VIEWERS, 302)),
]
TABLE = [
    pytest.param(method, path, data, who, status, id=f"{method} {path} as {who}")
    for method, path, data, table in ROUTES
    for who, status in table.items()
]


@pytest.mark.parametrize(("method", "path", "data", "who", "status"), TABLE)
def test_who_may_open_and_do_what(client, people, scene, method, path, data, who, status):
    login(client, people[who])
    url = path.format(**scene)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={**data, "csrf_token": csrf_token(client, "/plans/")})
    assert response.status_code == status, response.get_data(as_text=True)[:2000]


def test_a_refused_change_changes_nothing(client, people, scene):
    login(client, people["other_coordinator"])
    client.post(f"/plans/{scene['plan']}/end", data={"csrf_token": csrf_token(client, "/plans/")})
    db.session.expire_all()
    assert db.session.get(CarePlan, scene["plan"]).status == PlanStatus.ACTIVE
    assert db.session.get(Visit, scene["visit"]).status == VisitStatus.SCHEDULED


@pytest.mark.parametrize(
    "path",
    [
        f"/plans/{UNKNOWN}",
        f"/plans/elder/{UNKNOWN}",
        f"/plans/volunteer/{UNKNOWN}",
    ],
)
def test_unknown_ids_are_404(client, people, path):
    login(client, people["coordinator"])
    assert client.get(path).status_code == 404


def test_a_visit_of_another_plan_is_404_on_this_plans_page(client, people, scene):
    login(client, people["coordinator"])
    url = f"/plans/{scene['paused']}/visits/{scene['visit']}/skip"
    response = client.post(url, data={"csrf_token": csrf_token(client, "/plans/")})
    assert response.status_code == 404
    assert db.session.get(Visit, scene["visit"]).status == VisitStatus.SCHEDULED


@pytest.mark.parametrize("path", ["/plans/", "/plans/new", "/plans/community", "/plans/1"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- a family member sets up a plan and skips one visit -------------------------------------


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/plans/")})


def test_family_sets_up_meal_help_twice_a_week_and_skips_one_visit(client, people):
    login(client, people["family"])
    response = post(
        client,
        "/plans/new",
        elder=people["elder"].login_name,
        volunteer=people["volunteer"].login_name,
        category="meal",
        weekdays=["1", "4"],
        time_of_day="11:00",
        start_date=local_today().isoformat(),
        note="Soft food, no salt.",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    plan = db.session.scalars(select(CarePlan)).one()
    assert plan.created_by_id == people["family"].id and plan.on_behalf_of_id == people["elder"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Meal help for 王秀英" in page and "Tuesday, Friday · 11:00" in page
    assert "visits are planned" in page
    visits = db.session.scalars(select(Visit).where(Visit.care_plan_id == plan.id)).all()
    assert len(visits) >= 4 and page.count('class="button">Skip ') == len(visits)
    first = min(visits, key=lambda v: v.scheduled_date)
    response = post(client, f"/plans/{plan.id}/visits/{first.id}/skip")
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "is skipped" in page and page.count('class="button">Skip ') == len(visits) - 1
    db.session.expire_all()
    statuses = [v.status for v in db.session.scalars(select(Visit).order_by(Visit.scheduled_date))]
    assert statuses == [VisitStatus.SKIPPED] + [VisitStatus.SCHEDULED] * (len(visits) - 1)
    login(client, people["elder"])
    assert "Meal help for 王秀英" in client.get("/plans/").get_data(as_text=True)


def test_a_bad_plan_shows_the_form_again_with_the_reason(client, people):
    login(client, people["coordinator"])
    response = post(
        client,
        "/plans/new",
        elder=people["elder"].login_name,
        volunteer=people["volunteer"].login_name,
        category="meal",
        weekdays=["1"],
        time_of_day="11:00",
        start_date=(local_today() - timedelta(days=3)).isoformat(),
    )
    assert response.status_code == 400
    assert "A care plan cannot start in the past." in response.get_data(as_text=True)
    assert db.session.scalars(select(CarePlan)).all() == []


def test_no_weekday_chosen_is_a_400_on_the_form(client, people):
    login(client, people["coordinator"])
    response = post(
        client,
        "/plans/new",
        elder=people["elder"].login_name,
        volunteer=people["volunteer"].login_name,
        category="meal",
        time_of_day="11:00",
        start_date=local_today().isoformat(),
    )
    assert response.status_code == 400
    assert "Choose at least one day of the week." in response.get_data(as_text=True)
