"""Staff actions in the marketplace are written to the audit log, after their own writes.

Hiding, showing and keeping a review, deciding a dispute (with the amounts), deciding
about a provider (with the reason), changing a subsidy, and a coordinator acting for a
resident (booking, cancelling, confirming for them). A resident's own steps and family's
are not staff actions; a refused step writes nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community import audit
from community.audit import Action
from community.audit_models import AuditEntry
from community.models import utcnow
from extensions import db
from marketplace import disputes, moderation, providers, reviews, subsidies, transitions
from marketplace.errors import NotAllowed
from marketplace.models import ProviderStatus
from marketplace.provider_checks import ProviderChecks
from tests.marketplace.booking_support import book
from tests.marketplace.test_reach import completed_booking, disputed_booking, reported_review

pytestmark = pytest.mark.usefixtures("english")


def entries(action: Action | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == str(action))
    return list(db.session.scalars(query))


def only(action: Action) -> AuditEntry:
    (entry,) = entries(action)
    return entry


def count() -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)))


# --- reviews ----------------------------------------------------------------------------


def test_hiding_showing_and_keeping_a_review_are_audited(
    actors, two_sided, elder, make_booking, coordinator
):
    review = reported_review(make_booking, two_sided, elder, actors["volunteer"])
    moderation.hide_review(by=coordinator, review_id=review.id, reason="辱骂")
    hidden = only(Action.REVIEW_HIDDEN)
    assert (hidden.actor_id, hidden.subject_id, hidden.target) == (
        coordinator.id,
        elder.id,
        f"review:{review.id}",
    )
    assert json.loads(hidden.before) == {"hidden": False}
    assert json.loads(hidden.after) == {"hidden": True, "reason": "辱骂", "reports_closed": 1}
    assert hidden.community_id == elder.community_id

    moderation.unhide_review(by=coordinator, review_id=review.id)
    shown = only(Action.REVIEW_SHOWN)
    assert json.loads(shown.after) == {"hidden": False}

    moderation.keep_review(by=coordinator, review_id=review.id)
    kept = only(Action.REVIEW_KEPT)
    assert kept.target == f"review:{review.id}" and kept.actor_id == coordinator.id
    assert audit.verify_audit_chain(db.session) is None


def test_a_refused_moderation_writes_nothing(actors, two_sided, elder, make_booking):
    review = reported_review(make_booking, two_sided, elder, actors["volunteer"])
    with pytest.raises(NotAllowed):
        moderation.hide_review(by=actors["other_coordinator"], review_id=review.id, reason="x")
    assert count() == 0


# --- disputes ---------------------------------------------------------------------------


def test_a_dispute_decision_is_audited_with_the_amounts(actors, two_sided, elder, make_booking):
    booking = disputed_booking(make_booking, two_sided, elder)
    admin = actors["street_admin"]
    disputes.resolve_dispute(booking, by=admin, outcome="refund", refund_fen=3000, note="一半")
    entry = only(Action.BOOKING_DISPUTE_DECIDED)
    assert (entry.actor_id, entry.subject_id, entry.target) == (
        admin.id,
        elder.id,
        f"booking:{booking.id}",
    )
    assert json.loads(entry.before) == {
        "status": "disputed",
        "paid_fen": 8000,
        "paid_minutes": 0,
        "refunded_fen": 0,
    }
    assert json.loads(entry.after) == {
        "decision": "refund",
        "status": "refunded",
        "refunded_fen": 3000,
        "note": "一半",
    }


def test_upholding_a_dispute_is_audited(two_sided, elder, make_booking, coordinator):
    booking = disputed_booking(make_booking, two_sided, elder)
    disputes.resolve_dispute(booking, by=coordinator, outcome="uphold", note="做完了")
    after = json.loads(only(Action.BOOKING_DISPUTE_DECIDED).after)
    assert (after["decision"], after["status"], after["refunded_fen"]) == ("uphold", "completed", 0)


# --- providers --------------------------------------------------------------------------


def test_each_provider_decision_is_audited_with_its_reason(
    make_provider, provider_owner, coordinator
):
    provider = make_provider("新开的店", status=ProviderStatus.APPLIED)  # meals and childcare too
    checks = ProviderChecks("苏托备2026-031", True, True, True)
    providers.verify_provider(provider.id, by=coordinator, checks=checks)
    providers.suspend_provider(provider.id, by=coordinator, reason="投诉多")
    providers.reinstate_provider(provider.id, by=coordinator, checks=checks)
    decided = entries(Action.PROVIDER_DECIDED)
    assert [json.loads(e.after)["decision"] for e in decided] == [
        "verify",
        "suspend",
        "reinstate",
    ]
    assert json.loads(decided[0].after) == {
        "decision": "verify",
        "status": "verified",
        "reason": "",
        "licence_number": "苏托备2026-031",
        "licence_seen": True,
        "health_certificates_seen": True,
        "premises_checked": True,
    }
    assert json.loads(decided[2].after)["premises_checked"] is True
    suspended = decided[1]
    assert json.loads(suspended.before) == {"status": "verified", "reason": ""}
    assert json.loads(suspended.after) == {
        "decision": "suspend",
        "status": "suspended",
        "reason": "投诉多",
    }
    assert {e.subject_id for e in decided} == {provider_owner.id}
    assert all(e.target == f"provider:{provider.id}" for e in decided)

    other = make_provider("第二家", status=ProviderStatus.APPLIED, owner=coordinator)
    with pytest.raises(NotAllowed):  # one's own: refused, and nothing written
        providers.reject_provider(other.id, by=coordinator, reason="x")
    assert len(entries(Action.PROVIDER_DECIDED)) == 3


def test_rejecting_is_audited(make_provider, coordinator):
    provider = make_provider("资质不全", status=ProviderStatus.APPLIED)
    providers.reject_provider(provider.id, by=coordinator, reason="没有执照")
    after = json.loads(only(Action.PROVIDER_DECIDED).after)
    assert after == {"decision": "reject", "status": "rejected", "reason": "没有执照"}


# --- subsidies --------------------------------------------------------------------------


def test_subsidy_rules_and_budgets_are_audited(community, coordinator):
    rule = subsidies.create_rule(
        community,
        by=coordinator,
        name="高龄助餐",
        category="meals",
        min_age=80,
        fen_per_unit=500,
        monthly_budget_fen=100000,
    )
    subsidies.change_budget(rule, 50000, by=coordinator)
    subsidies.deactivate_rule(rule, by=coordinator)
    created, budget, stopped = entries(Action.SUBSIDY_CHANGED)
    assert created.before == "" and json.loads(created.after)["monthly_budget_fen"] == 100000
    assert json.loads(budget.before)["monthly_budget_fen"] == 100000
    assert json.loads(budget.after)["monthly_budget_fen"] == 50000
    assert (json.loads(stopped.before)["is_active"], json.loads(stopped.after)["is_active"]) == (
        True,
        False,
    )
    assert {e.community_id for e in (created, budget, stopped)} == {community.id}
    assert {e.target for e in (created, budget, stopped)} == {f"subsidy_rule:{rule.id}"}


# --- acting for a resident --------------------------------------------------------------


def test_a_coordinator_booking_cancelling_and_confirming_for_a_resident_is_audited(
    elder, coordinator, provider_owner, cleaning, day, slots, make_booking
):
    booked = book(coordinator, cleaning, day, slots["morning"], resident_id=elder.id)
    transitions.cancel(booked, by=coordinator)
    accepted = make_booking(cleaning, elder, status="accepted", subsidy=False)
    accepted.delivered_at = utcnow()
    transitions.confirm(accepted, by=coordinator)
    acted = entries(Action.ACTED_FOR)
    assert [json.loads(e.after)["step"] for e in acted] == ["book", "cancel", "confirm"]
    assert {(e.actor_id, e.subject_id) for e in acted} == {(coordinator.id, elder.id)}
    assert [e.target for e in acted] == [
        f"booking:{booked.id}",
        f"booking:{booked.id}",
        f"booking:{accepted.id}",
    ]


def test_the_resident_and_family_acting_write_no_staff_entry(
    elder, family, cleaning, day, slots, make_booking
):
    own = book(elder, cleaning, day, slots["morning"])
    transitions.cancel(own, by=elder)
    for_mother = book(family, cleaning, day, slots["afternoon"], resident_id=elder.id)
    transitions.cancel(for_mother, by=family)
    done = completed_booking(make_booking, cleaning, elder)
    reviews.create_review(by=family, booking_id=done.id, stars=5)
    assert count() == 0


def test_a_coordinator_rating_and_disputing_for_a_resident_is_audited(
    elder, coordinator, cleaning, make_booking
):
    booking = completed_booking(make_booking, cleaning, elder)
    reviews.create_review(by=coordinator, booking_id=booking.id, stars=2)
    transitions.dispute(
        booking, by=coordinator, reason="没打扫厨房", now=booking.completed_at + timedelta(hours=1)
    )
    steps = [json.loads(e.after)["step"] for e in entries(Action.ACTED_FOR)]
    assert steps == ["rate", "dispute"]
