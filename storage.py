"""Database engine settings that the ledger's invariants rely on.

SQLite: WAL with synchronous=FULL (a committed transfer survives power loss),
foreign keys on, and writers serialised by ``BEGIN IMMEDIATE`` so that two
transfers can never read the same balance. Read-only requests begin a plain
deferred transaction so they never wait for writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

# True when the current unit of work may write; read by the SQLite BEGIN hook.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    """Install the per-dialect connection settings on ``engine``."""
    if engine.dialect.name != "sqlite":
        return
    if getattr(engine, "_linli_configured", False):
        return
    engine._linli_configured = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # pragma: no cover - driver hook
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def writes_on_get(view):
    """Mark a GET view that writes (e.g. starts a card payment), so that on SQLite its
    transaction begins as a writer instead of failing to upgrade from a reader."""
    view.writes_on_get = True
    return view


@contextmanager
def read_only() -> Iterator[None]:
    """Mark the work inside as read-only (a deferred SQLite transaction)."""
    token = write_intent.set(False)
    try:
        yield
    finally:
        write_intent.reset(token)
