"""Staff decisions about a member's account: suspension, reinstatement and role.

Each is recorded in the audit log (with before and after) and ends the member's
sessions everywhere. Who may decide is community.reach's to say:
``manages_account`` for suspending and reinstating, ``appoints_in`` for roles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community import audit
from community.account_errors import AccountChangeRefused
from community.audit import Action
from community.audit_models import AuditEntry
from community.errors import InvalidMember, NotPermitted
from community.models import Role, User
from community.reach import appoints_in, coordinates, manages_account
from community.sign_in import end_sessions
from community.sign_in_limits import is_sign_in_locked
from extensions import db

MAX_REASON_LENGTH = 200
APPOINTABLE = (Role.MEMBER, Role.COORDINATOR)


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted(_l("Only a coordinator of this member's community may do this."))


def suspend_member(member: User, *, by: User, reason: str) -> None:
    """Suspend ``member``: they cannot sign in until reinstated, and every session of
    theirs ends. Recorded with the reason.

    Raises NotPermitted (see reach.manages_account), InvalidMember without a reason,
    and AccountChangeRefused if already suspended.
    """
    _refuse_unless(manages_account(by, member))
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidMember(_l("Say why the account is suspended."))
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidMember(
            _l("The reason can have at most %(n)s characters.", n=MAX_REASON_LENGTH)
        )
    if not member.is_active_member:
        raise AccountChangeRefused(_l("This account is suspended already."))
    member.is_active_member = False
    end_sessions(member)
    audit.record(
        Action.MEMBER_SUSPENDED,
        actor=by,
        subject=member,
        target=f"user:{member.id}",
        before={"active": True},
        after={"active": False, "reason": reason},
    )


def reinstate_member(member: User, *, by: User) -> None:
    """Lift ``member``'s suspension (they sign in again with their password). Recorded.

    Raises NotPermitted and AccountChangeRefused if not suspended.
    """
    _refuse_unless(manages_account(by, member))
    if member.is_active_member:
        raise AccountChangeRefused(_l("This account is not suspended."))
    member.is_active_member = True
    end_sessions(member)
    audit.record(
        Action.MEMBER_REINSTATED,
        actor=by,
        subject=member,
        target=f"user:{member.id}",
        before={"active": False},
        after={"active": True},
    )


def change_role(member: User, *, by: User, role: str) -> None:
    """A street admin makes ``member`` (of their street) a coordinator of the member's
    own community, or an ordinary member again. Ends the member's sessions. Recorded.

    Raises NotPermitted (see reach.appoints_in), InvalidMember for another role, and
    AccountChangeRefused if the member has that role already.
    """
    if not appoints_in(by, member):
        raise NotPermitted(_l("Only a street admin of this member's street may change roles."))
    if role not in APPOINTABLE:
        raise InvalidMember(_l("A member can be made a coordinator or an ordinary member."))
    if member.role == role:
        raise AccountChangeRefused(_l("This member has that role already."))
    before = member.role
    member.role = role
    end_sessions(member)
    audit.record(
        Action.ROLE_CHANGED,
        actor=by,
        subject=member,
        target=f"user:{member.id}",
        before={"role": str(before)},
        after={"role": str(role)},
    )


# --- what the member's page offers --------------------------------------------------


@dataclass(frozen=True)
class Suspension:
    """The last suspension of a member: why, when and by whom (from the audit log)."""

    reason: str
    at: datetime
    by: User | None


@dataclass(frozen=True)
class AccountState:
    """A member's account as one staff member sees it, and what they may do with it."""

    sign_in_locked: bool
    suspension: Suspension | None
    may_unlock: bool
    may_reset_password: bool
    may_suspend: bool
    may_reinstate: bool
    may_change_role: bool


def last_suspension(member: User) -> Suspension | None:
    """Why and when ``member`` was last suspended, if they are suspended now."""
    if member.is_active_member:
        return None
    entry = db.session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.subject_id == member.id,
            AuditEntry.action == str(Action.MEMBER_SUSPENDED),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    try:
        reason = str(json.loads(entry.after or "{}").get("reason", ""))
    except (ValueError, AttributeError):
        reason = ""
    return Suspension(reason=reason, at=entry.created_at, by=entry.actor)


def account_state(actor: User, member: User) -> AccountState:
    """``member``'s account (lock, suspension) and the account actions open to ``actor``.

    Raises NotPermitted unless ``actor`` coordinates the member's community.
    """
    _refuse_unless(coordinates(actor, member))
    locked = is_sign_in_locked(member)
    manages = manages_account(actor, member)
    return AccountState(
        sign_in_locked=locked,
        suspension=last_suspension(member),
        may_unlock=locked,
        may_reset_password=manages and bool(member.phone or member.username),
        may_suspend=manages and member.is_active_member,
        may_reinstate=manages and not member.is_active_member,
        may_change_role=appoints_in(actor, member),
    )
