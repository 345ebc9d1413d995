"""Care plans over HTTP: setting up a plan, then skipping one of its visits with one click,
and refused changes changing nothing (who may open and do what is in test_views_permissions)."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from tests.conftest import csrf_token, login
from timebank.care_plan_models import CarePlan, PlanStatus
from timebank.care_plans import PlanDetails, create_plan
from timebank.clock import local_today
from timebank.visit_models import Visit, VisitStatus

pytestmark = pytest.mark.usefixtures("english_pages")


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


def test_a_refused_change_changes_nothing(client, people, scene):
    login(client, people["other_coordinator"])
    client.post(f"/plans/{scene['plan']}/end", data={"csrf_token": csrf_token(client, "/plans/")})
    db.session.expire_all()
    assert db.session.get(CarePlan, scene["plan"]).status == PlanStatus.ACTIVE
    assert db.session.get(Visit, scene["visit"]).status == VisitStatus.SCHEDULED


def test_a_visit_of_another_plan_is_404_on_this_plans_page(client, people, scene):
    login(client, people["coordinator"])
    url = f"/plans/{scene['paused']}/visits/{scene['visit']}/skip"
    response = client.post(url, data={"csrf_token": csrf_token(client, "/plans/")})
    assert response.status_code == 404
    assert db.session.get(Visit, scene["visit"]).status == VisitStatus.SCHEDULED


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
    skip_links = re.compile(r'<a class="button" href="[^"]+/skip">Skip ')
    assert len(visits) >= 4 and len(skip_links.findall(page)) == len(visits)
    first = min(visits, key=lambda v: v.scheduled_date)
    # each link asks first, on a plain page (issue 10), whose button posts the skip
    asked = client.get(f"/plans/{plan.id}/visits/{first.id}/skip").get_data(as_text=True)
    assert "the care plan goes on" in asked
    response = post(client, f"/plans/{plan.id}/visits/{first.id}/skip")
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "is skipped" in page and len(skip_links.findall(page)) == len(visits) - 1
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
