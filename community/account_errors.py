"""Errors of signing in, passwords and account administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from community.errors import CommunityError, InvalidMember


class WrongCredentials(CommunityError):
    """The login name or password is not right (which one is never said)."""

    http_status = 401

    def __init__(self) -> None:
        super().__init__(_l("The phone number, username or password is not right."))


class AccountSuspended(CommunityError):
    """The password was right, but a coordinator has suspended the account."""

    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            _l("This account is paused. Please ask your community office what to do next.")
        )


class WeakPassword(InvalidMember):
    """A new password that the policy refuses (too short, too common, the login name)."""


class WrongCurrentPassword(CommunityError):
    """The member's current password, typed to change it, is not right."""

    http_status = 401

    def __init__(self) -> None:
        super().__init__(_l("Your current password is not right."))


class ResetLinkInvalid(CommunityError):
    """A password reset link that expired, was used already, or was never ours."""

    http_status = 400

    def __init__(self) -> None:
        super().__init__(
            _l(
                "This link no longer works: it is more than an hour old or was used already. "
                "Please ask for a new one."
            )
        )


class AccountChangeRefused(CommunityError):
    """An account change that does not apply to this member (already suspended, no login…)."""

    http_status = 409
