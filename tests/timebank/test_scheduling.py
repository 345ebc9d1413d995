"""Scheduling visits, checking in and out, recording, skipping and cancelling: every rule."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from community.models import Role
from community.services import link_family
from extensions import db
from timebank.clock import local_today
from timebank.errors import DailyCapReached, InvalidVisit, NotAllowed
from timebank.models import RecordStatus, ServiceRecord
from timebank.scheduling import (
    cancel_visit,
    check_in,
    check_out,
    record_visit,
    schedule_visit,
    skip_visit,
    to_utc,
)
from timebank.signals import visit_scheduled
from timebank.visit_access import rounds_of
from timebank.visit_models import VisitStatus
from timebank.visits import confirm_visit, log_visit

from .support import assert_ledger_clean, balance, key

pytestmark = pytest.mark.usefixtures("english")


def plan(volunteer, recipient, *, by=None, day=None, at=time(10, 0), category="meal"):
    """A visit planned by ``by``, by default the person visited (their side agrees)."""
    return schedule_visit(
        volunteer=volunteer,
        recipient=recipient,
        category=category,
        scheduled_date=day or local_today(),
        scheduled_time=at,
        by=by or recipient,
    )


# --- scheduling ------------------------------------------------------------------------


def test_schedule_creates_a_scheduled_visit_and_tells_listeners(volunteer, elder):
    heard = []
    with visit_scheduled.connected_to(lambda sender: heard.append(sender)):
        visit = plan(volunteer, elder, day=local_today() + timedelta(days=2))
    assert visit.status == VisitStatus.SCHEDULED
    assert visit.entered_by_id == elder.id and visit.on_behalf_of_id is None
    assert heard == [visit]


def test_a_volunteer_alone_cannot_plan_a_visit(volunteer, elder, make_member):
    """The person visited's side agrees: a volunteer asks through a request (issue 9)."""
    with pytest.raises(NotAllowed):
        plan(volunteer, elder, by=volunteer)
    son = make_member("王建国", age=50)
    link_family(elder=elder, relative=son, by=elder, may_book=False, may_confirm=True)
    with pytest.raises(NotAllowed):
        plan(volunteer, elder, by=son)  # family who may only confirm do not book


def test_a_coordinator_scheduling_acts_for_the_elder(volunteer, elder, coordinator):
    visit = plan(volunteer, elder, by=coordinator)
    assert visit.entered_by_id == coordinator.id
    assert visit.on_behalf_of_id == elder.id


def test_family_allowed_to_book_may_schedule(volunteer, elder, make_member):
    son = make_member("王建国", age=50)
    link_family(elder=elder, relative=son, by=elder, relation="son")
    assert plan(volunteer, elder, by=son).on_behalf_of_id == elder.id


@pytest.mark.parametrize("who", ["stranger", "other_coordinator"])
def test_strangers_may_not_schedule(who, volunteer, elder, make_member, make_community):
    if who == "stranger":
        actor = make_member(age=40)
    else:
        actor = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    with pytest.raises(NotAllowed):
        plan(volunteer, elder, by=actor)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"day": "yesterday"}, "past"),
        ({"category": "juggling"}, "kind of service"),
    ],
)
def test_bad_visits_are_refused(change, message, volunteer, elder):
    if change.get("day") == "yesterday":
        change["day"] = local_today() - timedelta(days=1)
    with pytest.raises(InvalidVisit, match=message):
        plan(volunteer, elder, **change)


def test_a_volunteer_cannot_be_booked_twice_at_once(volunteer, elder, make_member):
    other_elder = make_member(age=80)
    plan(volunteer, elder, at=time(10, 0))
    with pytest.raises(InvalidVisit, match="already has a visit"):
        plan(volunteer, other_elder, at=time(10, 30))
    # an hour later is fine
    assert plan(volunteer, other_elder, at=time(11, 0)).status == VisitStatus.SCHEDULED


def test_a_visit_cannot_be_planned_over_a_logged_visit(volunteer, elder, make_member):
    log_visit(
        volunteer=volunteer,
        recipient=make_member(age=80),
        category="meal",
        service_date=local_today(),
        started_at=time(9, 30),
        ended_at=time(10, 30),
        entered_by=volunteer,
        idempotency_key=key(),
    )
    with pytest.raises(InvalidVisit, match="already has a visit"):
        plan(volunteer, elder, at=time(10, 0))


# --- check-in and check-out ---------------------------------------------------------------


def today_at(hour: int, minute: int = 0, second: int = 0):
    """A naive UTC moment at a local time today."""
    return to_utc(local_today(), time(hour, minute, second))


def records() -> int:
    return db.session.scalar(select(func.count(ServiceRecord.id)))


def test_check_in_and_out_logs_the_minutes_and_waits_for_the_elder(volunteer, elder):
    visit = plan(volunteer, elder, category="cleaning")
    check_in(visit, by=volunteer, at=today_at(10, 0))
    assert visit.status == VisitStatus.IN_PROGRESS
    check_out(visit, by=volunteer, at=today_at(10, 45, 50))
    record = visit.service_record
    assert visit.status == VisitStatus.DONE
    assert record.minutes == 45  # whole minutes
    assert (record.started_at, record.ended_at) == (time(10, 0), time(10, 45))
    assert record.status == RecordStatus.PENDING
    assert balance(volunteer) == 0  # nothing posts before the elder's side confirms
    confirm_visit(record, by=elder)
    assert balance(volunteer) == 45
    assert_ledger_clean()


def test_minutes_are_capped_by_the_category_standard_and_at_least_one(volunteer, elder):
    haircut = plan(volunteer, elder, category="haircut", at=time(9, 0))  # standard 60
    check_in(haircut, by=volunteer, at=today_at(9, 0))
    check_out(haircut, by=volunteer, at=today_at(10, 35))
    assert haircut.service_record.minutes == 60
    quick = plan(volunteer, elder, category="meal", at=time(14, 0))
    check_in(quick, by=volunteer, at=today_at(14, 0))
    check_out(quick, by=volunteer, at=today_at(14, 0, 20))
    assert quick.service_record.minutes == 1


def test_check_out_before_check_in_is_refused_and_logs_nothing(volunteer, elder):
    visit = plan(volunteer, elder)
    with pytest.raises(InvalidVisit, match="Check in before"):
        check_out(visit, by=volunteer)
    check_in(visit, by=volunteer, at=today_at(10, 0))
    with pytest.raises(InvalidVisit, match="after check-in"):
        check_out(visit, by=volunteer, at=today_at(9, 59))
    assert records() == 0
    assert visit.status == VisitStatus.IN_PROGRESS


def test_check_in_only_on_the_day_of_the_visit(volunteer, elder):
    visit = plan(volunteer, elder, day=local_today() + timedelta(days=1))
    with pytest.raises(InvalidVisit, match="day of the visit"):
        check_in(visit, by=volunteer, at=today_at(10, 0))
    assert visit.status == VisitStatus.SCHEDULED


def test_not_checked_in_at_two_visits_at_once(volunteer, elder, make_member):
    first = plan(volunteer, elder, at=time(9, 0))
    second = plan(volunteer, make_member(age=80), at=time(15, 0))
    check_in(first, by=volunteer, at=today_at(9, 0))
    with pytest.raises(InvalidVisit, match="other visit"):
        check_in(second, by=volunteer, at=today_at(9, 30))


def test_only_the_volunteer_or_a_coordinator_checks_in(volunteer, elder, coordinator):
    visit = plan(volunteer, elder)
    with pytest.raises(NotAllowed):
        check_in(visit, by=elder, at=today_at(10, 0))
    check_in(visit, by=coordinator, at=today_at(10, 0))
    assert visit.status == VisitStatus.IN_PROGRESS


def test_the_daily_cap_applies_at_check_out(volunteer, elder, make_member):
    log_visit(
        volunteer=volunteer,
        recipient=make_member(age=80),
        category="cleaning",
        service_date=local_today(),
        minutes=volunteer.community.daily_earning_cap_minutes - 30,
        entered_by=volunteer,
        idempotency_key=key(),
    )
    visit = plan(volunteer, elder, at=time(18, 0))
    check_in(visit, by=volunteer, at=today_at(18, 0))
    with pytest.raises(DailyCapReached):
        check_out(visit, by=volunteer, at=today_at(19, 0))


# --- a coordinator records a visit afterwards ----------------------------------------------


def test_coordinator_records_the_times_for_the_volunteer(volunteer, elder, coordinator):
    visit = plan(volunteer, elder, by=coordinator, category="companionship")
    record_visit(visit, by=coordinator, started_at=time(8, 0), ended_at=time(9, 30))
    record = visit.service_record
    assert visit.status == VisitStatus.DONE and record.minutes == 90
    assert record.entered_by_id == coordinator.id
    assert record.on_behalf_of_id == volunteer.id


def test_the_volunteer_cannot_use_the_coordinators_recording(volunteer, elder):
    visit = plan(volunteer, elder)
    with pytest.raises(NotAllowed):
        record_visit(visit, by=volunteer, started_at=time(8, 0), ended_at=time(9, 0))


def test_recorded_times_may_not_overlap_a_logged_visit(volunteer, elder, coordinator, make_member):
    log_visit(
        volunteer=volunteer,
        recipient=make_member(age=80),
        category="meal",
        service_date=local_today(),
        started_at=time(8, 0),
        ended_at=time(9, 0),
        entered_by=volunteer,
        idempotency_key=key(),
    )
    visit = plan(volunteer, elder, at=time(14, 0))
    with pytest.raises(InvalidVisit, match="already has a visit"):
        record_visit(visit, by=coordinator, started_at=time(8, 30), ended_at=time(9, 30))
    with pytest.raises(InvalidVisit, match="after check-in"):
        record_visit(visit, by=coordinator, started_at=time(16, 0), ended_at=time(15, 0))


# --- skipping and cancelling --------------------------------------------------------------


def test_skipping_one_visit_takes_it_off_the_rounds(volunteer, elder):
    skipped = plan(volunteer, elder, at=time(9, 0))
    kept = plan(volunteer, elder, at=time(15, 0))
    skip_visit(skipped, by=elder, reason="in hospital")
    assert skipped.status == VisitStatus.SKIPPED and "in hospital" in skipped.note
    assert rounds_of(volunteer) == [kept]


def test_only_a_planned_visit_can_be_skipped_or_cancelled(volunteer, elder):
    visit = plan(volunteer, elder)
    check_in(visit, by=volunteer, at=today_at(10, 0))
    with pytest.raises(InvalidVisit):
        skip_visit(visit, by=volunteer)
    with pytest.raises(InvalidVisit):
        cancel_visit(visit, by=elder)


def test_strangers_cannot_cancel(volunteer, elder, make_member):
    visit = plan(volunteer, elder)
    with pytest.raises(NotAllowed):
        cancel_visit(visit, by=make_member(age=40))
    cancel_visit(visit, by=volunteer)
    assert visit.status == VisitStatus.CANCELLED
