"""Reach in the time bank: visits, schedules, check-ins, gifts and plans stay inside the
street, and a coordinator acts only on their own person's side of a visit (issue 9).

The people: community A (the elder, her family, the volunteer, A's coordinator), community
B of the same street (B's coordinator, B's volunteer, the street admin) and a far street
(its coordinator, street admin, a far volunteer and a far elder).
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from community.models import GiftPolicy
from timebank.callbacks import confirm_by_callback
from timebank.cards import issue_card
from timebank.care_plans import PlanDetails, create_plan
from timebank.clock import local_today
from timebank.errors import NotAllowed
from timebank.models import RecordStatus
from timebank.scheduling import (
    cancel_visit,
    check_in,
    check_out,
    record_visit,
    schedule_visit,
    to_utc,
)
from timebank.transfers import gift_hours
from timebank.visit_access import scheduled_visit_for, visit_for
from timebank.visits import confirm_visit, dispute_visit, log_visit, settle_dispute

from .support import balance, key, top_up

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def cast(people, far_people, make_member, other_community):
    """Everyone above, by name."""
    far_community = far_people["far_coordinator"].community
    return (
        people
        | far_people
        | {
            "b_volunteer": make_member(
                "金志愿", age=58, community=other_community, is_volunteer=True
            ),
            "far_volunteer": make_member(
                "双志愿", age=60, community=far_community, is_volunteer=True
            ),
            "far_elder": make_member("双奶奶", age=85, community=far_community),
        }
    )


def schedule(cast, volunteer: str, recipient: str, by: str, day=None):
    return schedule_visit(
        volunteer=cast[volunteer],
        recipient=cast[recipient],
        category="meal",
        scheduled_date=day or local_today(),
        scheduled_time=time(10, 0),
        by=cast[by],
    )


def log(cast, volunteer: str, recipient: str, by: str | None = None):
    return log_visit(
        volunteer=cast[volunteer],
        recipient=cast[recipient],
        category="meal",
        service_date=local_today(),
        minutes=60,
        entered_by=cast[by or volunteer],
        idempotency_key=key(),
    )


# --- logging a visit ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "visiting, visited, acting",
    [
        ("far_volunteer", "elder", None),  # the leak: another street's elder's guarantee paid
        ("volunteer", "far_elder", None),
        ("far_volunteer", "elder", "far_coordinator"),
        ("far_volunteer", "elder", "far_street_admin"),
    ],
)
def test_a_visit_is_never_logged_across_streets(cast, visiting, visited, acting):
    with pytest.raises(NotAllowed):
        log(cast, visiting, visited, acting)


def test_a_volunteer_logs_a_visit_in_another_community_of_the_street(cast):
    record = log(cast, "b_volunteer", "elder")
    assert record.status == RecordStatus.PENDING


# --- scheduling: the elder's side agrees ---------------------------------------------------


def test_a_volunteer_cannot_schedule_a_visit_on_their_own(cast):
    with pytest.raises(NotAllowed):
        schedule(cast, "volunteer", "elder", by="volunteer")


def test_the_volunteers_coordinator_cannot_schedule_a_visit_to_another_communitys_elder(cast):
    with pytest.raises(NotAllowed):
        schedule(cast, "b_volunteer", "elder", by="other_coordinator")


@pytest.mark.parametrize("by", ["elder", "family", "coordinator", "street_admin"])
def test_the_elders_side_schedules_a_visit(cast, by):
    visit = schedule(cast, "b_volunteer", "elder", by=by)
    assert visit.recipient_id == cast["elder"].id
    assert visit.on_behalf_of_id == (None if by == "elder" else cast["elder"].id)


@pytest.mark.parametrize(
    "visiting, visited, acting",
    [
        ("far_volunteer", "elder", "elder"),
        ("far_volunteer", "elder", "coordinator"),
        ("volunteer", "far_elder", "far_coordinator"),
        ("volunteer", "far_elder", "far_elder"),
    ],
)
def test_a_visit_is_never_scheduled_across_streets(cast, visiting, visited, acting):
    with pytest.raises(NotAllowed):
        schedule(cast, visiting, visited, by=acting)


# --- the two sides of a visit --------------------------------------------------------------


@pytest.fixture
def b_visit(cast):
    """B's volunteer visits A's elder today, as A's coordinator planned it."""
    return schedule(cast, "b_volunteer", "elder", by="coordinator")


def test_the_volunteers_coordinator_sees_the_visit(cast, b_visit):
    assert scheduled_visit_for(cast["other_coordinator"], b_visit.id) == b_visit


def test_only_the_elders_coordinators_check_in_and_out(cast, b_visit):
    at = to_utc(local_today(), time(10, 0))
    for who in ("other_coordinator", "far_coordinator", "far_street_admin"):
        with pytest.raises(NotAllowed):
            check_in(b_visit, by=cast[who], at=at)
    check_in(b_visit, by=cast["coordinator"], at=at)
    with pytest.raises(NotAllowed):
        check_out(b_visit, by=cast["other_coordinator"], at=at + timedelta(minutes=40))
    check_out(b_visit, by=cast["coordinator"], at=at + timedelta(minutes=40))
    assert b_visit.service_record.status == RecordStatus.PENDING


def test_only_the_elders_coordinators_record_the_times(cast, b_visit):
    with pytest.raises(NotAllowed):
        record_visit(b_visit, by=cast["other_coordinator"], started_at=time(8), ended_at=time(9))
    record_visit(b_visit, by=cast["street_admin"], started_at=time(8), ended_at=time(9))
    assert b_visit.service_record is not None


def test_the_volunteers_coordinator_cannot_call_off_the_elders_visit(cast, b_visit):
    with pytest.raises(NotAllowed):
        cancel_visit(b_visit, by=cast["other_coordinator"])
    cancel_visit(b_visit, by=cast["b_volunteer"])  # the volunteer may always withdraw


def test_the_volunteers_coordinator_sees_a_logged_visit_but_decides_nothing(cast):
    record = log(cast, "b_volunteer", "elder")
    b_coordinator = cast["other_coordinator"]
    assert visit_for(b_coordinator, record.id) == record
    with pytest.raises(NotAllowed):
        confirm_visit(record, by=b_coordinator)
    with pytest.raises(NotAllowed):
        confirm_by_callback(record, by=b_coordinator, note="called her")
    with pytest.raises(NotAllowed):
        issue_card(cast["elder"], by=b_coordinator)
    dispute_visit(record, by=cast["elder"], reason="没来")
    with pytest.raises(NotAllowed):
        settle_dispute(record, by=b_coordinator, accept=True, note="checked")
    assert record.status == RecordStatus.DISPUTED and balance(cast["b_volunteer"]) == 0


@pytest.mark.parametrize("who", ["far_coordinator", "far_street_admin"])
def test_another_streets_staff_see_nothing_of_a_visit(cast, who):
    from timebank.errors import NotFound

    record = log(cast, "volunteer", "elder")
    with pytest.raises((NotAllowed, NotFound)):
        visit_for(cast[who], record.id)


# --- gifts and plans ----------------------------------------------------------------------


@pytest.mark.parametrize("giver, recipient", [("far_volunteer", "elder"), ("elder", "far_elder")])
def test_gifts_never_cross_streets(cast, giver, recipient):
    for person in (cast[giver], cast[recipient]):
        person.community.gift_recipients = GiftPolicy.ANYONE
    top_up(cast[giver], 120)
    with pytest.raises(NotAllowed):
        gift_hours(
            giver=cast[giver],
            recipient=cast[recipient],
            minutes=60,
            by=cast[giver],
            idempotency_key=key(),
        )
    assert balance(cast[recipient]) == 0


def test_gifts_go_to_anyone_in_the_street_when_the_policy_says_so(cast):
    cast["volunteer"].community.gift_recipients = GiftPolicy.ANYONE
    top_up(cast["volunteer"], 120)
    gift_hours(
        giver=cast["volunteer"],
        recipient=cast["b_volunteer"],
        minutes=60,
        by=cast["volunteer"],
        idempotency_key=key(),
    )
    assert balance(cast["b_volunteer"]) == 60


def plan_details() -> PlanDetails:
    return PlanDetails(
        category="meal",
        weekdays=(0, 3),
        time_of_day=time(9, 0),
        start_date=local_today() + timedelta(days=1),
    )


@pytest.mark.parametrize(
    "visiting, acting",
    [
        ("far_volunteer", "elder"),
        ("far_volunteer", "coordinator"),
        ("b_volunteer", "b_volunteer"),
        ("b_volunteer", "other_coordinator"),
    ],
)
def test_plans_need_the_elders_side_and_one_street(cast, visiting, acting):
    with pytest.raises(NotAllowed):
        create_plan(
            elder=cast["elder"], volunteer=cast[visiting], details=plan_details(), by=cast[acting]
        )
