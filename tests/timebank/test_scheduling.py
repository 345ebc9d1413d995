"""Scheduling visits, checking in and out, recording, skipping and cancelling: every rule."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from flask_babel import force_locale

from community.models import Role
from community.services import link_family
from timebank.clock import local_today
from timebank.errors import InvalidVisit, NotAllowed
from timebank.scheduling import schedule_visit
from timebank.signals import visit_scheduled
from timebank.visit_models import VisitStatus


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def plan(volunteer, recipient, *, by=None, day=None, at=time(10, 0), category="meal"):
    return schedule_visit(
        volunteer=volunteer,
        recipient=recipient,
        category=category,
        scheduled_date=day or local_today(),
        scheduled_time=at,
        by=by or volunteer,
    )


# --- scheduling ------------------------------------------------------------------------


def test_schedule_creates_a_scheduled_visit_and_tells_listeners(volunteer, elder):
    heard = []
    with visit_scheduled.connected_to(lambda sender: heard.append(sender)):
        visit = plan(volunteer, elder, day=local_today() + timedelta(days=2))
    assert visit.status == VisitStatus.SCHEDULED
    assert visit.entered_by_id == volunteer.id and visit.on_behalf_of_id is None
    assert heard == [visit]


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
