"""Every row of every table, read in one statement: what a request wrote, or did not.

The permission table and the fuzz of every route compare every table before and after
each request they send (thousands of them). A statement per table cost some 50 ms a
look on PostgreSQL, most of those tests' time; one statement for all of them reads the
same rows, each as its table's name and one text.
"""

from __future__ import annotations

import functools

from sqlalchemy import MetaData, String, cast, func, inspect, literal, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from extensions import db
from storage import read_only

# SQLite: a column's NULL, unlike any text it may hold ("" included), and what joins the
# columns of a row (the unit separator: in no column of a test's rows)
NULL = "(null)"
BETWEEN_COLUMNS = "\x1f"


def table_names() -> list[str]:
    """Every table of the database but Alembic's."""
    with read_only():
        return sorted(set(inspect(db.engine).get_table_names()) - {"alembic_version"})


@functools.cache
def _every_row(dialect: str, tables: tuple[str, ...]) -> Executable:
    """The one statement for ``tables`` on ``dialect``."""
    if dialect == "postgresql":
        # a row's own text ("(1,,\"\")": NULL and "" differ); PostgreSQL plans it in a few
        # ms, where casting each column took 40 ms of planning, more than 80 statements
        return text(
            " UNION ALL ".join(
                f"SELECT '{name}' AS name, t::text AS row FROM \"{name}\" AS t" for name in tables
            )
        )
    reflected = MetaData()  # each column cast to text and joined (read once a run)
    with read_only():  # a connection of its own: never wait for the caller's writes
        reflected.reflect(bind=db.engine, only=tables)
    parts = []
    for name in tables:
        table = reflected.tables[name]
        texts = [func.coalesce(cast(column, String), NULL) for column in table.columns]
        row = functools.reduce(lambda left, right: left + BETWEEN_COLUMNS + right, texts)
        parts.append(
            select(literal(name, String).label("name"), row.label("row")).select_from(table)
        )
    return union_all(*parts)


def table_rows(connection: Connection, tables: list[str]) -> dict[str, list[str]]:
    """Each of ``tables``' rows as text (sorted, so that where a row is stored does not
    count), by table name, read through ``connection`` in one statement."""
    rows: dict[str, list[str]] = {name: [] for name in tables}
    statement = _every_row(connection.dialect.name, tuple(tables))
    for name, row in connection.execute(statement):
        rows[name].append(row)
    return {name: sorted(found) for name, found in rows.items()}


def changed_tables(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ between two looks."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
