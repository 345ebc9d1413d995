"""Reach over HTTP: a member of another street is not found by any time-bank or family form
(logging a visit, a gift, planning, a plan, a group session, a family request, a
certificate), nothing is written, and nothing about them shows; and a member's phone
number shows only to those whose work needs it (issue 9)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from community.audit_models import AuditEntry
from community.models import FamilyLink, GiftPolicy, utcnow
from extensions import db
from tests.conftest import csrf_token, login
from timebank.aid_models import AidRequest
from timebank.care_plan_models import CarePlan
from timebank.clock import local_today
from timebank.group_session_models import GroupSession
from timebank.models import ServiceRecord, Transfer
from timebank.scheduling import check_in, check_out, schedule_visit
from timebank.visit_models import Visit

from .support import key, top_up

pytestmark = pytest.mark.usefixtures("english_pages")

TOMORROW = local_today() + timedelta(days=1)


@pytest.fixture
def far_elder(make_member, far_people):
    return make_member("双奶奶", age=85, community=far_people["far_coordinator"].community)


def counts() -> tuple:
    tables = (ServiceRecord, Transfer, Visit, CarePlan, GroupSession, FamilyLink, AidRequest)
    return tuple(db.session.scalar(select(func.count(t.id))) for t in tables)


def post(client, path: str, data: dict, page: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


FORMS = {
    "log a visit": (
        "volunteer",
        "/visits/new",
        lambda far: {
            "recipient": far.phone,
            "category": "meal",
            "service_date": local_today().isoformat(),
            "minutes": "60",
            "idempotency_key": key(),
        },
    ),
    "give hours": (
        "volunteer",
        "/gift",
        lambda far: {
            "recipient": far.phone,
            "hours": "1",
            "minutes": "0",
            "idempotency_key": key(),
        },
    ),
    "plan a visit": (
        "coordinator",
        "/rounds/schedule",
        lambda far: {
            "volunteer": f"#{far.id}",
            "recipient": "",  # filled with the elder's phone below
            "category": "meal",
            "scheduled_date": TOMORROW.isoformat(),
        },
    ),
    "set up a care plan": (
        "coordinator",
        "/plans/new",
        lambda far: {
            "elder": far.phone,
            "volunteer": "",  # filled with the volunteer's phone below
            "category": "meal",
            "weekdays": ["1"],
            "time_of_day": "09:00",
            "start_date": TOMORROW.isoformat(),
        },
    ),
    "log a group session": (
        "coordinator",
        "/groups/new",
        lambda far: {
            "idempotency_key": key(),
            "title": "读书会",
            "category": "companionship",
            "held_on": local_today().isoformat(),
            "minutes": "30",
            "participants": far.phone,
        },
    ),
    "ask to be family": (
        "family",
        "/family/request",
        lambda far: {"elder": far.phone, "relation": "侄女", "may_confirm": "y"},
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_a_member_of_another_street_is_not_found_and_nothing_is_written(
    app, people, far_elder, form
):
    who, path, data = FORMS[form]
    fields = data(far_elder)
    if fields.get("recipient") == "":
        fields["recipient"] = people["elder"].phone
    if fields.get("volunteer") == "":
        fields["volunteer"] = people["volunteer"].phone
    for person in (people["volunteer"], far_elder):
        person.community.gift_recipients = GiftPolicy.ANYONE
    top_up(people["volunteer"], 120)
    db.session.commit()
    before = counts()
    client = app.test_client()
    login(client, people[who])
    response = post(client, path, fields, path)
    page = response.get_data(as_text=True)
    assert response.status_code == 404, page[:400]
    assert "双奶奶" not in page
    db.session.expire_all()
    assert counts() == before


def test_a_certificate_lookup_does_not_reach_another_street(app, people, far_elder):
    client = app.test_client()
    login(client, people["street_admin"])
    response = client.get(f"/reports/certificate?volunteer={far_elder.phone}")
    assert response.status_code == 404
    assert client.get(f"/reports/certificates/{far_elder.id}").status_code == 403


# --- phone numbers ---------------------------------------------------------------------------


@pytest.fixture
def b_volunteer(make_member, other_community):
    return make_member("金志愿", age=58, community=other_community, is_volunteer=True)


def planned(people, volunteer, day=None):
    return schedule_visit(
        volunteer=volunteer,
        recipient=people["elder"],
        category="meal",
        scheduled_date=day or TOMORROW,
        scheduled_time=time(9, 0),
        by=people["coordinator"],
    )


def page_of(app, person, path: str) -> str:
    client = app.test_client()
    login(client, person)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_visit_page_shows_the_elders_phone_to_those_whose_work_needs_it(
    app, people, b_volunteer
):
    visit = planned(people, b_volunteer)
    db.session.commit()
    phone = people["elder"].phone
    path = f"/rounds/visits/{visit.id}"
    for who in ("elder", "family", "coordinator", "street_admin"):
        assert phone in page_of(app, people[who], path), who
    assert phone in page_of(app, b_volunteer, path)  # the visit is ahead: they may call
    # B's coordinator sees their volunteer's visit, but not the elder's number
    page = page_of(app, people["other_coordinator"], path)
    assert "王秀英" in page and phone not in page


def test_the_volunteer_no_longer_sees_the_phone_once_the_visit_is_done(app, people, b_volunteer):
    visit = planned(people, b_volunteer, day=local_today())
    check_in(visit, by=b_volunteer, at=utcnow())
    check_out(visit, by=b_volunteer, at=utcnow() + timedelta(minutes=20))
    db.session.commit()
    assert people["elder"].phone not in page_of(app, b_volunteer, f"/rounds/visits/{visit.id}")


def test_the_volunteers_coordinator_cannot_act_on_the_elders_visit_over_http(
    app, people, b_volunteer
):
    visit = planned(people, b_volunteer, day=local_today())
    db.session.commit()
    client = app.test_client()
    login(client, people["other_coordinator"])
    page = client.get(f"/rounds/visits/{visit.id}").get_data(as_text=True)
    assert "Record this visit" not in page and "Cancel this visit" not in page
    for action in ("check-in", "cancel", "record"):
        response = post(
            client,
            f"/rounds/visits/{visit.id}/{action}",
            {"started_at": "08:00", "ended_at": "08:30"},
            "/rounds/",
        )
        assert response.status_code == 403, action
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == "scheduled"
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 1  # the planning only
