"""Sign-in limits: whose tries are counted, whether a member's sign-in is locked, and lifting it.

The limits themselves are Flask-Limiter's, declared on the sign-in and reset
views (community.auth_views); their counts live in the limiter's store (Redis
when REDIS_URL is set, else memory). Tries are counted per client address and
per login name as typed, normalised by ``login_name_key``: a member who signs in
with a phone number or a username has a count for each.

When the count for a member's name is full, their sign-in is "locked" until the
window moves on. An attacker can lock a member out that way, so a coordinator of
the member's community (or the street admin) sees the lock on the member's page
and may lift it (``unlock_sign_in``, recorded in the audit log).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse_many

from community import audit
from community.audit import Action
from community.errors import NotPermitted
from community.models import User, normalise_phone
from community.reach import coordinates
from extensions import limiter

# The scopes of the shared limits (part of each count's key in the store).
SIGN_IN_BY_NAME = "sign-in:name"
SIGN_IN_BY_ADDRESS = "sign-in:address"
RESET_BY_NAME = "password-reset:name"
RESET_BY_ADDRESS = "password-reset:address"
MAX_KEY_LENGTH = 64


def login_name_key(typed: str | None) -> str:
    """The name tries are counted under: as typed, without spaces, dashes or +86, in
    lowercase, so "139 1234 5678", "+86 13912345678" and "13912345678" count as one."""
    return normalise_phone((typed or "").strip()).casefold()[:MAX_KEY_LENGTH]


def member_name_keys(member: User) -> list[str]:
    """The names ``member`` can sign in with, as counted (phone number and username)."""
    keys = [login_name_key(name) for name in (member.phone, member.username) if name]
    return list(dict.fromkeys(key for key in keys if key))


def _limits_enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.initialized


def _name_limits() -> list[RateLimitItem]:
    return list(parse_many(current_app.config["SIGN_IN_LIMITS_PER_NAME"]))


def _identifiers(key: str, scope: str) -> list[str]:
    """The identifiers Flask-Limiter keys a shared limit's count with (its prefix first)."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [prefix, key, scope] if prefix else [key, scope]


def is_sign_in_locked(member: User) -> bool:
    """True if the failed tries counted for one of ``member``'s login names are at a limit."""
    if not _limits_enabled():
        return False
    strategy = limiter.limiter
    return any(
        not strategy.test(item, *_identifiers(key, SIGN_IN_BY_NAME))
        for key in member_name_keys(member)
        for item in _name_limits()
    )


def forget_failed_tries(member: User) -> None:
    """Clear the failed tries counted for ``member``'s login names (their sign-in opens)."""
    if not _limits_enabled():
        return
    strategy = limiter.limiter
    for key in member_name_keys(member):
        for item in _name_limits():
            strategy.clear(item, *_identifiers(key, SIGN_IN_BY_NAME))


def unlock_sign_in(member: User, *, by: User) -> bool:
    """A coordinator of ``member``'s community (or the street admin) lifts the lock on
    their sign-in, recorded in the audit log. Returns False (recording nothing) if the
    sign-in was not locked.

    Raises NotPermitted for anyone else.
    """
    if not coordinates(by, member):
        raise NotPermitted(_l("Only a coordinator of this member's community may do this."))
    if not is_sign_in_locked(member):
        return False
    forget_failed_tries(member)
    audit.record(
        Action.SIGN_IN_UNLOCKED,
        actor=by,
        subject=member,
        target=f"user:{member.id}",
        before={"sign_in_locked": True},
        after={"sign_in_locked": False},
    )
    return True
