"""Writing one summary row: insert it, or add to it where it exists (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from timebank.summary_models import UNKNOWN_YEAR


def birth_year(birth_date: date | None) -> int:
    """The year a summary counts a birth date under (UNKNOWN_YEAR when it is missing)."""
    return birth_date.year if birth_date is not None else UNKNOWN_YEAR


def dialect_insert(connection: Connection):
    """The INSERT construct with ON CONFLICT for the connection's database."""
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


def upsert(connection: Connection, table, keys: dict, increments: dict, extra: dict | None = None):
    """Insert the row, or add ``increments`` to it (and set ``extra``) if it exists."""
    statement = dialect_insert(connection)(table).values(**keys, **increments, **(extra or {}))
    sets = {name: table.c[name] + statement.excluded[name] for name in increments}
    for name, value in (extra or {}).items():
        sets[name] = value
    connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=sets))
