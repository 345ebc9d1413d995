"""Recurring care plans: weekday matching, idempotent generation, end dates, pause and
resume, clashes, and who may set one up or change it."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from community.models import Role
from community.services import link_family
from extensions import db
from timebank.care_plan_models import PlanStatus
from timebank.care_plans import (
    DAYS_AHEAD,
    PlanDetails,
    create_plan,
    end_plan,
    generate_all,
    generate_visits,
    pause_plan,
    plans_of_community,
    resume_plan,
)
from timebank.clock import local_today
from timebank.errors import InvalidVisit, NotAllowed
from timebank.scheduling import schedule_visit, skip_visit
from timebank.visit_models import Visit, VisitStatus

TUESDAY, FRIDAY = 1, 4


pytestmark = pytest.mark.usefixtures("english")


def details(**overrides) -> PlanDetails:
    values = {
        "category": "meal",
        "weekdays": (TUESDAY, FRIDAY),
        "time_of_day": time(11, 0),
        "start_date": local_today(),
    }
    return PlanDetails(**{**values, **overrides})


def new_plan(elder, volunteer, by, **overrides):
    return create_plan(elder=elder, volunteer=volunteer, details=details(**overrides), by=by)


def plan_visits(plan, *, live=True) -> list[Visit]:
    query = select(Visit).where(Visit.care_plan_id == plan.id).order_by(Visit.scheduled_date)
    if live:
        query = query.where(Visit.status == VisitStatus.SCHEDULED)
    return list(db.session.scalars(query))


def days_between(first, last, weekdays) -> list:
    days, day = [], first
    while day <= last:
        if day.weekday() in weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


# --- generating ----------------------------------------------------------------------------


def test_creating_a_plan_plans_every_tuesday_and_friday_of_the_next_two_weeks(
    elder, volunteer, coordinator
):
    today = local_today()
    plan, generated = new_plan(elder, volunteer, coordinator)
    expected = days_between(today, today + timedelta(days=DAYS_AHEAD), {TUESDAY, FRIDAY})
    visits = plan_visits(plan)
    assert [v.scheduled_date for v in visits] == expected
    assert len(generated.created) == len(expected) >= 4 and generated.skipped == []
    assert {v.scheduled_time for v in visits} == {time(11, 0)}
    assert {(v.volunteer_id, v.recipient_id, v.category) for v in visits} == {
        (volunteer.id, elder.id, "meal")
    }
    # the coordinator acted for the elder, and says so on the plan and on each visit
    assert plan.on_behalf_of_id == elder.id
    assert {(v.entered_by_id, v.on_behalf_of_id) for v in visits} == {(coordinator.id, elder.id)}


def test_generating_again_never_plans_a_day_twice_and_a_skipped_day_stays_skipped(
    elder, volunteer, coordinator
):
    plan, first = new_plan(elder, volunteer, coordinator)
    skip_visit(first.created[0], by=elder)
    again = generate_visits(plan, by=coordinator)
    assert again.created == [] and again.skipped == []
    all_visits = plan_visits(plan, live=False)
    assert len(all_visits) == len(first.created)
    assert all_visits[0].status == VisitStatus.SKIPPED
    assert len({v.scheduled_date for v in all_visits}) == len(all_visits)


def test_generating_further_ahead_adds_only_the_new_days(elder, volunteer, coordinator):
    plan, first = new_plan(elder, volunteer, coordinator)
    through = local_today() + timedelta(days=28)
    more = generate_visits(plan, by=coordinator, through=through)
    expected = days_between(local_today(), through, {TUESDAY, FRIDAY})
    assert len(first.created) + len(more.created) == len(expected)
    assert [v.scheduled_date for v in plan_visits(plan)] == expected


def test_no_visit_after_the_end_date_or_before_the_start(elder, volunteer, coordinator):
    start = local_today() + timedelta(days=3)
    end = start + timedelta(days=6)  # one full week: exactly one Tuesday and one Friday
    plan, generated = new_plan(elder, volunteer, coordinator, start_date=start, end_date=end)
    dates = [v.scheduled_date for v in generated.created]
    assert len(dates) == 2 and all(start <= d <= end for d in dates)
    assert {d.weekday() for d in dates} == {TUESDAY, FRIDAY}
    assert generate_visits(plan, by=coordinator, through=end + timedelta(days=30)).created == []


def test_a_paused_plan_generates_nothing_and_calls_off_its_planned_visits(
    elder, volunteer, coordinator
):
    plan, generated = new_plan(elder, volunteer, coordinator)
    pause_plan(plan, by=elder)
    assert plan.status == PlanStatus.PAUSED
    assert plan_visits(plan) == []
    assert generate_visits(plan, by=coordinator).created == []
    assert plan.id not in generate_all()
    resumed = resume_plan(plan, by=elder)
    assert plan.status == PlanStatus.ACTIVE
    assert len(resumed.created) == len(generated.created)
    assert len(plan_visits(plan)) == len(generated.created)


def test_ending_a_plan_cancels_what_is_left_and_it_cannot_resume(elder, volunteer, coordinator):
    plan, _ = new_plan(elder, volunteer, coordinator)
    end_plan(plan, by=coordinator)
    assert plan.status == PlanStatus.ENDED and plan_visits(plan) == []
    assert generate_visits(plan, by=coordinator).created == []
    with pytest.raises(InvalidVisit):
        resume_plan(plan, by=coordinator)


def test_a_clash_with_the_volunteers_other_visit_is_left_out_and_reported(
    elder, volunteer, coordinator, make_member
):
    today = local_today()
    first_friday = days_between(today, today + timedelta(days=7), {FRIDAY})[0]
    other_elder = make_member("赵奶奶", age=88)
    schedule_visit(
        volunteer=volunteer,
        recipient=other_elder,
        category="companionship",
        scheduled_date=first_friday,
        scheduled_time=time(11, 30),
        by=other_elder,
    )
    plan, generated = new_plan(elder, volunteer, coordinator)
    assert [day for day, _ in generated.skipped] == [first_friday]
    assert "already has a visit at that time" in generated.skipped[0][1]
    assert first_friday not in {v.scheduled_date for v in plan_visits(plan)}
    assert len(generated.created) >= 3  # the other days were planned all the same


def test_generate_all_runs_every_active_plan_and_the_cli_says_so(
    app, elder, volunteer, coordinator, make_member
):
    plan, _ = new_plan(elder, volunteer, coordinator, weekdays=(0, 1, 2, 3, 4, 5, 6))
    paused, _ = new_plan(
        make_member("钱爷爷", age=90), volunteer, coordinator, time_of_day=time(15)
    )
    pause_plan(paused, by=coordinator)
    results = generate_all(days_ahead=DAYS_AHEAD + 7)
    assert set(results) == {plan.id}
    assert len(results[plan.id].created) == 7
    db.session.commit()
    output = FlaskCliRunner(app).invoke(args=["plans", "generate", "--days", "30"]).output
    assert "planned 9 visit(s) for 1 active plan(s)" in output
    assert len(plan_visits(plan)) == 31


# --- who may --------------------------------------------------------------------------------


def test_the_elder_may_set_up_their_own_plan(elder, volunteer):
    plan, generated = new_plan(elder, volunteer, elder)
    assert plan.created_by_id == elder.id and plan.on_behalf_of_id is None
    assert generated.created


def test_family_allowed_to_book_may_set_one_up_on_the_elders_behalf(elder, volunteer, make_member):
    son = make_member("王建国", age=50)
    link_family(elder=elder, relative=son, by=elder, relation="son")
    plan, generated = new_plan(elder, volunteer, son)
    assert plan.on_behalf_of_id == elder.id
    assert {v.entered_by_id for v in generated.created} == {son.id}


def test_family_without_booking_rights_may_not(elder, volunteer, make_member):
    daughter = make_member("王丽", age=48)
    link_family(elder=elder, relative=daughter, by=elder, relation="daughter", may_book=False)
    with pytest.raises(NotAllowed):
        new_plan(elder, volunteer, daughter)
    assert db.session.scalar(select(func.count(Visit.id))) == 0


def test_another_communitys_coordinator_and_the_volunteer_may_not(
    elder, volunteer, coordinator, make_member, make_community
):
    other = make_member("外社工", age=41, role=Role.COORDINATOR, community=make_community())
    for outsider in (other, volunteer):
        with pytest.raises(NotAllowed) as refused:
            new_plan(elder, volunteer, outsider)
        assert refused.value.http_status == 403
    plan, _ = new_plan(elder, volunteer, coordinator)
    with pytest.raises(NotAllowed):
        pause_plan(plan, by=other)
    with pytest.raises(NotAllowed):
        end_plan(plan, by=other)
    assert plan.status == PlanStatus.ACTIVE
    with pytest.raises(NotAllowed):
        plans_of_community(by=volunteer)
    assert plans_of_community(by=other) == []
    assert plans_of_community(by=coordinator) == [plan]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"weekdays": ()}, "at least one day"),
        ({"category": "juggling"}, "kind of service"),
        ({"start_date": local_today() - timedelta(days=1)}, "past"),
        ({"end_date": local_today() - timedelta(days=1)}, "before the first day"),
    ],
)
def test_bad_plans_are_refused_and_plan_nothing(elder, volunteer, coordinator, overrides, message):
    with pytest.raises(InvalidVisit) as refused:
        new_plan(elder, volunteer, coordinator, **overrides)
    assert message in str(refused.value.message)
    assert db.session.scalar(select(func.count(Visit.id))) == 0


def test_a_volunteer_cannot_care_for_themselves(elder, coordinator):
    with pytest.raises(InvalidVisit):
        new_plan(elder, elder, coordinator)
