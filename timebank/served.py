"""People served, kept so that "elders served since a month" does not grow with them.

Each person served on a confirmed visit has one RecipientActivity row per community
(the last day served, and the birth date they are counted under), and stands in
exactly one ServedYear row (and, with a known birth date, one ServedDay row): the
month of that last day. A confirmation that moves someone's last day into a later
month moves them to that month's rows; a changed birth date moves them to the rows
of the new one. Both happen in the transaction of the change.

Lock order, after the other summaries (timebank.summaries): recipient_activity, then
served_years, then served_days, each by key.

A first visit is counted under the birth date its confirmation read while holding the
person's row (timebank.visits share-locks it before the ledger's locks); a birth-date
change locks that row too, so it either waits and then moves the visit, or comes first
and is read. (A new account's holder_birth_date is still read unlocked; ``flask ledger
verify`` would find the rare birth-date edit committed in between, and ``rebuild`` puts
it right.)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from community.models import User
from timebank.models import RecordStatus, ServiceRecord
from timebank.summary_models import RecipientActivity, ServedDay, ServedYear
from timebank.summary_rows import advance_last_served, birth_year, upsert
from timebank.summary_rows import as_date as _as_date

_activity = RecipientActivity.__table__
_years = ServedYear.__table__
_days = ServedDay.__table__

# (table name, key) → people to add; the key is (community, birth year or date, month)
ServedDeltas = dict[tuple[str, tuple], int]


def _add(deltas: ServedDeltas, community_id: int, born: date | None, month: date, people: int):
    keys = [("served_years", (community_id, birth_year(born), month))]
    if born is not None:
        keys.append(("served_days", (community_id, born, month)))
    for key in keys:
        deltas[key] = deltas.get(key, 0) + people


def _apply(connection: Connection, deltas: ServedDeltas) -> None:
    """Write the changes in the fixed lock order (years, then days, each by key)."""
    for (name, (community_id, born, month)), people in sorted(deltas.items()):
        if not people:
            continue
        table, birth = (_years, "birth_year") if name == "served_years" else (_days, "birth_date")
        upsert(
            connection,
            table,
            {"community_id": community_id, birth: born, "last_month": month},
            {"people": people},
        )


def count_served(
    connection: Connection,
    *,
    community_id: int,
    recipient_id: int,
    birth_date: date | None,
    service_date: date,
) -> None:
    """Count a confirmed visit to ``recipient_id``: a first one adds them to the month
    served; a later month moves them there. ``birth_date`` is used for a first visit only."""
    seen = advance_last_served(
        connection,
        _activity,
        {"community_id": community_id, "recipient_id": recipient_id},
        service_date,
        first={"birth_date": birth_date},
        columns=("birth_date",),
    )
    if seen.moved:
        counted_under = seen.values[0] and _as_date(seen.values[0])
        _apply(connection, _changes(community_id, counted_under, seen.before, service_date))


def _changes(community_id: int, born: date | None, last: date | None, now: date) -> ServedDeltas:
    deltas: ServedDeltas = {}
    if last is not None:
        _add(deltas, community_id, born, last.replace(day=1), -1)
    _add(deltas, community_id, born, now.replace(day=1), 1)
    return deltas


def move_birth_date(connection: Connection, recipient_id: int, birth_date: date | None) -> None:
    """Move someone served to the rows of their new birth date (in each community served)."""
    rows = connection.execute(
        select(_activity.c.community_id, _activity.c.last_served, _activity.c.birth_date)
        .where(
            _activity.c.recipient_id == recipient_id,
            _activity.c.birth_date.is_distinct_from(birth_date),
        )
        .order_by(_activity.c.community_id)
        .with_for_update()
    ).all()
    if not rows:
        return
    connection.execute(
        update(_activity)
        .where(_activity.c.recipient_id == recipient_id)
        .values(birth_date=birth_date)
    )
    deltas: ServedDeltas = {}
    for community_id, last, counted_under in rows:
        month = _as_date(last).replace(day=1)
        _add(deltas, community_id, counted_under and _as_date(counted_under), month, -1)
        _add(deltas, community_id, birth_date, month, 1)
    _apply(connection, deltas)


# --- A full recount ------------------------------------------------------------------------


def recount(session_or_connection) -> dict[str, dict]:
    """The three summaries from the confirmed visits and the people, by table and key."""
    rows = session_or_connection.execute(
        select(
            User.community_id,
            ServiceRecord.recipient_id,
            func.max(ServiceRecord.service_date),
            User.birth_date,
        )
        .select_from(ServiceRecord)
        .join(User, User.id == ServiceRecord.recipient_id)
        .where(ServiceRecord.status == RecordStatus.CONFIRMED)
        .group_by(User.community_id, ServiceRecord.recipient_id, User.birth_date)
    )
    activity: dict[tuple, tuple] = {}
    counts: dict[tuple[str, tuple], int] = defaultdict(int)
    for community_id, recipient_id, last, born in rows:
        last, born = _as_date(last), born and _as_date(born)
        activity[(community_id, recipient_id)] = (last, born)
        _add(counts, community_id, born, last.replace(day=1), 1)
    result: dict[str, dict] = {
        "recipient_activity": activity,
        "served_years": {},
        "served_days": {},
    }
    for (table, key), people in counts.items():
        result[table][key] = people
    return result


def stored(session_or_connection) -> dict[str, dict]:
    """The three summaries as stored (count rows left at zero left out)."""
    run = session_or_connection.execute
    return {
        "recipient_activity": {
            (cid, rid): (_as_date(last), born and _as_date(born))
            for cid, rid, last, born in run(select(*_activity.c))
        },
        "served_years": {
            (cid, year, _as_date(month)): people
            for cid, year, month, people in run(select(*_years.c))
            if people
        },
        "served_days": {
            (cid, _as_date(born), _as_date(month)): people
            for cid, born, month, people in run(select(*_days.c))
            if people
        },
    }


def rebuild(connection: Connection, counts: dict[str, dict]) -> None:
    """Replace the three summaries with ``counts`` (a ``recount``)."""
    for table in (_activity, _years, _days):
        connection.execute(delete(table))
    rows = [
        {"community_id": cid, "recipient_id": rid, "last_served": last, "birth_date": born}
        for (cid, rid), (last, born) in counts["recipient_activity"].items()
    ]
    if rows:
        connection.execute(_activity.insert(), rows)
    for table, birth in ((_years, "birth_year"), (_days, "birth_date")):
        rows = [
            {"community_id": cid, birth: born, "last_month": month, "people": people}
            for (cid, born, month), people in counts[table.name].items()
        ]
        if rows:
            connection.execute(table.insert(), rows)
