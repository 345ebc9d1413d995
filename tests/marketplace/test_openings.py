"""Open slots and places left: weekly slots, exceptions, item capacity, meal portions,
and pending payments that stop holding places once they expire."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from community.models import utcnow
from extensions import db
from marketplace.booking_models import Booking, BookingStatus
from marketplace.clock import local_today, to_utc
from marketplace.models import CalendarException
from marketplace.openings import bookable_days, booked_places, openings

from .booking_support import add_booking


def test_a_day_has_the_weekly_slots_with_their_places(cleaning, day):
    found = openings(cleaning, day)
    assert [(o.local_start, o.local_end) for o in found] == [
        (time(9), time(11)),
        (time(14), time(16)),
    ]
    # Shanghai is UTC+8: 09:00 there is 01:00 stored
    assert found[0].starts_at == datetime.combine(day, time(1))
    assert found[0].ends_at == datetime.combine(day, time(3))
    assert [o.places_left for o in found] == [3, 3]
    assert all(o.is_bookable for o in found)


def test_occupying_bookings_take_places_and_ended_ones_do_not(provider, cleaning, make_item, day):
    other = make_item(provider, "深度保洁")
    morning = to_utc(day, time(9))
    add_booking(cleaning, morning, quantity=1)
    add_booking(other, morning, quantity=1, status=BookingStatus.ACCEPTED)
    add_booking(cleaning, morning, quantity=1, status=BookingStatus.CANCELLED)
    add_booking(cleaning, morning, quantity=1, status=BookingStatus.DECLINED)
    found = openings(cleaning, day)
    assert [o.places_left for o in found] == [1, 3]
    assert booked_places(provider.id, morning, now=utcnow()) == 2


def test_a_pending_payment_holds_its_place_only_until_it_expires(provider, cleaning, day):
    morning = to_utc(day, time(9))
    now = utcnow()
    add_booking(
        cleaning,
        morning,
        quantity=2,
        status=BookingStatus.PENDING_PAYMENT,
        expires_at=now + timedelta(minutes=10),
    )
    assert openings(cleaning, day, now=now)[0].places_left == 1
    assert booked_places(provider.id, morning, now=now) == 2
    later = now + timedelta(minutes=11)
    assert openings(cleaning, day, now=later)[0].places_left == 3
    assert booked_places(provider.id, morning, now=later) == 0


def test_a_full_slot_is_listed_as_full(cleaning, day):
    add_booking(cleaning, to_utc(day, time(14)), quantity=3)
    found = openings(cleaning, day)
    assert found[1].places_left == 0 and found[1].is_full and not found[1].is_bookable


def test_a_closed_day_has_no_openings(provider, cleaning, day):
    db.session.add(CalendarException(provider_id=provider.id, on_date=day, is_closed=True))
    db.session.flush()
    assert openings(cleaning, day) == []
    assert day not in bookable_days(cleaning, day - timedelta(days=1))
    assert day + timedelta(days=1) in bookable_days(cleaning, day - timedelta(days=1))


def test_an_exception_overrides_every_slots_capacity(provider, cleaning, day):
    db.session.add(
        CalendarException(provider_id=provider.id, on_date=day, is_closed=False, capacity=1)
    )
    db.session.flush()
    add_booking(cleaning, to_utc(day, time(9)), quantity=1)
    assert [(o.capacity, o.places_left) for o in openings(cleaning, day)] == [(1, 0), (1, 1)]
    assert [o.capacity for o in openings(cleaning, day + timedelta(days=1))] == [3, 3]


def test_an_items_own_capacity_limits_its_places(provider, make_item, cleaning, day):
    nursery = make_item(provider, "托育半日", category="childcare", unit="session", capacity=2)
    morning = to_utc(day, time(9))
    add_booking(nursery, morning, quantity=1)
    assert openings(nursery, day)[0].places_left == 1
    # other items' bookings use the slot's places, not the nursery's own two
    add_booking(cleaning, morning, quantity=1)
    assert openings(nursery, day)[0].places_left == 1
    assert openings(cleaning, day)[0].places_left == 1


def test_meals_need_a_menu_and_are_limited_by_its_portions(lunch, make_meal_menu, day):
    assert openings(lunch, day) == []
    make_meal_menu(lunch, day, portions=4)
    assert [o.places_left for o in openings(lunch, day)] == [3, 3]
    add_booking(lunch, to_utc(day, time(9)), quantity=3)
    # three of the four portions are taken: one left, whatever the afternoon slot's places
    assert [o.places_left for o in openings(lunch, day)] == [0, 1]
    days = bookable_days(lunch, day - timedelta(days=2), count=5)
    assert days == [day]


def test_slots_too_soon_or_past_are_marked(provider, cleaning):
    today = local_today()
    now = to_utc(today, time(8))  # 08:00 in Shanghai; notice is two hours
    found = openings(cleaning, today, now=now)
    assert [o.too_soon for o in found] == [True, False]
    assert not found[0].is_bookable
    assert openings(cleaning, today, now=to_utc(today, time(15)))[1].too_soon


def test_one_page_costs_a_few_queries_not_one_per_slot(app, provider, cleaning, day):
    from sqlalchemy import event

    statements = []

    def count(*args, **kwargs):
        statements.append(args[2])

    db.session.expire_all()
    cleaning = db.session.get(type(cleaning), cleaning.id)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        openings(cleaning, day)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # slots, exception, provider (for the notice), places taken
    assert len(statements) <= 4, statements


def test_counts_are_per_start_time(cleaning, day):
    add_booking(cleaning, to_utc(day + timedelta(days=1), time(9)), quantity=3)
    assert [o.places_left for o in openings(cleaning, day)] == [3, 3]
    assert db.session.scalar(select(func.count(Booking.id))) == 1
