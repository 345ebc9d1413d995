"""Every time-bank staff action writes its audit entry (who, for whom, what before and
after), after the service's own writes; a member acting for themself, or family acting
with consent, writes none. The chain stays whole."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from community.audit import verify_audit_chain
from community.audit_models import AuditEntry
from community.models import Role, utcnow
from extensions import db
from timebank.accounts import member_account
from timebank.callbacks import confirm_by_callback
from timebank.care_plans import PlanDetails, create_plan, end_plan, pause_plan, resume_plan
from timebank.clock import local_today
from timebank.group_sessions import log_group_session
from timebank.models import Transfer
from timebank.requests import Need, approve_take, cancel_request, post_request, take_request
from timebank.scheduling import check_in, check_out, record_visit, schedule_visit
from timebank.transfers import donate_hours, gift_hours, grant_hours, reverse_transfer
from timebank.visits import confirm_visit, dispute_visit, log_visit, reject_visit, settle_dispute

from .support import disputed_visit, fill_fund, key, top_up

pytestmark = pytest.mark.usefixtures("english")


def entries(action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def only_entry(action: str) -> AuditEntry:
    [entry] = entries(action)
    assert verify_audit_chain(db.session) is None
    return entry


def facts(text: str) -> dict:
    return json.loads(text) if text else {}


def logged(volunteer, elder, minutes=60):
    return log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        service_date=local_today(),
        minutes=minutes,
        entered_by=volunteer,
        idempotency_key=key(),
    )


# --- grants, reversals, disputes --------------------------------------------------------------


def test_a_grant_is_audited(make_member, coordinator, community):
    elder = make_member("孤寡老人", age=90, is_priority=True)
    fill_fund(community, 300)
    transfer_id = grant_hours(
        elder=elder,
        minutes=120,
        source="fund",
        by=coordinator,
        memo="春节慰问",
        idempotency_key=key(),
    )
    entry = only_entry("hours_granted")
    assert (entry.actor_id, entry.subject_id, entry.community_id) == (
        coordinator.id,
        elder.id,
        community.id,
    )
    assert entry.target == f"transfer:{transfer_id}"
    assert facts(entry.after) == {"minutes": 120, "source": "fund", "memo": "春节慰问"}
    assert entry.origin == "cli"


def test_a_reversal_is_audited_with_what_it_undid(volunteer, coordinator):
    top_up(volunteer, 100)
    donation = donate_hours(member=volunteer, minutes=40, by=volunteer, idempotency_key=key())
    assert entries() == []  # the member's own donation is no staff action
    reversal = reverse_transfer(
        db.session.get(Transfer, donation), by=coordinator, reason="记错了", idempotency_key=key()
    )
    entry = only_entry("transfer_reversed")
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, volunteer.id)
    assert entry.target == f"transfer:{donation}"
    assert facts(entry.before) == {"transfer": donation, "kind": "donation", "minutes": 40}
    assert facts(entry.after) == {"reversal": reversal, "reason": "记错了"}


def test_settling_a_dispute_is_audited_before_and_after(volunteer, elder, coordinator):
    record = disputed_visit(volunteer, elder, minutes=120)
    assert entries() == []  # the elder disputed for herself
    settle_dispute(record, by=coordinator, accept=True, note="核实过", minutes=60)
    entry = only_entry("visit_dispute_settled")
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
    assert entry.target == f"service_record:{record.id}"
    assert facts(entry.before) == {
        "status": "disputed",
        "minutes": 120,
        "dispute": "只来了一个小时",
    }
    after = facts(entry.after)
    assert (after["status"], after["minutes"], after["note"]) == ("confirmed", 60, "核实过")
    assert after["transfer"] == record.transfer_id


def test_a_rejected_dispute_is_audited_too(volunteer, elder, coordinator):
    record = disputed_visit(volunteer, elder)
    settle_dispute(record, by=coordinator, accept=False, note="没有来过")
    after = facts(only_entry("visit_dispute_settled").after)
    assert (after["status"], after["transfer"]) == ("rejected", None)


# --- acting for a member ----------------------------------------------------------------------


def acted(did: str) -> AuditEntry:
    matching = [e for e in entries("acted_for") if facts(e.after).get("did") == did]
    assert len(matching) == 1, [facts(e.after) for e in entries("acted_for")]
    assert verify_audit_chain(db.session) is None
    return matching[0]


def test_confirming_rejecting_and_disputing_for_the_elder_are_audited(
    volunteer, elder, coordinator
):
    confirmed, rejected, disputed = (logged(volunteer, elder, m) for m in (30, 40, 50))
    confirm_visit(confirmed, by=coordinator)
    reject_visit(rejected, by=coordinator, reason="没来")
    dispute_visit(disputed, by=coordinator, reason="时间不对")
    entry = acted("visit_confirmed")
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
    assert entry.target == f"service_record:{confirmed.id}"
    assert facts(entry.after)["method"] == "coordinator"
    assert facts(entry.after)["transfer"] == confirmed.transfer_id
    assert acted("visit_rejected").target == f"service_record:{rejected.id}"
    assert facts(acted("visit_disputed").after)["reason"] == "时间不对"


def test_a_call_back_confirmation_is_audited(volunteer, elder, coordinator):
    record = logged(volunteer, elder)
    confirm_by_callback(record, by=coordinator, note="下午三点打过电话")
    entry = acted("visit_confirmed")
    assert facts(entry.after)["method"] == "callback"
    assert entry.subject_id == elder.id


def test_the_elder_or_family_confirming_writes_nothing(volunteer, elder, family):
    confirm_visit(logged(volunteer, elder), by=elder)
    confirm_visit(logged(volunteer, elder, 30), by=family)
    assert entries() == []


def need() -> Need:
    return Need(category="meal", estimated_minutes=60, needed_on=local_today() + timedelta(days=2))


def test_posting_approving_and_cancelling_a_request_for_the_elder_are_audited(
    volunteer, elder, coordinator
):
    request = post_request(need(), requester=elder, by=coordinator, idempotency_key=key())
    take_request(request, volunteer=volunteer)
    approve_take(request, by=coordinator)
    cancel_request(request, by=coordinator)
    for did in ("request_posted", "request_approved", "request_cancelled"):
        entry = acted(did)
        assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
        assert entry.target == f"aid_request:{request.id}"
    assert facts(acted("request_approved").after)["visit"] == request.visit_id
    assert acted("visit_cancelled").target == f"visit:{request.visit_id}"


def test_scheduling_checking_in_out_and_recording_for_the_elder_are_audited(
    volunteer, elder, coordinator, make_member
):
    planned = schedule_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        scheduled_date=local_today(),
        scheduled_time=None,
        by=coordinator,
    )
    check_in(planned, by=coordinator, at=utcnow())
    check_out(planned, by=coordinator, at=utcnow() + timedelta(minutes=20))
    recorded = schedule_visit(  # another volunteer: no overlap with the first visit's times
        volunteer=make_member("钱志愿", age=60, is_volunteer=True),
        recipient=elder,
        category="meal",
        scheduled_date=local_today(),
        scheduled_time=None,
        by=elder,
    )
    record_visit(recorded, by=coordinator, started_at=time(0, 1), ended_at=time(0, 21))
    assert [e.target for e in entries("acted_for")] == [
        f"visit:{planned.id}",
        f"visit:{planned.id}",
        f"visit:{planned.id}",
        f"visit:{recorded.id}",
    ]
    assert [facts(e.after)["did"] for e in entries("acted_for")] == [
        "visit_scheduled",
        "visit_checked_in",
        "visit_checked_out",
        "visit_recorded",
    ]
    assert {e.subject_id for e in entries("acted_for")} == {elder.id}


def test_the_volunteers_own_rounds_write_nothing(volunteer, elder):
    planned = schedule_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        scheduled_date=local_today(),
        scheduled_time=None,
        by=elder,
    )
    check_in(planned, by=volunteer, at=utcnow())
    check_out(planned, by=volunteer, at=utcnow() + timedelta(minutes=20))
    assert entries() == []


def test_logging_a_visit_for_the_volunteer_is_audited(volunteer, elder, coordinator):
    record = log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        service_date=local_today(),
        minutes=30,
        entered_by=coordinator,
        idempotency_key=key(),
    )
    entry = acted("visit_logged")
    assert (entry.subject_id, entry.target) == (volunteer.id, f"service_record:{record.id}")


def test_a_plan_for_the_elder_is_audited_at_each_step(volunteer, elder, coordinator):
    details = PlanDetails(
        category="meal",
        weekdays=(0, 3),
        time_of_day=time(9, 0),
        start_date=local_today() + timedelta(days=1),
    )
    plan, _ = create_plan(elder=elder, volunteer=volunteer, details=details, by=coordinator)
    pause_plan(plan, by=coordinator)
    resume_plan(plan, by=coordinator)
    end_plan(plan, by=coordinator)
    for did in ("plan_created", "plan_paused", "plan_resumed", "plan_ended"):
        entry = acted(did)
        assert (entry.subject_id, entry.target) == (elder.id, f"care_plan:{plan.id}")
    assert not any(facts(e.after)["did"] == "visit_scheduled" for e in entries("acted_for"))


def test_a_group_session_is_audited_with_its_participants(volunteer, coordinator, community):
    session = log_group_session(
        community=community,
        title="中秋游园会",
        category="companionship",
        held_on=local_today(),
        minutes=60,
        participant_lines=[volunteer.phone],
        by=coordinator,
        idempotency_key=key(),
    )
    entry = acted("group_session_logged")
    assert (entry.actor_id, entry.subject_id, entry.community_id) == (
        coordinator.id,
        None,
        community.id,
    )
    assert entry.target == f"group_session:{session.id}"
    assert facts(entry.after)["participants"] == {str(volunteer.id): 60}


def test_gifts_and_donations_for_a_member_are_audited(elder, family, coordinator):
    top_up(elder, 200)
    gift = gift_hours(
        giver=elder, recipient=family, minutes=60, by=coordinator, idempotency_key=key()
    )
    donate_hours(member=elder, minutes=30, by=coordinator, idempotency_key=key())
    assert facts(acted("hours_given").after) == {
        "did": "hours_given",
        "to": family.id,
        "minutes": 60,
    }
    assert acted("hours_given").target == f"transfer:{gift}"
    assert acted("hours_donated").subject_id == elder.id
    assert member_account(elder).balance_minutes == 110


def test_a_street_admin_acting_is_audited_to_the_members_community(
    volunteer, elder, make_member, other_community
):
    admin = make_member("街道管理员", age=45, role=Role.STREET_ADMIN, community=other_community)
    confirm_visit(logged(volunteer, elder), by=admin)
    entry = acted("visit_confirmed")
    assert (entry.actor_id, entry.community_id) == (admin.id, elder.community_id)
    assert entry.street_id == elder.community.street_id
