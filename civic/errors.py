"""Errors civic's services raise; each carries a translated message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from errors import DomainError


class CivicError(DomainError):
    """Base of every civic rule violation (400 unless a subclass says otherwise)."""


class NotAllowed(CivicError):
    http_status = 403

    def __init__(self, message=None) -> None:
        super().__init__(message if message is not None else _l("You may not do this."))


class NotFound(CivicError):
    http_status = 404

    def __init__(self, message=None) -> None:
        super().__init__(message if message is not None else _l("Not found."))


class InvalidInput(CivicError):
    """A value the form let through but the rules refuse."""


class Conflict(CivicError):
    """The thing changed under the user (already closed, already voted, merged)."""

    http_status = 409
