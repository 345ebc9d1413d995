"""Keeping each provider's earnings summary (ProviderEarningsMonth) equal to its bookings.

A booking counts while it is completed, in the Shanghai month of its completion
(of its start when it has no completion time) and under its payment method. The
summary moves in the transaction of the change it counts, through a flush listener
(``connect_earnings``), whatever code makes the change: the steps of
marketplace.transitions (a booking enters COMPLETED, leaves it for DISPUTED, and
comes back when a dispute upholds it) as well as the seeds and tests that add
completed bookings directly. Only a bulk insert that bypasses the ORM (the scale
seed) has to ``rebuild`` afterwards.

Before a flush that changes what a booking counts, the booking's stored row is
locked and read (FOR UPDATE; a step has locked it already), so the amount taken out
is what was counted, whatever this session's copy says. The summary rows are then
added to with ``timebank.summary_rows.upsert`` (INSERT … ON CONFLICT DO UPDATE),
in key order. Lock order: the booking, after the ledger's rows (a step moves the
money before the status), then the summary rows by key.

``differences`` compares the stored rows with a full recount; ``flask marketplace
verify-earnings`` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, case, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, attributes

from marketplace.booking_models import Booking, BookingStatus, PaymentMethod
from marketplace.clock import month_start, to_local
from marketplace.earnings_models import ProviderEarningsMonth
from timebank.summary_rows import upsert

_months = ProviderEarningsMonth.__table__
_bookings = Booking.__table__

# What a booking's place in the summary depends on.
COUNTED = (
    "status",
    "provider_id",
    "completed_at",
    "starts_at",
    "payment_method",
    "total_fen",
    "subsidy_fen",
    "total_minutes",
)
_LOCKED_BOOKINGS = "marketplace.earnings.locked_bookings"

# (provider_id, month, payment_method) → [bookings, total_fen, subsidy_fen, minutes]
Deltas = dict[tuple[int, date, str], list[int]]


def month_of(completed_at: datetime | None, starts_at: datetime) -> date:
    """The first day of the Shanghai month a completed booking counts in."""
    return month_start(to_local(completed_at or starts_at).date())


def _add(deltas: Deltas, values: dict, sign: int) -> None:
    """Count (sign 1) or uncount (sign -1) a completed booking with these column values."""
    if values["status"] != BookingStatus.COMPLETED:
        return
    starts_at = values["starts_at"]
    completed_at = values["completed_at"]
    if isinstance(starts_at, str):  # the raw SQLite driver returns times as text
        starts_at = datetime.fromisoformat(starts_at)
    if isinstance(completed_at, str):
        completed_at = datetime.fromisoformat(completed_at)
    method = values["payment_method"]
    key = (values["provider_id"], month_of(completed_at, starts_at), method)
    minutes = (values["total_minutes"] or 0) if method == PaymentMethod.HOURS else 0
    total = deltas.setdefault(key, [0, 0, 0, 0])
    total[0] += sign
    total[1] += sign * (values["total_fen"] or 0)
    total[2] += sign * (values["subsidy_fen"] or 0)
    total[3] += sign * minutes


def apply_deltas(connection: Connection, deltas: Deltas) -> None:
    """Write the changes into the summary rows, in key order (the fixed lock order)."""
    for (provider_id, month, method), (count, total, subsidy, minutes) in sorted(deltas.items()):
        if not (count or total or subsidy or minutes):
            continue
        upsert(
            connection,
            _months,
            {"provider_id": provider_id, "month": month, "payment_method": method},
            {"bookings": count, "total_fen": total, "subsidy_fen": subsidy, "minutes": minutes},
        )


# --- the flush listener ---------------------------------------------------------------


def _counted_change(booking: Booking) -> bool:
    state = attributes.instance_state(booking)
    return any(state.attrs[name].history.has_changes() for name in COUNTED)


def _values(booking: Booking) -> dict:
    """A new booking's counted columns as this flush inserted them (never loading anything:
    a column it does not hold was left to its default, none of which counts)."""
    loaded = attributes.instance_state(booking).dict
    return {name: loaded.get(name) for name in COUNTED}


def _updated(booking: Booking, stored: dict) -> dict:
    """A changed booking's counted columns after this flush: the stored row with the
    columns this session changed (what the UPDATE wrote), whatever else it holds or not."""
    state = attributes.instance_state(booking)
    values = dict(stored)
    for name in COUNTED:
        added = state.attrs[name].history.added
        if added:
            values[name] = added[0]
    return values


def _before_flush(session: Session, _context, _instances) -> None:
    # Bookings whose counted facts change or that go away: lock their rows and read what
    # is counted now (the summary holds what was committed, not this session's copy).
    session.info.pop(_LOCKED_BOOKINGS, None)  # a flush that failed may have left one
    changing = [
        obj
        for obj in session.dirty
        if isinstance(obj, Booking) and obj.id is not None and _counted_change(obj)
    ]
    changing += [obj for obj in session.deleted if isinstance(obj, Booking)]
    if not changing:
        return
    rows = session.connection().execute(
        select(*(_bookings.c[name] for name in ("id", *COUNTED)))
        .where(_bookings.c.id.in_(sorted({obj.id for obj in changing})))
        .order_by(_bookings.c.id)
        .with_for_update()
    )
    session.info[_LOCKED_BOOKINGS] = {row.id: dict(row._mapping) for row in rows}


def _after_flush(session: Session, _context) -> None:
    deltas: Deltas = {}
    for obj in session.new:
        if isinstance(obj, Booking):
            _add(deltas, _values(obj), 1)
    locked = session.info.pop(_LOCKED_BOOKINGS, {})
    for obj in session.dirty:
        if isinstance(obj, Booking) and obj.id in locked:
            _add(deltas, locked[obj.id], -1)
            _add(deltas, _updated(obj, locked[obj.id]), 1)
    for obj in session.deleted:
        if isinstance(obj, Booking) and obj.id in locked:
            _add(deltas, locked[obj.id], -1)
    if deltas:
        apply_deltas(session.connection(), deltas)


def connect_earnings() -> None:
    """Count completed bookings as every session flushes them (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EarningsRow:
    """Completed bookings paid one way: how many, their total (with the subsidy part), hours."""

    payment_method: str
    count: int
    total_fen: int
    subsidy_fen: int
    minutes: int


@dataclass(frozen=True)
class Earnings:
    rows: list[EarningsRow]

    @property
    def count(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def total_fen(self) -> int:
        return sum(r.total_fen for r in self.rows)

    @property
    def subsidy_fen(self) -> int:
        return sum(r.subsidy_fen for r in self.rows)

    @property
    def minutes(self) -> int:
        return sum(r.minutes for r in self.rows)


_THIS_MONTH = _months.c.month == bindparam("month")
# The month's and all-time figures by payment method, from the provider's summary rows
# (a few per month of its life), never from its bookings.
_EARNINGS = (
    select(
        _months.c.payment_method,
        func.sum(_months.c.bookings),
        func.sum(_months.c.total_fen),
        func.sum(_months.c.subsidy_fen),
        func.sum(_months.c.minutes),
        func.coalesce(func.sum(case((_THIS_MONTH, _months.c.bookings))), 0),
        func.coalesce(func.sum(case((_THIS_MONTH, _months.c.total_fen))), 0),
        func.coalesce(func.sum(case((_THIS_MONTH, _months.c.subsidy_fen))), 0),
        func.coalesce(func.sum(case((_THIS_MONTH, _months.c.minutes))), 0),
    )
    .where(_months.c.provider_id == bindparam("provider_id"))
    .group_by(_months.c.payment_method)
    .order_by(_months.c.payment_method)
)


def earnings_of(connection_or_session, provider_id: int, today: date) -> tuple[Earnings, Earnings]:
    """Completed bookings by payment method: (``today``'s month (Shanghai), since the start).

    Yuan totals include the subsidy part; hours are the minutes of bookings paid in hours.
    """
    month, all_time = [], []
    rows = connection_or_session.execute(
        _EARNINGS, {"provider_id": provider_id, "month": month_start(today)}
    )
    for method, *figures in rows:
        count, total, subsidy, minutes, m_count, m_total, m_subsidy, m_minutes = map(int, figures)
        if count:
            all_time.append(EarningsRow(method, count, total, subsidy, minutes))
        if m_count:
            month.append(EarningsRow(method, m_count, m_total, m_subsidy, m_minutes))
    return Earnings(month), Earnings(all_time)


# --- a full recount ---------------------------------------------------------------------


def recount(connection_or_session) -> dict[tuple, tuple[int, int, int, int]]:
    """Every provider's completed bookings counted from the bookings, by summary key."""
    counts: dict[tuple, tuple[int, int, int, int]] = {}
    rows = connection_or_session.execute(
        select(*(_bookings.c[name] for name in COUNTED))
        .where(_bookings.c.status == BookingStatus.COMPLETED)
        .execution_options(yield_per=10_000)
    )
    deltas: Deltas = {}
    for row in rows:
        _add(deltas, dict(row._mapping), 1)
    for key, (count, total, subsidy, minutes) in deltas.items():
        counts[key] = (count, total, subsidy, minutes)
    return counts


def stored(connection_or_session) -> dict[tuple, tuple[int, int, int, int]]:
    """Every stored summary row by key (rows counting nothing left out)."""
    found = {}
    for row in connection_or_session.execute(select(*_months.c)):
        month = row.month
        if isinstance(month, str):
            month = date.fromisoformat(month)
        figures = (row.bookings, row.total_fen, row.subsidy_fen, row.minutes)
        if figures != (0, 0, 0, 0):
            found[(row.provider_id, month, row.payment_method)] = figures
    return found


def differences(connection_or_session) -> list[str]:
    """Each summary row that differs from a full recount, as "key: stored …, recounted …"."""
    found = stored(connection_or_session)
    expected = recount(connection_or_session)
    return [
        f"provider_earnings_months {key}: stored {found.get(key)}, recounted {expected.get(key)}"
        for key in sorted(set(found) | set(expected))
        if found.get(key) != expected.get(key)
    ]


def rebuild(connection: Connection) -> None:
    """Replace every summary row with a full recount (after bulk loads that bypass the ORM)."""
    counts = recount(connection)
    connection.execute(_months.delete())
    rows = [
        {
            "provider_id": provider_id,
            "month": month,
            "payment_method": method,
            "bookings": count,
            "total_fen": total,
            "subsidy_fen": subsidy,
            "minutes": minutes,
        }
        for (provider_id, month, method), (count, total, subsidy, minutes) in counts.items()
    ]
    if rows:
        connection.execute(_months.insert(), rows)
