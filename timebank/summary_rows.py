"""Writing one summary row: insert it, or add to it where it exists (PostgreSQL and SQLite)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select, update
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


def as_date(value) -> date:
    """A date column's value as a date (the raw SQLite driver returns text where
    SQLAlchemy does not convert it)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class LastServed:
    """What ``advance_last_served`` found: the last day before (None: a new row), the
    asked ``columns`` of the row as they were, and whether the last day moved."""

    before: date | None
    values: tuple
    moved: bool


def advance_last_served(
    connection: Connection,
    table,
    keys: dict,
    day: date,
    *,
    first: dict | None = None,
    columns: tuple[str, ...] = (),
    increments: dict | None = None,
) -> LastServed:
    """Lock the row of ``keys`` in ``table`` and move its last_served to ``day`` if that is
    later, adding ``increments`` either way; insert it (with ``first`` and
    ``increments``) if it is missing. A row another transaction inserts meanwhile is
    waited for and then moved like any other.
    """
    is_row = and_(*(table.c[name] == value for name, value in keys.items()))
    locked = (
        select(table.c.last_served, *(table.c[name] for name in columns))
        .where(is_row)
        .with_for_update()
    )
    row = connection.execute(locked).first()
    if row is None:
        inserted = connection.execute(
            dialect_insert(connection)(table)
            .values(**keys, last_served=day, **(first or {}), **(increments or {}))
            .on_conflict_do_nothing()
            .returning(table.c.last_served)
        ).first()
        if inserted is not None:
            return LastServed(None, tuple((first or {}).get(name) for name in columns), True)
        row = connection.execute(locked).one()
    before = as_date(row[0])
    changes = {name: table.c[name] + amount for name, amount in (increments or {}).items()}
    if day > before:
        changes["last_served"] = day
    if changes:
        connection.execute(update(table).where(is_row).values(**changes))
    return LastServed(before, tuple(row[1:]), day > before)
