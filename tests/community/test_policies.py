"""Community policies: who sets them, what values are refused, and that
accounts never end up outside the limits."""

import json

import pytest
from sqlalchemy import select

from community.audit import Action, verify_audit_chain
from community.audit_models import AuditEntry
from community.errors import NotPermitted
from community.models import Role
from community.policies import InvalidPolicy, update_policy
from extensions import db
from tests.conftest import csrf_token, login
from timebank.accounts import community_account, member_account
from timebank.errors import AboveCap, BelowFloor
from timebank.ledger import post_transfer
from timebank.models import AccountKind
from timebank.verify import verify_ledger

GOOD = dict(
    floor_minutes=0,
    storage_cap_minutes=1500 * 60,
    daily_earning_cap_minutes=8 * 60,
    redeem_min_age=65,
    hardship_redeem_min_age=60,
    elder_services_paid_by="guarantee",
    gift_recipients="family",
)


@pytest.fixture
def street_admin(make_member):
    return make_member("街道管理员", age=45, role=Role.STREET_ADMIN)


def test_street_admin_changes_the_rules(community, street_admin):
    update_policy(community, by=street_admin, **{**GOOD, "gift_recipients": "anyone"})
    assert community.gift_recipients == "anyone"


def test_coordinator_may_not_change_the_rules(community, coordinator):
    with pytest.raises(NotPermitted):
        update_policy(community, by=coordinator, **GOOD)


def test_admin_of_another_street_may_not(make_community, community, make_member):
    from community.models import Street

    other_street = Street(name="双塔街道")
    db.session.add(other_street)
    db.session.flush()
    from community.services import found_community

    elsewhere = found_community(street_id=other_street.id, name="别处社区")
    outsider = make_member(community=elsewhere, role=Role.STREET_ADMIN)
    with pytest.raises(NotPermitted):
        update_policy(community, by=outsider, **GOOD)


@pytest.mark.parametrize(
    "change",
    [
        {"floor_minutes": 60},
        {"storage_cap_minutes": 0},
        {"daily_earning_cap_minutes": 25 * 60},
        {"hardship_redeem_min_age": 70},
        {"elder_services_paid_by": "nobody"},
        {"gift_recipients": "strangers"},
    ],
)
def test_impossible_rules_are_refused(community, street_admin, change):
    with pytest.raises(InvalidPolicy):
        update_policy(community, by=street_admin, **{**GOOD, **change})
    assert community.storage_cap_minutes == 1500 * 60


def test_cap_below_a_members_balance_is_refused(community, street_admin, make_member):
    rich = make_member("张存时", age=60)
    post_transfer(
        from_account_id=community_account(community.id, AccountKind.GUARANTEE).id,
        to_account_id=member_account(rich).id,
        minutes=600,
        kind="grant",
        idempotency_key="seed-rich",
        entered_by=street_admin,
    )
    with pytest.raises(AboveCap):
        update_policy(community, by=street_admin, **{**GOOD, "storage_cap_minutes": 300})
    db.session.rollback()
    assert verify_ledger(db.session) == []


def test_floor_above_an_overdrawn_member_is_refused(community, street_admin, make_member):
    update_policy(community, by=street_admin, **{**GOOD, "floor_minutes": -120})
    debtor, friend = make_member("欠时人"), make_member("朋友")
    post_transfer(
        from_account_id=member_account(debtor).id,
        to_account_id=member_account(friend).id,
        minutes=100,
        kind="gift",
        idempotency_key="overdraw",
        entered_by=debtor,
    )
    with pytest.raises(BelowFloor):
        update_policy(community, by=street_admin, **{**GOOD, "floor_minutes": 0})


def test_policy_page_is_for_street_admins_only(client, community, coordinator):
    login(client, coordinator)
    assert client.get(f"/admin/communities/{community.id}/policy").status_code == 403
    assert client.get("/admin/").status_code == 403


def test_policy_page_saves_and_rejects_bad_input(client, community, street_admin):
    login(client, street_admin)
    page = client.get("/admin/")
    assert page.status_code == 200 and community.name in page.get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(client, f"/admin/communities/{community.id}/policy"),
        "floor_hours": "2",
        "storage_cap_hours": "1000",
        "daily_cap_hours": "6",
        "redeem_min_age": "60",
        "hardship_redeem_min_age": "55",
        "elder_services_paid_by": "elder",
        "gift_recipients": "anyone",
    }
    bad = client.post(
        f"/admin/communities/{community.id}/policy", data={**form, "daily_cap_hours": "30"}
    )
    assert bad.status_code == 400
    db.session.refresh(community)
    assert community.daily_earning_cap_minutes == 8 * 60
    good = client.post(f"/admin/communities/{community.id}/policy", data=form)
    assert good.status_code == 302
    db.session.refresh(community)
    assert (community.floor_minutes, community.storage_cap_minutes) == (-120, 60000)
    assert community.elder_services_paid_by == "elder"


# --- the audit log ------------------------------------------------------------------------


def policy_entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_change_goes_into_the_audit_log_with_before_and_after(community, street_admin):
    update_policy(community, by=street_admin, **GOOD)
    before = len(policy_entries())
    update_policy(
        community,
        by=street_admin,
        **{**GOOD, "storage_cap_minutes": 1200 * 60, "gift_recipients": "anyone"},
    )
    entries = policy_entries()
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.action == Action.POLICY_CHANGED
    assert (entry.actor_id, entry.subject_id) == (street_admin.id, None)
    assert (entry.community_id, entry.street_id) == (community.id, community.street_id)
    assert entry.target == f"community:{community.id}"
    assert json.loads(entry.before) == {"storage_cap_minutes": 90000, "gift_recipients": "family"}
    assert json.loads(entry.after) == {"storage_cap_minutes": 72000, "gift_recipients": "anyone"}
    assert verify_audit_chain(db.session) is None


def test_saving_the_same_rules_again_records_nothing(community, street_admin):
    update_policy(community, by=street_admin, **GOOD)
    before = len(policy_entries())
    update_policy(community, by=street_admin, **GOOD)
    assert len(policy_entries()) == before


def test_a_refused_change_records_nothing(community, street_admin, coordinator):
    with pytest.raises(InvalidPolicy):
        update_policy(community, by=street_admin, **{**GOOD, "daily_earning_cap_minutes": 0})
    with pytest.raises(NotPermitted):
        update_policy(community, by=coordinator, **{**GOOD, "redeem_min_age": 70})
    assert policy_entries() == []


def test_the_policy_page_records_who_changed_what(client, community, street_admin):
    login(client, street_admin)
    form = {
        "csrf_token": csrf_token(client, f"/admin/communities/{community.id}/policy"),
        "floor_hours": "0",
        "storage_cap_hours": "1500",
        "daily_cap_hours": "8",
        "redeem_min_age": "70",
        "hardship_redeem_min_age": "60",
        "elder_services_paid_by": "guarantee",
        "gift_recipients": "family",
    }
    assert client.post(f"/admin/communities/{community.id}/policy", data=form).status_code == 302
    (entry,) = policy_entries()
    assert entry.actor_id == street_admin.id
    assert json.loads(entry.after) == {"redeem_min_age": 70}


@pytest.mark.parametrize("community_id", [2**31, 2**63, 2**70])
def test_a_community_id_past_the_integer_range_is_not_found(client, street_admin, community_id):
    login(client, street_admin)
    assert client.get(f"/admin/communities/{community_id}/policy").status_code == 404
