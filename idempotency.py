"""One form, one row: inserting a row whose idempotency key must be unique.

A service first looks the key up and refuses a form sent before; but two
copies of one form sent at the same moment (a double tap, a phone retrying)
both look before either has committed. Under PostgreSQL's READ COMMITTED the
second insert then waits for the first to commit and meets the unique index.
That violation is the answer "already sent", not a server error: ``add_once``
turns it into the service's own AlreadySubmitted-style error.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from errors import DomainError
from extensions import db


def is_key_violation(error: IntegrityError) -> bool:
    """True if ``error`` is a unique violation on an ``idempotency_key`` column.

    SQLite names the column ("UNIQUE constraint failed: aid_requests.idempotency_key"),
    PostgreSQL the index ("…_idempotency_key_key" or "uq_…_idempotency_key").
    """
    return "idempotency_key" in str(error.orig)


def add_once(row: object, already: Callable[[], DomainError]) -> None:
    """Add ``row`` and write it now, in a savepoint.

    Raises ``already()`` (e.g. AlreadySubmitted, 409) when a row with the same
    idempotency key was committed meanwhile; the session stays usable. Any other
    integrity error is raised as it is.
    """
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as error:
        if not is_key_violation(error):
            raise
        raise already() from error
