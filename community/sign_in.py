"""Signing in, and the session version that ends every copy of a member's sessions.

A member's sessions and remember-me cookies carry "<id>.<session_version>"
(``User.get_id``); the user loader (community.current_member) accepts them only
while the version is the member's current one. Raising the version with
``end_sessions`` therefore signs the member out everywhere at once: on signing
out, a password change or reset, suspension and a role change.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from community.account_errors import AccountSuspended, WrongCredentials
from community.models import User, normalise_phone
from community.passwords import password_matches
from extensions import db


def find_by_login(login: str) -> User | None:
    """The member whose phone number or username is ``login`` (as typed), if any."""
    login = (login or "").strip()
    if not login:
        return None
    phone = normalise_phone(login)
    return db.session.scalar(
        select(User).where(or_(User.phone == phone, User.username == login)).limit(1)
    )


def authenticate(login: str, password: str) -> User:
    """The member signing in with ``login`` (phone number or username) and ``password``.

    The password is checked against a hash whether or not the member exists or has a
    password, so a wrong login costs as long as a wrong password. Raises
    WrongCredentials (401) without saying which was wrong, and AccountSuspended (403)
    when the password is right but the account is suspended.
    """
    member = find_by_login(login)
    if not password_matches(member.password_hash if member else None, password):
        raise WrongCredentials()
    assert member is not None  # a match needs a stored hash
    if not member.is_active_member:
        raise AccountSuspended()
    return member


def parse_session_id(session_id: str) -> tuple[int, int] | None:
    """(member id, session version) from a session id "<id>.<version>", else None."""
    member_id, dot, version = (session_id or "").partition(".")
    if not (dot and member_id.isdigit() and version.isdigit()) or len(member_id) > 18:
        return None
    return int(member_id), int(version)


def end_sessions(member: User) -> None:
    """End every session and remember-me cookie of ``member``, on every device (flushes).

    The version is raised in SQL, so two at once both end the old sessions.
    """
    member.session_version = User.session_version + 1
    db.session.flush()
