"""What a provider's owner sees on the dashboard: bookings to act on, earnings, reviews, CSV.

The owner reaches every booking of their provider (marketplace.access), and sees
the full name of whom they serve on the bookings still to come. Reviewers are
shown as the review form promises (王**), and so are residents in the CSV: an
export of every past booking, with its date and item, would otherwise name the
author of each review beside it (and it leaves the app, for Excel and whoever
gets the file). The booking number there opens the booking in the app.

Days are Shanghai days. Every list loads the people and items it shows in the
same query, so the number of queries does not grow with the number of bookings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from community.csv_export import csv_chunks
from extensions import db
from marketplace.booking_models import Booking, BookingStatus, PaymentMethod
from marketplace.clock import month_start, to_local, to_utc
from marketplace.formatting import BOOKING_STATUS_LABELS, PAYMENT_METHOD_LABELS, masked_name
from marketplace.models import Provider
from marketplace.review_models import Review

# still to come and still in play: the provider has something to do or to expect
UPCOMING_STATUSES = (BookingStatus.REQUESTED, BookingStatus.ACCEPTED)
REVIEWS_SHOWN = 10
CSV_BATCH = 500


def _start_of(day: date) -> datetime:
    return to_utc(day, time(0))


def _waiting_first(bookings: list[Booking]) -> list[Booking]:
    return sorted(bookings, key=lambda b: (b.status != BookingStatus.REQUESTED, b.starts_at, b.id))


_WITH_PEOPLE = (
    joinedload(Booking.resident),
    joinedload(Booking.booked_by),
    joinedload(Booking.item),
    joinedload(Booking.provider),
)
# Built once, like every statement of this page (it is the provider's home): a statement
# made anew on each request costs more to build and look up in SQLAlchemy's cache than
# it takes to run.
_TODAYS = (
    select(Booking)
    .options(*_WITH_PEOPLE)
    .where(
        Booking.provider_id == bindparam("provider_id"),
        Booking.starts_at >= bindparam("start"),
        Booking.starts_at < bindparam("end"),
        Booking.status != BookingStatus.PENDING_PAYMENT,
    )
)
_UPCOMING = (
    select(Booking)
    .options(*_WITH_PEOPLE)
    .where(
        Booking.provider_id == bindparam("provider_id"),
        Booking.starts_at >= bindparam("start"),
        Booking.starts_at < bindparam("end"),
        Booking.status.in_(UPCOMING_STATUSES),
    )
)


def todays_bookings(provider: Provider, today: date) -> list[Booking]:
    """Bookings starting today (Shanghai), in any status but pending payment; waiting first."""
    found = db.session.scalars(
        _TODAYS,
        {
            "provider_id": provider.id,
            "start": _start_of(today),
            "end": _start_of(today + timedelta(days=1)),
        },
    ).all()
    return _waiting_first(list(found))


def upcoming_bookings(provider: Provider, today: date, days: int = 30) -> list[Booking]:
    """Requested or accepted bookings from tomorrow for ``days`` days; waiting first."""
    tomorrow = today + timedelta(days=1)
    found = db.session.scalars(
        _UPCOMING,
        {
            "provider_id": provider.id,
            "start": _start_of(tomorrow),
            "end": _start_of(tomorrow + timedelta(days=days)),
        },
    ).all()
    return _waiting_first(list(found))


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


_DONE_AT = func.coalesce(Booking.completed_at, Booking.starts_at)
_IN_MONTH = bindparam("month_start") <= _DONE_AT
_HOURS = Booking.payment_method == PaymentMethod.HOURS
# Since the start and this month, by payment method, in one pass over the provider's
# completed bookings.
_EARNINGS = (
    select(
        Booking.payment_method,
        func.count(Booking.id),
        func.coalesce(func.sum(Booking.total_fen), 0),
        func.coalesce(func.sum(Booking.subsidy_fen), 0),
        func.coalesce(func.sum(Booking.total_minutes).filter(_HOURS), 0),
        func.count(Booking.id).filter(_IN_MONTH),
        func.coalesce(func.sum(Booking.total_fen).filter(_IN_MONTH), 0),
        func.coalesce(func.sum(Booking.subsidy_fen).filter(_IN_MONTH), 0),
        func.coalesce(func.sum(Booking.total_minutes).filter(_HOURS & _IN_MONTH), 0),
    )
    .where(
        Booking.provider_id == bindparam("provider_id"),
        Booking.status == BookingStatus.COMPLETED,
    )
    .group_by(Booking.payment_method)
    .order_by(Booking.payment_method)
)


def earnings_to_date(provider: Provider, today: date) -> tuple[Earnings, Earnings]:
    """Completed bookings by payment method: (this month (Shanghai), since the start).

    Yuan totals include the subsidy part; hours are the minutes of bookings paid in hours.
    """
    month, all_time = [], []
    rows = db.session.execute(
        _EARNINGS, {"provider_id": provider.id, "month_start": _start_of(month_start(today))}
    )
    for method, *figures in rows:
        count, total, subsidy, minutes, m_count, m_total, m_subsidy, m_minutes = map(int, figures)
        all_time.append(EarningsRow(method, count, total, subsidy, minutes))
        if m_count:
            month.append(EarningsRow(method, m_count, m_total, m_subsidy, m_minutes))
    return Earnings(month), Earnings(all_time)


_LATEST_REVIEWS = (
    select(Review)
    .options(joinedload(Review.author))
    .where(Review.provider_id == bindparam("provider_id"), Review.is_hidden.is_(False))
    .order_by(Review.created_at.desc(), Review.id.desc())
    .limit(bindparam("limit"))
)


def latest_reviews(provider: Provider, limit: int = REVIEWS_SHOWN) -> list[Review]:
    """The provider's newest reviews that are not hidden, with their authors."""
    return list(db.session.scalars(_LATEST_REVIEWS, {"provider_id": provider.id, "limit": limit}))


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _hours(minutes: int | None) -> Decimal | str:
    if not minutes:
        return ""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def _csv_rows(provider_id: int) -> Iterator[list]:
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Booking)
            .options(joinedload(Booking.resident))
            .where(Booking.provider_id == provider_id, Booking.id > last_id)
            .order_by(Booking.id)
            .limit(CSV_BATCH)
        ).all()
        if not batch:
            return
        for b in batch:
            local = to_local(b.starts_at)
            yield [
                local.strftime("%Y-%m-%d"),
                local.strftime("%H:%M"),
                b.title,
                masked_name(b.resident.display_name),
                b.quantity,
                str(BOOKING_STATUS_LABELS.get(b.status, b.status)),
                str(PAYMENT_METHOD_LABELS.get(b.payment_method, b.payment_method)),
                _yuan(b.total_fen),
                _yuan(b.subsidy_fen),
                _hours(b.total_minutes if b.payment_method == PaymentMethod.HOURS else None),
                b.id,
            ]
        last_id = batch[-1].id


def bookings_csv(provider: Provider) -> Iterator[str]:
    """Every booking of the provider as CSV chunks (UTF-8 BOM, formula-safe), oldest first;
    residents as 王** (see the module's note), each row with its booking number."""
    header = [
        _("Date"),
        _("Time"),
        _("Item"),
        _("Resident"),
        _("Quantity"),
        _("Status"),
        _("Payment"),
        _("Total (yuan)"),
        _("Of which subsidy (yuan)"),
        _("Paid in hours"),
        _("Booking number"),
    ]
    return csv_chunks(header, _csv_rows(provider.id))
