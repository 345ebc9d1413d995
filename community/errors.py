"""Errors the community services raise."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from errors import DomainError


class CommunityError(DomainError):
    """Base of every community rule violation."""


class NotPermitted(CommunityError):
    http_status = 403

    def __init__(self, message=None) -> None:
        super().__init__(message if message is not None else _l("You may not do this."))


class MemberNotFound(CommunityError):
    http_status = 404

    def __init__(self, who: str = "") -> None:
        super().__init__(_l("No member found for “%(who)s”.", who=who))


class InvalidMember(CommunityError):
    """A phone number, username or birth date that cannot be right."""


class PossibleDuplicate(CommunityError):
    """The new member may already have an account in the actor's reach.

    ``matches`` are community.services.LikelyDuplicate rows naming whom and why. Only a
    match by name and birth date may be overridden ("this is a different person"); one
    phone number is never two members'.
    """

    http_status = 409

    def __init__(self, matches: list) -> None:
        self.matches = matches
        self.phone_taken = any(match.same_phone for match in matches)
        if self.phone_taken:
            message = _l(
                "This phone number is already a member's. One phone number belongs to one "
                "member: open their page, or enter another number or none."
            )
        else:
            message = _l(
                "Someone with this name and birth date already has an account. Open their "
                "page to check. If this is a different person, tick the box and open the "
                "account again."
            )
        super().__init__(message)
