"""Errors the time bank's services raise; each carries a translated message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from errors import DomainError


class TimebankError(DomainError):
    """Base of every time-bank rule violation."""


class NotAllowed(TimebankError):
    http_status = 403

    def __init__(self, message=None) -> None:
        super().__init__(message if message is not None else _l("You may not do this."))


class NotFound(TimebankError):
    http_status = 404

    def __init__(self, message=None) -> None:
        super().__init__(message if message is not None else _l("Not found."))


class InvalidAmount(TimebankError):
    """Zero, negative or absurd minutes."""


class SelfTransfer(TimebankError):
    def __init__(self) -> None:
        super().__init__(_l("You cannot give hours to yourself."))


class UnknownMember(TimebankError):
    http_status = 404

    def __init__(self, who: str = "") -> None:
        super().__init__(_l("No member found for “%(who)s”.", who=who))


class BelowFloor(TimebankError):
    http_status = 409


class AboveCap(TimebankError):
    http_status = 409


class DailyCapReached(TimebankError):
    http_status = 409


class RedeemAgeNotReached(TimebankError):
    http_status = 409


class AlreadySubmitted(TimebankError):
    """The idempotency key was used before: the form was double-clicked or replayed."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__(_l("This form was already sent once. Nothing was recorded twice."))


class AlreadySettled(TimebankError):
    http_status = 409

    def __init__(self, message=None) -> None:
        super().__init__(message if message is not None else _l("This has already been settled."))


class InvalidVisit(TimebankError):
    """A visit whose date, times or category make no sense."""


class InvalidRequest(TimebankError):
    """A request for help or an offer whose date, times, place or category make no sense."""
