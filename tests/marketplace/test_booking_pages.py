"""Long lists of bookings a page at a time, by keyset (both databases): the provider's
today and coming days, and a member's earlier bookings. Walking every page gives each
booking once, in order; the last page is right; a cursor that does not parse starts over.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from community.models import utcnow
from community.services import link_family
from marketplace import dashboard
from marketplace.bookings import EARLIER_SHOWN, bookings_of, earlier_bookings_of
from marketplace.clock import local_today, to_utc
from marketplace.errors import NotFound
from marketplace.keyset import Cursor, parse_cursor


def _walk(read_page) -> list:
    """Every page from the first, following the cursors: the bookings and the page sizes."""
    found, sizes, after = [], [], None
    while True:
        page = read_page(after)
        found += page.bookings
        sizes.append(len(page.bookings))
        if page.next_cursor is None:
            return found, sizes
        assert len(sizes) < 100, "the cursors go round in circles"
        after = page.next_cursor


def test_the_coming_days_a_page_at_a_time(make_booking, cleaning, elder, provider):
    today = local_today()
    made = []
    for n in range(45):  # three at each start: the id decides between them
        day = today + timedelta(days=1 + n // 9)
        status = "requested" if n % 3 == 0 else "accepted"
        made.append(
            make_booking(
                cleaning,
                elder,
                starts_at=to_utc(day, time(9 + (n % 9) // 3)),
                status=status,
                subsidy=False,
            )
        )
    # not in the list: a cancelled one
    make_booking(
        cleaning, elder, starts_at=to_utc(today + timedelta(days=2), time(20)), status="cancelled"
    )
    expected = sorted(made, key=lambda b: (b.starts_at, b.id))

    shown = dashboard.upcoming_bookings(provider, today)
    assert shown.more and len(shown.bookings) == dashboard.SHOWN
    waiting = [b for b in expected if b.status == "requested"]
    assert len(waiting) > dashboard.SHOWN
    # those waiting for an answer first, by start
    assert [b.id for b in shown.bookings] == [b.id for b in waiting[: dashboard.SHOWN]]

    found, sizes = _walk(lambda after: dashboard.bookings_page(provider, "upcoming", today, after))
    assert [b.id for b in found] == [b.id for b in expected]
    assert sizes == [20, 20, 5]  # the last page holds the rest
    assert [b.id for b in found[-5:]] == [b.id for b in expected[-5:]]


def test_a_list_of_exactly_a_page_has_no_next(make_booking, cleaning, elder, provider):
    today = local_today()
    for n in range(dashboard.PAGE_SIZE):
        make_booking(cleaning, elder, starts_at=to_utc(today, time(8, n)), status="accepted")
    assert dashboard.todays_bookings(provider, today).more  # the dashboard shows fewer
    page = dashboard.bookings_page(provider, "today", today)
    assert len(page.bookings) == dashboard.PAGE_SIZE and page.next_cursor is None


def test_another_list_is_not_found(provider):
    with pytest.raises(NotFound):
        dashboard.bookings_page(provider, "yesterday", local_today())


def test_earlier_bookings_a_page_at_a_time(make_booking, cleaning, elder, make_member):
    son = make_member("王儿子", age=50)
    link_family(by=elder, elder=elder, relative=son, relation="儿子")
    now = utcnow()
    made = []
    for n in range(47):
        made.append(
            make_booking(
                cleaning,
                elder,
                starts_at=now - timedelta(days=1 + n // 2),  # pairs start together
                status="completed" if n % 3 else "cancelled",
                completed_at=now,
                booked_by=son if n % 5 == 0 else None,
                subsidy=False,
            )
        )
    upcoming = make_booking(cleaning, elder, starts_at=now + timedelta(days=2), subsidy=False)
    expected = sorted(made, key=lambda b: (b.starts_at, b.id), reverse=True)

    coming, first = bookings_of(elder, now=now)
    assert [b.id for b in coming] == [upcoming.id]
    assert [b.id for b in first.bookings] == [b.id for b in expected[:EARLIER_SHOWN]]
    found, sizes = _walk(lambda before: earlier_bookings_of(elder, before, now=now))
    assert [b.id for b in found] == [b.id for b in expected]
    assert sizes == [20, 20, 7]

    # the son sees what he booked for his mother, a page at a time too
    found, _ = _walk(lambda before: earlier_bookings_of(son, before, now=now))
    assert [b.id for b in found] == [b.id for b in expected if b.booked_by_id == son.id]


def test_a_cursor_past_the_end_gives_an_empty_page(make_booking, cleaning, elder):
    make_booking(cleaning, elder, starts_at=utcnow() - timedelta(days=3), status="cancelled")
    page = earlier_bookings_of(elder, parse_cursor("19700101000000000000-1"))
    assert page.bookings == [] and page.next_cursor is None


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "x",
        "\x00",
        "20261207083000000000-1\x00",
        "20261207083000000000--1",
        "-20261207083000000000-1",
        "20261207083000000000-0",
        "20261207083000000000-2147483648",
        "20261307083000000000-1",  # the 13th month
        "99999999999999999999-1",
        "2026120708300000000-1",  # a digit short
        "9" * 5000,
        "２０２６１２０７０８３０００００００００-1",  # full-width digits
    ],
)
def test_a_cursor_that_does_not_parse_is_none(text):
    assert parse_cursor(text) is None


def test_a_cursor_reads_back(make_booking, cleaning, elder):
    booking = make_booking(cleaning, elder)
    cursor = Cursor(booking.starts_at, booking.id)
    assert parse_cursor(str(cursor)) == cursor
