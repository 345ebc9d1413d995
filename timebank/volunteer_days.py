"""Active volunteers, kept so that counting them does not grow with them.

Each volunteer has one VolunteerActivity row per community they served (their last
day served there) and one StreetVolunteerActivity row per street, and stands in
exactly one VolunteerDay row of that community and one StreetVolunteerDay row of
that street: the day of that last visit. A confirmation that moves a volunteer's
last day moves them to the later day's rows, in the transaction of the
confirmation. "Volunteers active in the past 30 days" is then a sum over at most
30 rows per community.

Lock order (within timebank.summaries' order): volunteer_activity, volunteer_days,
street_volunteer_activity, street_volunteer_days, each by key.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from timebank.summary_models import (
    StreetVolunteerActivity,
    StreetVolunteerDay,
    VolunteerActivity,
    VolunteerDay,
)
from timebank.summary_rows import advance_last_served, as_date, upsert

_activity = VolunteerActivity.__table__
_street_activity = StreetVolunteerActivity.__table__
_days = VolunteerDay.__table__
_street_days = StreetVolunteerDay.__table__


def _move(connection: Connection, table, scope: dict, before: date | None, day: date) -> None:
    """Move one volunteer from the ``before`` row (none: a new one) to the ``day`` row."""
    if before is not None:
        upsert(connection, table, {**scope, "day": before}, {"volunteers": -1})
    upsert(connection, table, {**scope, "day": day}, {"volunteers": 1})


def count_volunteer(
    connection: Connection,
    *,
    community_id: int,
    street_id: int,
    volunteer_id: int,
    service_date: date,
) -> None:
    """Count a confirmed visit by ``volunteer_id`` to someone of ``community_id``: one more
    visit, and the volunteer's last day there and in the street moved to
    ``service_date`` when it is later."""
    for activity, days, scope in (
        (_activity, _days, {"community_id": community_id}),
        (_street_activity, _street_days, {"street_id": street_id}),
    ):
        seen = advance_last_served(
            connection,
            activity,
            {**scope, "volunteer_id": volunteer_id},
            service_date,
            increments={"visits": 1} if activity is _activity else None,
        )
        if seen.moved:
            _move(connection, days, scope, seen.before, service_date)


def recount(activity: dict, street_activity: dict) -> dict[str, dict]:
    """The day rows from recounted last days: ``activity`` maps (community, volunteer) to
    (last day, visits), ``street_activity`` (street, volunteer) to the last day."""
    days = Counter((cid, as_date(last)) for (cid, _v), (last, _n) in activity.items())
    street_days = Counter((sid, as_date(last)) for (sid, _v), last in street_activity.items())
    return {"volunteer_days": dict(days), "street_volunteer_days": dict(street_days)}


def stored(session_or_connection) -> dict[str, dict]:
    """The day rows as stored (rows left at zero left out)."""
    run = session_or_connection.execute
    return {
        name: {(scope, as_date(day)): n for scope, day, n in run(select(*table.c)) if n}
        for name, table in (("volunteer_days", _days), ("street_volunteer_days", _street_days))
    }


def rebuild(connection: Connection, counts: dict[str, dict]) -> None:
    """Replace the day rows with ``counts`` (a ``recount``)."""
    for table, scope in ((_days, "community_id"), (_street_days, "street_id")):
        connection.execute(delete(table))
        rows = [
            {scope: key, "day": day, "volunteers": n}
            for (key, day), n in counts[table.name].items()
        ]
        if rows:
            connection.execute(table.insert(), rows)
