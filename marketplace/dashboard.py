"""What a provider's owner sees on the dashboard: bookings to act on, earnings, reviews, CSV.

The owner reaches every booking of their provider (marketplace.access), and sees
the full name of whom they serve on the bookings still to come. Reviewers are
shown as the review form promises (王**), and so are residents in the CSV: an
export of every past booking, with its date and item, would otherwise name the
author of each review beside it (and it leaves the app, for Excel and whoever
gets the file). The booking number there opens the booking in the app.

Days are Shanghai days. Every list loads the people and items it shows in the
same query, so the number of queries does not grow with the number of bookings;
and shows at most SHOWN of them (those waiting for an answer first), with the whole
list PAGE_SIZE a page in time order (keyset on (starts_at, id)), so a busy provider's
dashboard costs what a quiet one's does. The earnings come from the summary the
marketplace keeps (marketplace.earnings), not from the bookings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import joinedload

from community.csv_export import csv_chunks
from extensions import db
from marketplace.booking_models import Booking, BookingStatus, PaymentMethod
from marketplace.clock import to_local, to_utc
from marketplace.earnings import Earnings, earnings_of
from marketplace.errors import NotFound
from marketplace.formatting import BOOKING_STATUS_LABELS, PAYMENT_METHOD_LABELS, masked_name
from marketplace.keyset import Cursor, Page, later_than, page_of
from marketplace.models import Provider
from marketplace.review_models import Review

# still to come and still in play: the provider has something to do or to expect
UPCOMING_STATUSES = (BookingStatus.REQUESTED, BookingStatus.ACCEPTED)
REVIEWS_SHOWN = 10
SHOWN = 10  # bookings of each list on the dashboard (a phone's few screens)
PAGE_SIZE = 20  # bookings on a page of a whole list
UPCOMING_DAYS = 30
CSV_BATCH = 500


def _start_of(day: date) -> datetime:
    return to_utc(day, time(0))


@dataclass(frozen=True)
class Shown:
    """The first bookings of a list the dashboard shows, and whether the list has more."""

    bookings: list[Booking]
    more: bool


_WITH_PEOPLE = (
    joinedload(Booking.resident),
    joinedload(Booking.booked_by),
    joinedload(Booking.item),
    joinedload(Booking.provider),
)
# Which bookings each list holds: today's in any status but pending payment, the coming
# days' those still to answer or to do. Within the provider's index range of the days.
_IN_WINDOW = (
    Booking.provider_id == bindparam("provider_id"),
    Booking.starts_at >= bindparam("start"),
    Booking.starts_at < bindparam("end"),
)
_WINDOWS = {
    "today": Booking.status != BookingStatus.PENDING_PAYMENT,
    "upcoming": Booking.status.in_(UPCOMING_STATUSES),
}
_WAITING_FIRST = (
    case((Booking.status == BookingStatus.REQUESTED, 0), else_=1),
    Booking.starts_at,
    Booking.id,
)
# Built once, like every statement of this page (it is the provider's home): a statement
# made anew on each request costs more to build and look up in SQLAlchemy's cache than
# it takes to run. Each shows at most SHOWN bookings (one more is read to know if there
# are more), so the page costs the same however busy the days are.
_FIRST_SHOWN = {
    window: select(Booking)
    .options(*_WITH_PEOPLE)
    .where(*_IN_WINDOW, condition)
    .order_by(*_WAITING_FIRST)
    .limit(SHOWN + 1)
    for window, condition in _WINDOWS.items()
}


def window_days(window: str, today: date, days: int = UPCOMING_DAYS) -> tuple[datetime, datetime]:
    """The stored (UTC) bounds of a list: today (Shanghai), or ``days`` days from tomorrow."""
    if window == "today":
        return _start_of(today), _start_of(today + timedelta(days=1))
    tomorrow = today + timedelta(days=1)
    return _start_of(tomorrow), _start_of(tomorrow + timedelta(days=days))


def _first_shown(provider: Provider, window: str, today: date) -> Shown:
    start, end = window_days(window, today)
    found = list(
        db.session.scalars(
            _FIRST_SHOWN[window], {"provider_id": provider.id, "start": start, "end": end}
        )
    )
    return Shown(found[:SHOWN], len(found) > SHOWN)


def todays_bookings(provider: Provider, today: date) -> Shown:
    """Bookings starting today (Shanghai), in any status but pending payment: the first
    SHOWN, those waiting for an answer first, then by start."""
    return _first_shown(provider, "today", today)


def upcoming_bookings(provider: Provider, today: date) -> Shown:
    """Requested or accepted bookings of the UPCOMING_DAYS days from tomorrow: the first
    SHOWN, those waiting for an answer first, then by start."""
    return _first_shown(provider, "upcoming", today)


def bookings_page(
    provider: Provider, window: str, today: date, after: Cursor | None = None
) -> Page:
    """A page of PAGE_SIZE bookings of a list ("today" or "upcoming") in time order, from the
    one after ``after`` (keyset on (starts_at, id)). Raises NotFound for another list."""
    if window not in _WINDOWS:
        raise NotFound(_l("There is no such list."))
    start, end = window_days(window, today)
    query = (
        select(Booking)
        .options(*_WITH_PEOPLE)
        .where(
            Booking.provider_id == provider.id,
            Booking.starts_at >= start,
            Booking.starts_at < end,
            _WINDOWS[window],
        )
        .order_by(Booking.starts_at, Booking.id)
        .limit(PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(later_than(after))
    return page_of(list(db.session.scalars(query)), PAGE_SIZE)


def earnings_to_date(provider: Provider, today: date) -> tuple[Earnings, Earnings]:
    """Completed bookings by payment method: (this month (Shanghai), since the start).

    Read from the provider's summary rows (marketplace.earnings), a few per month,
    never from its bookings. Yuan totals include the subsidy part; hours are the
    minutes of bookings paid in hours.
    """
    return earnings_of(db.session, provider.id, today)


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
