"""The provider's dashboard: Shanghai days, waiting bookings first, earnings, reviews, CSV
(both databases)."""

from __future__ import annotations

import csv
import io
from datetime import time, timedelta

import pytest
from sqlalchemy import event

from community.models import utcnow
from extensions import db
from marketplace import dashboard
from marketplace.clock import local_today, month_start, to_utc
from marketplace.review_models import Review


@pytest.fixture
def today():
    return local_today()


@pytest.fixture
def book(make_booking, cleaning, elder):
    def make(day, at=time(9), status="requested", payment_method="on_site", **fields):
        booking = make_booking(
            cleaning, elder, starts_at=to_utc(day, at), status=status, subsidy=False, **fields
        )
        # paid in hours without a ledger hold: the dashboard only reads the copied minutes
        booking.payment_method = payment_method
        if payment_method == "hours":
            booking.total_minutes = cleaning.price_minutes
        db.session.flush()
        return booking

    return make


def test_today_is_a_shanghai_day_and_answers_come_first(book, provider, today):
    accepted = book(today, time(0, 30), "accepted")  # 16:30 UTC the day before
    waiting = book(today, time(23, 30), "requested")
    cancelled = book(today, time(12), "cancelled")
    book(today - timedelta(days=1), time(23, 59), "accepted")  # yesterday in Shanghai
    book(today, time(10), "pending_payment")  # not yet a booking to act on
    found = dashboard.todays_bookings(provider, today)
    assert not found.more
    assert [b.id for b in found.bookings] == [waiting.id, accepted.id, cancelled.id]


def test_upcoming_are_open_bookings_from_tomorrow(
    book, provider, today, make_provider, make_item, elder, make_booking
):
    later_waiting = book(today + timedelta(days=5), time(9), "requested")
    tomorrow = book(today + timedelta(days=1), time(0, 10), "accepted")
    soon_waiting = book(today + timedelta(days=2), time(9), "requested")
    book(today + timedelta(days=1), time(9), "cancelled")
    book(today + timedelta(days=1), time(10), "declined")
    book(today, time(23), "accepted")  # today: in today's list instead
    book(today + timedelta(days=31), time(9), "accepted")  # beyond 30 days
    other = make_provider("别家", owner=elder)
    make_booking(
        make_item(other, "别家的保洁"),
        elder,
        starts_at=to_utc(today + timedelta(days=1), time(9)),
        subsidy=False,
    )
    found = dashboard.upcoming_bookings(provider, today)
    assert not found.more
    assert [b.id for b in found.bookings] == [soon_waiting.id, later_waiting.id, tomorrow.id]


def test_earnings_by_payment_method_this_month_and_all_time(
    book, provider, today, make_provider, make_item, elder, make_booking
):
    now = utcnow()
    first_of_month = to_utc(month_start(today), time(0))
    day = today - timedelta(days=40)
    book(day, status="completed", payment_method="card", completed_at=now)
    subsidised = book(day, time(14), status="completed", completed_at=now)
    subsidised.subsidy_fen = 500
    book(day, time(16), status="completed", payment_method="hours", completed_at=now)
    # completed a minute before this month began (Shanghai): all time only
    book(day, time(18), status="completed", completed_at=first_of_month - timedelta(minutes=1))
    book(day, time(19), status="cancelled")
    book(day, time(20), status="accepted")
    other = make_provider("别家", owner=elder)
    make_booking(
        make_item(other, "别家的保洁"), elder, status="completed", completed_at=now, subsidy=False
    )
    db.session.flush()

    month, all_time = dashboard.earnings_to_date(provider, today)
    rows = {r.payment_method: (r.count, r.total_fen, r.subsidy_fen, r.minutes) for r in month.rows}
    assert rows == {
        "card": (1, 8000, 0, 0),
        "hours": (1, 8000, 0, 120),
        "on_site": (1, 8000, 500, 0),
    }
    assert (month.count, month.total_fen, month.subsidy_fen, month.minutes) == (3, 24000, 500, 120)
    assert (all_time.count, all_time.total_fen) == (4, 32000)
    on_site = next(r for r in all_time.rows if r.payment_method == "on_site")
    assert on_site.count == 2


def test_no_earnings_yet(provider, today):
    month, all_time = dashboard.earnings_to_date(provider, today)
    assert month.rows == []
    assert all_time.total_fen == 0


def _review(booking, author, stars, *, hidden=False, at=None):
    review = Review(
        booking_id=booking.id,
        provider_id=booking.provider_id,
        author_id=author.id,
        stars=stars,
        text=f"{stars} 星",
        is_hidden=hidden,
        hidden_reason="辱骂" if hidden else "",
        created_at=at or utcnow(),
    )
    db.session.add(review)
    db.session.flush()
    return review


def test_latest_reviews_leave_out_hidden_ones(book, provider, elder, today):
    day = today - timedelta(days=3)
    old = _review(book(day, time(9), "completed"), elder, 5, at=utcnow() - timedelta(days=2))
    _review(book(day, time(14), "completed"), elder, 1, hidden=True)
    new = _review(book(day, time(16), "completed"), elder, 2)
    assert [r.id for r in dashboard.latest_reviews(provider)] == [new.id, old.id]


def _rows(chunks) -> tuple[str, list[list[str]]]:
    text = "".join(chunks)
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_has_a_bom_every_booking_and_is_formula_safe(
    book, provider, today, make_member, make_booking, cleaning
):
    sly = make_member('=HYPERLINK("http://x")', age=30)
    sly_booking = make_booking(
        cleaning, sly, starts_at=to_utc(today, time(0, 30)), status="accepted", subsidy=False
    )
    book(today + timedelta(days=1), time(14), "completed", payment_method="hours")
    text, rows = _rows(dashboard.bookings_csv(provider))
    assert text.startswith("\ufeff")
    assert len(rows) == 3
    assert rows[0][0] and len(rows[0]) == 11
    first, second = rows[1], rows[2]
    # the resident as the review form promises (first character, then **), formula-safe
    assert first[:5] == [today.isoformat(), "00:30", "日常保洁", "'=**", "1"]
    assert first[7:] == ["80.00", "0.00", "", str(sly_booking.id)]
    assert second[1] == "14:00"
    assert second[9] == "2.00"  # two hours paid in hours


def test_csv_of_a_provider_without_bookings_is_its_header(provider):
    _, rows = _rows(dashboard.bookings_csv(provider))
    assert len(rows) == 1


def _queries(run) -> int:
    count = 0

    def counter(*args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_lists_do_not_grow_queries_with_bookings(
    book, provider, today, make_member, make_booking, cleaning
):
    def read_all():
        db.session.expire_all()
        shown = []
        todays = dashboard.todays_bookings(provider, today)
        for b in todays.bookings + dashboard.upcoming_bookings(provider, today).bookings:
            shown += [b.resident.display_name, b.item.title, b.booked_by.display_name]
        shown += [r.author.display_name for r in dashboard.latest_reviews(provider)]
        "".join(dashboard.bookings_csv(provider))

    book(today, time(10))
    book(today + timedelta(days=1), time(10), "accepted")
    few = _queries(read_all)
    for n in range(4):
        resident = make_member(age=70)
        make_booking(cleaning, resident, starts_at=to_utc(today, time(12 + n)), subsidy=False)
        make_booking(
            cleaning,
            resident,
            starts_at=to_utc(today + timedelta(days=2), time(12 + n)),
            subsidy=False,
        )
    assert _queries(read_all) == few
