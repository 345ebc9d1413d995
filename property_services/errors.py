"""Errors the 物业+服务站 services raise; each carries a translated message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from errors import DomainError


class PropertyServicesError(DomainError):
    """Base of every 物业+服务站 rule violation (400 unless a subclass says otherwise)."""


class NotAllowed(PropertyServicesError):
    http_status = 403

    def __init__(self, message=None) -> None:
        super().__init__(message or _l("You may not do this."))


class NotFound(PropertyServicesError):
    http_status = 404

    def __init__(self, message=None) -> None:
        super().__init__(message or _l("Not found."))


class InvalidInput(PropertyServicesError):
    """A value the form let through but the rules refuse."""


class Conflict(PropertyServicesError):
    """The thing is already so, or changed under the user (paid already, linked already)."""

    http_status = 409
