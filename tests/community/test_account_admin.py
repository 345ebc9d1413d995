"""Suspension, reinstatement and roles: who may decide, what is recorded, and that each
ends the member's sessions (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from community.account_admin import (
    account_state,
    change_role,
    reinstate_member,
    suspend_member,
)
from community.account_errors import AccountChangeRefused
from community.audit import Action
from community.audit_models import AuditEntry
from community.errors import InvalidMember, NotPermitted
from community.models import Role, User
from community.reach import appoints_in, manages_account
from extensions import db


def version(member: User) -> int:
    db.session.expire(member)
    return member.session_version


def entries(action: Action) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def test_suspension_and_reinstatement_are_recorded_and_end_sessions(people):
    elder, coordinator = people["elder"], people["coordinator"]
    start = version(elder)
    suspend_member(elder, by=coordinator, reason="  phone   stolen ")
    assert not elder.is_active_member and version(elder) == start + 1
    reinstate_member(elder, by=coordinator)
    assert elder.is_active_member and version(elder) == start + 2
    [suspended] = entries(Action.MEMBER_SUSPENDED)
    [reinstated] = entries(Action.MEMBER_REINSTATED)
    assert json.loads(suspended.before) == {"active": True}
    assert json.loads(suspended.after) == {"active": False, "reason": "phone stolen"}
    assert json.loads(reinstated.after) == {"active": True}
    assert suspended.actor_id == coordinator.id and suspended.subject_id == elder.id


def test_the_page_shows_why_a_member_is_suspended(people):
    elder, coordinator = people["elder"], people["coordinator"]
    suspend_member(elder, by=coordinator, reason="moved away")
    state = account_state(coordinator, elder)
    assert state.suspension.reason == "moved away" and state.suspension.by == coordinator
    assert (state.may_suspend, state.may_reinstate) == (False, True)


def test_a_suspension_needs_a_reason_and_happens_once(people, english):
    elder, coordinator = people["elder"], people["coordinator"]
    with pytest.raises(InvalidMember, match="Say why"):
        suspend_member(elder, by=coordinator, reason="   ")
    with pytest.raises(InvalidMember, match="at most 200"):
        suspend_member(elder, by=coordinator, reason="x" * 201)
    suspend_member(elder, by=coordinator, reason="moved away")
    with pytest.raises(AccountChangeRefused):
        suspend_member(elder, by=coordinator, reason="again")
    reinstate_member(elder, by=coordinator)
    with pytest.raises(AccountChangeRefused):
        reinstate_member(elder, by=coordinator)
    assert len(entries(Action.MEMBER_SUSPENDED)) == 1


# who (actor) may suspend whom; everything else is refused
MAY_SUSPEND = {
    ("coordinator", "elder"),
    ("coordinator", "volunteer"),
    ("coordinator", "family"),
    ("street_admin", "elder"),
    ("street_admin", "volunteer"),
    ("street_admin", "family"),
    ("street_admin", "coordinator"),
    ("street_admin", "other_coordinator"),
}
ACTORS = [
    "elder",
    "volunteer",
    "coordinator",
    "other_coordinator",
    "street_admin",
    "far_coordinator",
    "far_street_admin",
]
MEMBERS = ["elder", "volunteer", "family", "coordinator", "other_coordinator", "street_admin"]


@pytest.mark.parametrize("who", ACTORS)
def test_who_may_suspend_whom(people, far_people, who):
    everyone = {**people, **far_people}
    actor = everyone[who]
    for whom in MEMBERS:
        member = everyone[whom]
        allowed = (who, whom) in MAY_SUSPEND
        assert manages_account(actor, member) is allowed, (who, whom)
        if allowed:
            suspend_member(member, by=actor, reason="test")
            reinstate_member(member, by=actor)
        else:
            with pytest.raises(NotPermitted):
                suspend_member(member, by=actor, reason="test")
            assert member.is_active_member


def test_a_street_admin_appoints_and_dismisses_coordinators(people):
    admin, volunteer = people["street_admin"], people["volunteer"]
    start = version(volunteer)
    change_role(volunteer, by=admin, role=Role.COORDINATOR)
    assert volunteer.role == Role.COORDINATOR and version(volunteer) == start + 1
    change_role(volunteer, by=admin, role=Role.MEMBER)
    assert volunteer.role == Role.MEMBER and version(volunteer) == start + 2
    first, second = entries(Action.ROLE_CHANGED)
    assert (json.loads(first.before), json.loads(first.after)) == (
        {"role": "member"},
        {"role": "coordinator"},
    )
    assert json.loads(second.after) == {"role": "member"}


@pytest.mark.parametrize(
    "who, whom, role",
    [
        ("coordinator", "volunteer", Role.COORDINATOR),  # coordinators appoint nobody
        ("other_coordinator", "coordinator", Role.MEMBER),
        ("far_street_admin", "volunteer", Role.COORDINATOR),  # another street
        ("street_admin", "street_admin", Role.MEMBER),  # never themself
        ("volunteer", "volunteer", Role.COORDINATOR),
    ],
)
def test_roles_are_only_the_street_admins_of_the_street(people, far_people, who, whom, role):
    everyone = {**people, **far_people}
    actor, member = everyone[who], everyone[whom]
    before = member.role
    assert not appoints_in(actor, member)
    with pytest.raises(NotPermitted):
        change_role(member, by=actor, role=role)
    assert member.role == before and entries(Action.ROLE_CHANGED) == []


def test_no_other_role_is_given_and_no_change_is_recorded_twice(people, far_people, english):
    admin = people["street_admin"]
    with pytest.raises(InvalidMember):
        change_role(people["volunteer"], by=admin, role=Role.STREET_ADMIN)
    with pytest.raises(AccountChangeRefused):
        change_role(people["coordinator"], by=admin, role=Role.COORDINATOR)
    assert entries(Action.ROLE_CHANGED) == []


def test_the_account_state_is_for_coordinators_of_the_member(people, far_people):
    elder = people["elder"]
    assert account_state(people["coordinator"], elder).may_reset_password
    admin_view = account_state(people["street_admin"], elder)
    assert admin_view.may_change_role and admin_view.may_suspend
    assert not account_state(people["coordinator"], elder).may_change_role
    for outsider in ("other_coordinator", "volunteer"):
        with pytest.raises(NotPermitted):
            account_state(people[outsider], elder)
    with pytest.raises(NotPermitted):
        account_state(far_people["far_street_admin"], elder)
