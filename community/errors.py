"""Errors the community services raise."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from errors import DomainError


class CommunityError(DomainError):
    """Base of every community rule violation."""


class NotPermitted(CommunityError):
    http_status = 403

    def __init__(self, message=None) -> None:
        super().__init__(message or _l("You may not do this."))


class MemberNotFound(CommunityError):
    http_status = 404

    def __init__(self, who: str = "") -> None:
        super().__init__(_l("No member found for “%(who)s”.", who=who))


class InvalidMember(CommunityError):
    """A phone number, username or birth date that cannot be right."""
