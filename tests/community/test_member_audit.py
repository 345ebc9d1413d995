"""A coordinator's changes to members and family links go into the audit log, with who,
for whom, and what before and after; what members do for themselves does not."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from community.audit import verify_audit_chain
from community.audit_models import AuditEntry
from community.family import (
    consent_family_link,
    decline_family_link,
    end_family_link,
    request_family_link,
)
from community.services import create_member, link_family, update_member_flags
from extensions import db

pytestmark = pytest.mark.usefixtures("english")


def entries(action: str) -> list[AuditEntry]:
    found = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )
    assert verify_audit_chain(db.session) is None
    return found


def facts(text: str) -> dict:
    return json.loads(text) if text else {}


def test_a_member_created_by_a_coordinator_is_audited(community, coordinator):
    elder = create_member(
        by=coordinator,
        community=community,
        display_name="李奶奶",
        birth_date=date(1938, 5, 1),
        is_priority=True,
    )
    [entry] = entries("member_created")
    assert (entry.actor_id, entry.subject_id, entry.community_id) == (
        coordinator.id,
        elder.id,
        community.id,
    )
    assert entry.target == f"user:{elder.id}"
    assert facts(entry.after) == {
        "is_volunteer": False,
        "is_priority": True,
        "has_hardship": False,
        "birth_date": "1938-05-01",
        "role": "member",
        "signs_in": False,
    }


def test_a_member_who_joins_by_themself_is_not_a_staff_action(community):
    create_member(by=None, community=community, display_name="自己注册")
    assert entries("member_created") == []


def test_flag_and_birth_date_changes_are_audited_before_and_after(elder, coordinator):
    update_member_flags(
        elder,
        by=coordinator,
        is_volunteer=False,
        is_priority=True,
        has_hardship=True,
        birth_date=date(1940, 2, 3),
    )
    [entry] = entries("member_flags_changed")
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
    assert facts(entry.before) == {
        "is_priority": False,
        "has_hardship": False,
        "birth_date": f"{date.today().year - 82}-01-01",
    }
    assert facts(entry.after) == {
        "is_priority": True,
        "has_hardship": True,
        "birth_date": "1940-02-03",
    }


def test_saving_unchanged_flags_writes_nothing(elder, coordinator):
    update_member_flags(
        elder, by=coordinator, is_volunteer=False, is_priority=False, has_hardship=False
    )
    assert entries("member_flags_changed") == []


@pytest.fixture
def daughter(make_member):
    return make_member("王小红", age=45)


def test_a_coordinator_consenting_for_the_elder_is_audited(daughter, elder, coordinator):
    asked = request_family_link(by=daughter, elder=elder, relation="女儿", may_receive_gifts=False)
    consent_family_link(
        asked,
        by=coordinator,
        may_book=True,
        may_confirm=False,
        may_receive_gifts=False,
        checked_in_person=True,
    )
    [entry] = entries("family_link_consented")
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
    assert entry.target == f"family_link:{asked.id}"
    assert facts(entry.after) == {
        "relative": daughter.id,
        "relation": "女儿",
        "may_book": True,
        "may_confirm": False,
        "may_receive_gifts": False,
    }


def test_the_elder_consenting_is_not_a_staff_action(daughter, elder):
    link_family(by=elder, elder=elder, relative=daughter)
    assert entries("family_link_consented") == []


def test_a_coordinator_ending_or_declining_a_link_is_audited(
    daughter, elder, coordinator, make_member
):
    link = link_family(by=elder, elder=elder, relative=daughter, may_book=False)
    end_family_link(link, by=coordinator)
    nephew = make_member("侄子", age=30)
    asked = request_family_link(by=nephew, elder=elder)
    decline_family_link(asked, by=coordinator)
    ended, declined = entries("family_link_ended")
    assert (ended.actor_id, ended.subject_id, ended.target) == (
        coordinator.id,
        elder.id,
        f"family_link:{link.id}",
    )
    assert facts(ended.before) == {
        "status": "active",
        "relative": daughter.id,
        "may_book": False,
        "may_confirm": True,
        "may_receive_gifts": True,
    }
    assert facts(ended.after) == {"status": "revoked"}
    assert facts(declined.before)["status"] == "requested"


def test_the_relative_ending_their_own_link_is_not_a_staff_action(daughter, elder):
    link = link_family(by=elder, elder=elder, relative=daughter)
    end_family_link(link, by=daughter)
    assert entries("family_link_ended") == []
