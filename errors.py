"""The base of every domain error the services raise.

Each package subclasses DomainError; views show ``message`` (a lazy,
translated string) with ``http_status``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. ``message`` is shown to the user in their language."""

    http_status = 400

    def __init__(self, message: Any) -> None:
        # Kept lazy: a rule asked only whether an action is open (e.g. a button on every
        # row of a list) raises and catches errors whose text no one reads; str(error)
        # translates it when someone does.
        super().__init__(message)
        self.message = message
