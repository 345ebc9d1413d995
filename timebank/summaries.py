"""Keeping the summary rows (timebank/summary_models.py) equal to what they count.

Every change is made in the transaction of the change it counts:
- the ledger moves member balances between summary rows as it posts
  (``member_balance_deltas`` and ``apply_member_deltas``, after it has locked
  the accounts);
- a confirmed visit adds its minutes, and its volunteer's and recipient's last day
  served (``count_confirmed_visit``);
- new residents, accounts and changed birth dates, roles or suspensions are
  counted by a flush listener (``connect_summaries``), whatever code made them.

Lock order: a transaction locks a person's row first (a birth-date change, or a
confirmation holding the person served), then the accounts (the ledger locks them),
then summary rows in one fixed order: member_years, member_days (each by key),
visit_months, recipient_months, then the active volunteers
(timebank.volunteer_days: volunteer_activity, volunteer_days, street_volunteer_activity,
street_volunteer_days), then the people served
(timebank.served: recipient_activity, served_years, served_days). Two writers may wait for each other's
summary row, never in a cycle.

``recount`` computes every summary from scratch; ``flask ledger verify``
compares it with the stored rows, and the scale seed writes it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, extract, func, literal, select, true, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.util import identity_key

from community.models import Community, Role, User
from timebank import served, volunteer_days
from timebank.models import Account, AccountKind, RecordStatus, ServiceRecord, Transfer
from timebank.summary_models import (
    UNKNOWN_YEAR,
    MemberDay,
    MemberYear,
    RecipientMonth,
    StreetVolunteerActivity,
    VisitMonth,
    VolunteerActivity,
)
from timebank.summary_rows import birth_year
from timebank.summary_rows import upsert as _upsert

_years = MemberYear.__table__
_days = MemberDay.__table__
_visit_months = VisitMonth.__table__
_activity = VolunteerActivity.__table__
_street_activity = StreetVolunteerActivity.__table__
_communities = Community.__table__
_recipient_months = RecipientMonth.__table__
_accounts = Account.__table__

# (table, key) → (balance, accounts, residents); key is (community_id, birth year or date)
MemberDeltas = dict[tuple[str, tuple], list[int]]


def add_member_delta(
    deltas: MemberDeltas,
    community_id: int,
    birth_date: date | None,
    *,
    balance: int = 0,
    accounts: int = 0,
    residents: int = 0,
) -> None:
    """Add a change to the year row (and the day row, when the birth date is known)."""
    keys = [("member_years", (community_id, birth_year(birth_date)))]
    if birth_date is not None:
        keys.append(("member_days", (community_id, birth_date)))
    for key in keys:
        total = deltas.setdefault(key, [0, 0, 0])
        total[0] += balance
        total[1] += accounts
        total[2] += residents


def apply_member_deltas(connection: Connection, deltas: MemberDeltas) -> None:
    """Write member-summary changes in the fixed lock order (years, then days, by key).

    Rows that only move a balance exist already (the account is counted in them);
    the others are inserted when missing.
    """
    for (table_name, key), (balance, accounts, residents) in sorted(deltas.items()):
        if not (balance or accounts or residents):
            continue
        table = _years if table_name == "member_years" else _days
        key_name = "birth_year" if table is _years else "birth_date"
        _upsert(
            connection,
            table,
            {"community_id": key[0], key_name: key[1]},
            {"balance_minutes": balance, "accounts": accounts, "residents": residents},
        )


def count_confirmed_visit(connection: Connection, record: ServiceRecord, community_id: int) -> None:
    """Add a just-confirmed visit to its community's month and its volunteer's last day."""
    month = record.service_date.replace(day=1)
    _upsert(
        connection,
        _visit_months,
        {"community_id": community_id, "month": month, "category": record.category},
        {"minutes": record.minutes, "visits": 1},
    )
    _upsert(
        connection,
        _recipient_months,
        {"community_id": community_id, "month": month, "recipient_id": record.recipient_id},
        {"visits": 1},
    )
    street_id = connection.scalar(
        select(_communities.c.street_id).where(_communities.c.id == community_id)
    )
    volunteer_days.count_volunteer(
        connection,
        community_id=community_id,
        street_id=street_id,
        volunteer_id=record.volunteer_id,
        service_date=record.service_date,
    )
    served.count_served(
        connection,
        community_id=community_id,
        recipient_id=record.recipient_id,
        birth_date=record.recipient.birth_date,
        service_date=record.service_date,
    )


# --- People and accounts changed through the ORM -----------------------------------------


def _counted(role: str | None, active: bool | None) -> bool:
    return role == Role.MEMBER and bool(active)


COUNTED = ("birth_date", "role", "is_active_member")
_LOCKED_PEOPLE = "timebank.summaries.locked_people"
_users = User.__table__


def _counted_change(obj) -> bool:
    state = attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in COUNTED)


def _before_flush(session: Session, _context, _instances) -> None:
    # A new member account carries its holder's birth date from the start.
    for obj in session.new:
        if isinstance(obj, Account) and obj.kind == AccountKind.MEMBER:
            with session.no_autoflush:
                holder = obj.user or session.get(User, obj.user_id)
            obj.holder_birth_date = holder.birth_date if holder is not None else None
    # A person whose counted facts change: lock their row and read what is counted now.
    # The copy this session loaded may be stale (another request changed it since), and
    # the summary rows hold what was committed (FOR NO KEY UPDATE: what the UPDATE takes).
    session.info.pop(_LOCKED_PEOPLE, None)  # a flush that failed may have left one
    changing = [obj for obj in session.dirty if isinstance(obj, User) and _counted_change(obj)]
    if not changing:
        return
    rows = session.connection().execute(
        select(_users.c.id, _users.c.birth_date, _users.c.role, _users.c.is_active_member)
        .where(_users.c.id.in_(sorted(obj.id for obj in changing)))
        .order_by(_users.c.id)
        .with_for_update(key_share=True)
    )
    session.info[_LOCKED_PEOPLE] = {row[0]: tuple(row[1:]) for row in rows}


def _move_account(session: Session, connection: Connection, user: User, deltas: MemberDeltas):
    """Move a member's balance to the row of their new birth date, under the account's lock
    (the row it is counted in is the one its holder_birth_date names, read under that lock)."""
    row = connection.execute(
        select(
            _accounts.c.id,
            _accounts.c.balance_minutes,
            _accounts.c.community_id,
            _accounts.c.holder_birth_date,
        )
        .where(_accounts.c.user_id == user.id)
        .with_for_update()
    ).first()
    if row is None or row.holder_birth_date == user.birth_date:
        return
    account_id, balance, community_id, counted_at = row
    connection.execute(
        update(_accounts)
        .where(_accounts.c.id == account_id)
        .values(holder_birth_date=user.birth_date)
    )
    cached = session.identity_map.get(identity_key(Account, account_id))
    if cached is not None:
        attributes.set_committed_value(cached, "holder_birth_date", user.birth_date)
    add_member_delta(deltas, community_id, counted_at, balance=-balance, accounts=-1)
    add_member_delta(deltas, community_id, user.birth_date, balance=balance, accounts=1)


def _after_flush(session: Session, _context) -> None:
    deltas: MemberDeltas = {}
    for obj in session.new:
        if isinstance(obj, User) and _counted(obj.role, obj.is_active_member):
            add_member_delta(deltas, obj.community_id, obj.birth_date, residents=1)
        elif isinstance(obj, Account) and obj.kind == AccountKind.MEMBER:
            add_member_delta(
                deltas,
                obj.community_id,
                obj.holder_birth_date,
                balance=obj.balance_minutes or 0,
                accounts=1,
            )
    locked = session.info.pop(_LOCKED_PEOPLE, {})
    connection = session.connection() if locked or deltas else None
    moved: list[User] = []
    for obj in session.dirty:
        if not isinstance(obj, User) or obj.id not in locked:
            continue
        birth_date, role, active = locked[obj.id]
        if isinstance(birth_date, str):  # the raw SQLite driver returns dates as text
            birth_date = date.fromisoformat(birth_date)
        if _counted(role, active):
            add_member_delta(deltas, obj.community_id, birth_date, residents=-1)
        if _counted(obj.role, obj.is_active_member):
            add_member_delta(deltas, obj.community_id, obj.birth_date, residents=1)
        _move_account(session, connection, obj, deltas)
        if birth_date != obj.birth_date:
            moved.append(obj)
    if deltas:
        apply_member_deltas(connection, deltas)
    for person in moved:  # after the member rows: the lock order
        served.move_birth_date(connection, person.id, person.birth_date)


def connect_summaries() -> None:
    """Count residents and accounts as every session flushes them (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


# --- A full recount ------------------------------------------------------------------------


def _year_of(column):
    return func.coalesce(extract("year", column), UNKNOWN_YEAR)


def _balances_from_transfers():
    """Each account's balance summed from its transfers (not the cached balance)."""
    flows = union_all(
        select(
            Transfer.from_account_id.label("account_id"),
            (-Transfer.amount_minutes).label("delta"),
        ),
        select(Transfer.to_account_id.label("account_id"), Transfer.amount_minutes.label("delta")),
    ).subquery()
    return (
        select(flows.c.account_id, func.sum(flows.c.delta).label("total"))
        .group_by(flows.c.account_id)
        .subquery()
    )


def _member_recount(session_or_connection, by_day: bool) -> dict[tuple, tuple[int, int, int]]:
    """Member summaries from the transfers, the accounts and the people."""
    holder = select(User.birth_date).where(User.id == Account.user_id).scalar_subquery()
    holder_key = holder if by_day else _year_of(holder)
    user_key = User.birth_date if by_day else _year_of(User.birth_date)
    sums = _balances_from_transfers()
    holders = (
        select(
            Account.community_id.label("community_id"),
            holder_key.label("key"),
            func.coalesce(sums.c.total, 0).label("balance"),
            literal(1).label("accounts"),
            literal(0).label("residents"),
        )
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(
            Account.kind == AccountKind.MEMBER,
            holder.is_not(None) if by_day else true(),
        )
    )
    residents = select(User.community_id, user_key, literal(0), literal(0), literal(1)).where(
        User.role == Role.MEMBER,
        User.is_active_member.is_(True),
        User.birth_date.is_not(None) if by_day else true(),
    )
    parts = union_all(holders, residents).subquery()
    rows = session_or_connection.execute(
        select(
            parts.c.community_id,
            parts.c.key,
            func.sum(parts.c.balance),
            func.sum(parts.c.accounts),
            func.sum(parts.c.residents),
        ).group_by(parts.c.community_id, parts.c.key)
    )
    return {
        (cid, int(key) if not by_day else key): (int(b), int(a), int(r))
        for cid, key, b, a, r in rows
    }


def _confirmed_visits():
    return (
        select()
        .select_from(ServiceRecord)
        .join(User, User.id == ServiceRecord.recipient_id)
        .where(ServiceRecord.status == RecordStatus.CONFIRMED)
    )


def _visit_recount(session_or_connection) -> tuple[dict, dict]:
    year = extract("year", ServiceRecord.service_date)
    month = extract("month", ServiceRecord.service_date)
    months = {
        (cid, date(int(y), int(m), 1), category): (int(minutes), int(visits))
        for cid, y, m, category, minutes, visits in session_or_connection.execute(
            _confirmed_visits()
            .add_columns(
                User.community_id,
                year,
                month,
                ServiceRecord.category,
                func.sum(ServiceRecord.minutes),
                func.count(),
            )
            .group_by(User.community_id, year, month, ServiceRecord.category)
        )
    }
    recipients = {
        (cid, date(int(y), int(m), 1), recipient): int(visits)
        for cid, y, m, recipient, visits in session_or_connection.execute(
            _confirmed_visits()
            .add_columns(User.community_id, year, month, ServiceRecord.recipient_id, func.count())
            .group_by(User.community_id, year, month, ServiceRecord.recipient_id)
        )
    }
    activity = {
        (cid, volunteer): (last, int(visits))
        for cid, volunteer, last, visits in session_or_connection.execute(
            _confirmed_visits()
            .add_columns(
                User.community_id,
                ServiceRecord.volunteer_id,
                func.max(ServiceRecord.service_date),
                func.count(),
            )
            .group_by(User.community_id, ServiceRecord.volunteer_id)
        )
    }
    return months, recipients, activity


def _street_recount(session_or_connection) -> dict[tuple, object]:
    """Each volunteer's last day served per street of the people served."""
    rows = session_or_connection.execute(
        _confirmed_visits()
        .join(Community, Community.id == User.community_id)
        .add_columns(
            Community.street_id, ServiceRecord.volunteer_id, func.max(ServiceRecord.service_date)
        )
        .group_by(Community.street_id, ServiceRecord.volunteer_id)
    )
    return {(street, volunteer): last for street, volunteer, last in rows}


def recount(session_or_connection) -> dict[str, dict]:
    """Every summary computed from the transfers, accounts, people and visits, by table and key.

    Member balances are summed from the transfers, so a tampered cached balance
    is invariant 2's problem, not a summary's.
    """
    months, recipients, activity = _visit_recount(session_or_connection)
    street_activity = _street_recount(session_or_connection)
    return (
        {
            "member_years": _member_recount(session_or_connection, by_day=False),
            "member_days": _member_recount(session_or_connection, by_day=True),
            "visit_months": months,
            "recipient_months": recipients,
            "volunteer_activity": activity,
            "street_volunteer_activity": street_activity,
        }
        | volunteer_days.recount(activity, street_activity)
        | served.recount(session_or_connection)
    )


def stored(session_or_connection) -> dict[str, dict]:
    """Every stored summary row by table and key (rows counting nothing left out)."""
    run = session_or_connection.execute

    def members(table, key) -> dict:
        return {
            (cid, k): (b, a, r)
            for cid, k, b, a, r in run(
                select(
                    table.c.community_id,
                    table.c[key],
                    table.c.balance_minutes,
                    table.c.accounts,
                    table.c.residents,
                )
            )
            if (b, a, r) != (0, 0, 0)
        }

    return (
        {
            "member_years": members(_years, "birth_year"),
            "member_days": members(_days, "birth_date"),
            "visit_months": {
                (cid, month, category): (minutes, visits)
                for cid, month, category, minutes, visits in run(select(*_visit_months.c))
                if (minutes, visits) != (0, 0)
            },
            "recipient_months": {
                (cid, month, recipient): visits
                for cid, month, recipient, visits in run(select(*_recipient_months.c))
                if visits
            },
            "volunteer_activity": {
                (cid, volunteer): (last, visits)
                for cid, volunteer, last, visits in run(select(*_activity.c))
            },
            "street_volunteer_activity": {
                (street, volunteer): last
                for street, volunteer, last in run(select(*_street_activity.c))
            },
        }
        | volunteer_days.stored(session_or_connection)
        | served.stored(session_or_connection)
    )


def differences(session_or_connection) -> list[str]:
    """Each summary row that differs from a full recount, as "table key: stored ≠ recounted"."""
    found = stored(session_or_connection)
    expected = recount(session_or_connection)
    problems = []
    for table, rows in expected.items():
        for key in sorted(set(rows) | set(found[table]), key=repr):
            if rows.get(key) != found[table].get(key):
                problems.append(
                    f"{table} {key}: stored {found[table].get(key)}, recounted {rows.get(key)}"
                )
    mismatched = session_or_connection.execute(
        select(Account.id)
        .join(User, User.id == Account.user_id)
        .where(Account.holder_birth_date.is_distinct_from(User.birth_date))
    ).all()
    problems += [f"account {a}: holder_birth_date differs from the holder's" for (a,) in mismatched]
    return problems


def rebuild(connection: Connection) -> None:
    """Replace every summary row with a full recount (after bulk loads that bypass the ledger)."""
    connection.execute(
        update(_accounts)
        .where(_accounts.c.kind == AccountKind.MEMBER)
        .values(
            holder_birth_date=select(User.birth_date)
            .where(User.id == _accounts.c.user_id)
            .scalar_subquery()
        )
    )
    counts = recount(connection)
    for table in (_years, _days, _visit_months, _recipient_months, _activity, _street_activity):
        connection.execute(table.delete())
    for table, key in ((_years, "birth_year"), (_days, "birth_date")):
        rows = [
            {"community_id": cid, key: k, "balance_minutes": b, "accounts": a, "residents": r}
            for (cid, k), (b, a, r) in counts[table.name].items()
        ]
        if rows:
            connection.execute(table.insert(), rows)
    rows = [
        {"community_id": cid, "month": m, "category": c, "minutes": mi, "visits": v}
        for (cid, m, c), (mi, v) in counts["visit_months"].items()
    ]
    if rows:
        connection.execute(_visit_months.insert(), rows)
    rows = [
        {"community_id": cid, "month": m, "recipient_id": r, "visits": v}
        for (cid, m, r), v in counts["recipient_months"].items()
    ]
    if rows:
        connection.execute(_recipient_months.insert(), rows)
    rows = [
        {"community_id": cid, "volunteer_id": vol, "last_served": last, "visits": v}
        for (cid, vol), (last, v) in counts["volunteer_activity"].items()
    ]
    if rows:
        connection.execute(_activity.insert(), rows)
    rows = [
        {"street_id": street, "volunteer_id": vol, "last_served": last}
        for (street, vol), last in counts["street_volunteer_activity"].items()
    ]
    if rows:
        connection.execute(_street_activity.insert(), rows)
    volunteer_days.rebuild(connection, counts)
    served.rebuild(connection, counts)
