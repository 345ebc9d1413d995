"""Keyset cursors for lists of bookings paged by (starts_at, id).

A cursor names the last booking a page showed, as ``20261207083000000000-123``
(its start, naive UTC to the microsecond, and its id). The next page starts after
it; nothing is counted or skipped with OFFSET, so a late page costs as little as
the first. A cursor that does not parse (empty, too long, NUL, an id beyond what
a row can have) reads as no cursor: the list starts from its first page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from marketplace.booking_models import Booking

_CURSOR = re.compile(r"([0-9]{20})-([0-9]{1,10})")  # ASCII digits only
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Cursor:
    """Where a page of bookings ended: the last booking's start and id."""

    starts_at: datetime
    booking_id: int

    def __str__(self) -> str:
        return f"{self.starts_at:%Y%m%d%H%M%S%f}-{self.booking_id}"


@dataclass(frozen=True)
class Page:
    """One page of bookings, and the cursor of the next page (None: this is the last)."""

    bookings: list[Booking]
    next_cursor: Cursor | None


def page_of(found: list[Booking], size: int) -> Page:
    """The page of ``size`` bookings from ``found``, read with one more than ``size``
    to know whether another page follows."""
    shown = found[:size]
    more = len(found) > size
    return Page(shown, Cursor(shown[-1].starts_at, shown[-1].id) if more else None)


def parse_cursor(text: str | None) -> Cursor | None:
    """The cursor ``text`` names, or None when it names none (see the module's note)."""
    if not text or len(text) > 31:
        return None
    found = _CURSOR.fullmatch(text)
    if found is None:
        return None
    booking_id = int(found.group(2))
    if not 0 < booking_id <= MAX_ID:
        return None
    try:
        starts_at = datetime.strptime(found.group(1), "%Y%m%d%H%M%S%f")
    except ValueError:
        return None
    return Cursor(starts_at, booking_id)


def later_than(cursor: Cursor) -> ColumnElement[bool]:
    """Bookings after ``cursor`` in (starts_at, id) order (the start bounds the index range)."""
    return and_(
        Booking.starts_at >= cursor.starts_at,
        or_(Booking.starts_at > cursor.starts_at, Booking.id > cursor.booking_id),
    )


def earlier_than(cursor: Cursor) -> ColumnElement[bool]:
    """Bookings before ``cursor`` in (starts_at, id) order."""
    return and_(
        Booking.starts_at <= cursor.starts_at,
        or_(Booking.starts_at < cursor.starts_at, Booking.id < cursor.booking_id),
    )
