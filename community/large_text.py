"""Large text (长辈版): a member's setting, kept across sign-ins and devices.

A member turns it on or off for themself; a coordinator of their community can set
it for an elder (recorded in the audit log). A visitor's choice lives in a cookie,
which also carries it into the sign-in: an elder who pressed "长辈版" to read the
sign-in page keeps large text once signed in.
"""

from __future__ import annotations

from flask import Request, Response, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from community import audit
from community.audit import Action
from community.errors import NotPermitted
from community.models import User
from community.reach import coordinates
from extensions import db

COOKIE = "linli_large_text"
COOKIE_SECONDS = 365 * 24 * 3600  # a device's choice, kept for a year


def set_large_text(member: User, on: bool, *, by: User) -> None:
    """Turn large text on or off for ``member``, by themself or by a coordinator of their
    community (recorded as acting for them). Raises NotPermitted for anyone else."""
    if by.id != member.id and not coordinates(by, member):
        raise NotPermitted(_l("Only the member or a coordinator of their community can do this."))
    if member.large_text == on:
        return
    member.large_text = on
    db.session.flush()
    if by.id != member.id:
        audit.record(
            Action.ACTED_FOR,
            actor=by,
            subject=member,
            target=f"user:{member.id}",
            before={"large_text": not on},
            after={"did": "large_text_set", "large_text": on},
        )


def device_wants_large_text(request: Request) -> bool:
    """Whether this browser's cookie asks for large text (a visitor's choice)."""
    return request.cookies.get(COOKIE) == "1"


def carry_into_sign_in(member: User, request: Request) -> bool:
    """The member just signed in on a browser whose visitor chose large text: keep it as
    their setting, on every device from now on. True if that changed the setting (the
    caller commits)."""
    if member.large_text or not device_wants_large_text(request):
        return False
    set_large_text(member, True, by=member)
    return True


def remember_on_device(response: Response, on: bool) -> None:
    """Keep the choice in this browser, for its sign-in page and next visits."""
    response.set_cookie(
        COOKIE, "1" if on else "0", max_age=COOKIE_SECONDS, httponly=True, samesite="Lax"
    )


def large_text_shown() -> bool:
    """Whether this request's pages are in large text: the signed-in member's setting,
    else this browser's choice."""
    if current_user.is_authenticated:
        return bool(current_user.large_text)
    return device_wants_large_text(request)
