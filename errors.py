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
        super().__init__(str(message))
        self.message = message
