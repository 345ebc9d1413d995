"""Changing a password: by the member, by a coordinator in person, or through a mailed link.

Every change ends the member's other sessions (community.sign_in.end_sessions).

- A member changes their own password, typing the current one (not when a
  coordinator's one-time code made them change it).
- A coordinator of the member's community (or the street admin) resets it in
  person: a one-time code, shown once, becomes the password, and the member must
  choose a new one at the next sign-in (``must_change_password``). Recorded.
- A member with an email asks for a link: signed, valid for an hour, and good
  once, because it carries a fingerprint of the password hash it may replace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, or_, select

from community import audit
from community.account_errors import (
    AccountChangeRefused,
    ResetLinkInvalid,
    WrongCurrentPassword,
)
from community.audit import Action
from community.errors import NotPermitted
from community.models import User, normalise_phone
from community.notification_models import OutboxEmail
from community.passwords import (
    check_new_password,
    hash_password,
    new_one_time_code,
    password_matches,
)
from community.reach import manages_account
from community.sign_in import end_sessions
from community.sign_in_limits import forget_failed_tries
from extensions import db
from jobs.queue import SEND_MAIL, enqueue

RESET_SALT = "linli.password-reset"


def _set_password(member: User, password: str) -> None:
    check_new_password(password, login_names=(member.phone, member.username))
    member.password_hash = hash_password(password)
    member.must_change_password = False
    end_sessions(member)


def change_own_password(member: User, *, current_password: str | None, new_password: str) -> None:
    """``member`` sets a new password, proving the current one (unless a one-time code
    made them change it). Ends every session of theirs (flushes).

    Raises WrongCurrentPassword and WeakPassword.
    """
    if not member.must_change_password and not password_matches(
        member.password_hash, current_password or ""
    ):
        raise WrongCurrentPassword()
    _set_password(member, new_password)


def reset_in_person(member: User, *, by: User) -> str:
    """A coordinator of ``member``'s community (or the street admin), with the member in
    front of them, replaces the password with a one-time code; the member must choose
    a new password at the next sign-in. Ends the member's sessions, lifts a sign-in
    lock, and records the reset. Returns the code (shown once, stored only hashed).

    Raises NotPermitted, and AccountChangeRefused for a member with no login name.
    """
    if not manages_account(by, member):
        raise NotPermitted(_l("Only a coordinator of this member's community may do this."))
    if not (member.phone or member.username):
        raise AccountChangeRefused(
            _l("This member has no phone number or username to sign in with.")
        )
    code = new_one_time_code()
    member.password_hash = hash_password(code)
    member.must_change_password = True
    end_sessions(member)
    forget_failed_tries(member)
    audit.record(
        Action.PASSWORD_RESET,
        actor=by,
        subject=member,
        target=f"user:{member.id}",
        after={"must_change_password": True, "how": "one-time code in person"},
    )
    return code


# --- the link by mail ---------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=RESET_SALT)


def _fingerprint(member: User) -> str:
    """Changes whenever the password does, so a link works once."""
    return hashlib.sha256((member.password_hash or "").encode()).hexdigest()[:20]


def reset_token(member: User) -> str:
    """A signed token for ``member``'s reset link (it expires with the configured age)."""
    return _serializer().dumps([member.id, _fingerprint(member)])


def member_for_token(token: str) -> User:
    """The member a reset link is for, if the link is ours, recent and unused.

    Raises ResetLinkInvalid otherwise (also for a suspended member).
    """
    max_age = current_app.config["PASSWORD_RESET_LINK_SECONDS"]
    try:
        member_id, fingerprint = _serializer().loads(token or "", max_age=max_age)
        member = db.session.get(User, int(member_id))
    except (BadSignature, ValueError, TypeError, OverflowError):
        raise ResetLinkInvalid() from None
    if member is None or not member.is_active_member or fingerprint != _fingerprint(member):
        raise ResetLinkInvalid()
    return member


def reset_with_link(token: str, new_password: str) -> User:
    """Set a new password through a reset link; the link stops working. Ends every
    session of the member (flushes).

    Raises ResetLinkInvalid and WeakPassword.
    """
    member = member_for_token(token)
    _set_password(member, new_password)
    return member


def _member_for_reset(typed: str) -> User | None:
    typed = (typed or "").strip()
    if not typed:
        return None
    return db.session.scalar(
        select(User)
        .where(
            or_(
                User.phone == normalise_phone(typed),
                User.username == typed,
                func.lower(User.email) == typed.lower(),
            )
        )
        .limit(1)
    )


def send_reset_link(typed: str, *, link_for: Callable[[str], str]) -> None:
    """If ``typed`` (phone number, username or email) names an active member with an
    email, queue a mail with a reset link (``link_for(token)`` makes its address).

    Says nothing either way, and sends nothing during the request (the outbox job
    sends it within minutes), so neither the answer nor its time tells whether an
    account exists.
    """
    member = _member_for_reset(typed)
    if member is None or not (member.email and member.is_active_member):
        return
    if not (member.phone or member.username):
        return  # a password they could not sign in with
    link = link_for(reset_token(member))
    minutes = current_app.config["PASSWORD_RESET_LINK_SECONDS"] // 60
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Linli: set a new password")
        body = "\n".join(
            [
                _("Dear %(name)s,", name=member.display_name),
                "",
                _("Someone asked to set a new password for your Linli account."),
                _(
                    "To choose a new password, open this link within %(minutes)s minutes:",
                    minutes=minutes,
                ),
                link,
                "",
                _("If it was not you, do nothing: your password stays as it is."),
                _("— Linli, your community time bank"),
            ]
        )
    # Sent by the worker (community.outbox), so this request takes no longer than any other.
    mail = OutboxEmail(user_id=member.id, to_address=member.email, subject=subject, body=body)
    db.session.add(mail)
    db.session.flush()
    enqueue(SEND_MAIL, outbox_id=mail.id)
