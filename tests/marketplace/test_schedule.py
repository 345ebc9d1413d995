"""Weekly slots and date exceptions, rule by rule (both databases)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from community.models import utcnow
from extensions import db
from marketplace import schedule
from marketplace.booking_models import Booking
from marketplace.clock import local_today
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.models import CalendarException, WeeklySlot
from tests.marketplace.booking_support import add_booking


@pytest.fixture
def bare(make_provider):
    """A verified provider without any slot."""
    return make_provider(slots=())


def _slot(provider, owner, weekday=0, starts=time(9), ends=time(11), capacity=2):
    return schedule.add_weekly_slot(
        provider.id, by=owner, weekday=weekday, starts_at=starts, ends_at=ends, capacity=capacity
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_add_a_weekly_slot(bare, provider_owner):
    slot = _slot(bare, provider_owner)
    assert (slot.weekday, slot.starts_at, slot.ends_at, slot.capacity) == (0, time(9), time(11), 2)
    _slot(bare, provider_owner, starts=time(11), ends=time(12))  # touching is not overlapping
    _slot(bare, provider_owner, weekday=1)  # another day
    assert [s.weekday for s in schedule.weekly_slots(bare.id)] == [0, 0, 1]


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(time(9), time(11)), (time(10), time(12)), (time(8), time(9, 30)), (time(9, 30), time(10))],
)
def test_overlapping_slots_are_refused(bare, provider_owner, starts, ends):
    _slot(bare, provider_owner)
    with pytest.raises(Conflict):
        _slot(bare, provider_owner, starts=starts, ends=ends)
    assert _count(WeeklySlot) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"weekday": 7},
        {"weekday": -1},
        {"starts": time(11), "ends": time(9)},
        {"starts": time(9), "ends": time(9)},
        {"capacity": 0},
    ],
)
def test_bad_slots_are_refused(bare, provider_owner, change):
    with pytest.raises(InvalidInput):
        _slot(bare, provider_owner, **change)
    assert _count(WeeklySlot) == 0


def test_only_the_owner_edits_the_calendar(bare, provider, coordinator):
    slot = provider  # the fixture provider has slots
    some = schedule.weekly_slots(slot.id)[0]
    with pytest.raises(NotAllowed):
        _slot(bare, coordinator)
    with pytest.raises(NotAllowed):
        schedule.remove_weekly_slot(some.id, by=coordinator)
    with pytest.raises(NotAllowed):
        schedule.set_exception(bare.id, by=coordinator, on_date=local_today(), is_closed=True)
    with pytest.raises(NotFound):
        schedule.remove_weekly_slot(99999, by=coordinator)


def _booking(provider, item, resident, slot, starts, status="accepted"):
    return add_booking(item, starts, resident=resident, status=status, slot_id=slot.id)


def test_a_slot_with_bookings_to_come_stays(provider, cleaning, provider_owner, elder):
    slot = schedule.weekly_slots(provider.id)[0]
    _booking(provider, cleaning, elder, slot, utcnow() + timedelta(days=2))
    with pytest.raises(Conflict):
        schedule.remove_weekly_slot(slot.id, by=provider_owner)
    assert db.session.get(WeeklySlot, slot.id) is not None


def test_removing_a_slot_keeps_past_bookings(provider, cleaning, provider_owner, elder):
    slot = schedule.weekly_slots(provider.id)[0]
    past = _booking(provider, cleaning, elder, slot, utcnow() - timedelta(days=2), "completed")
    cancelled = _booking(provider, cleaning, elder, slot, utcnow() + timedelta(days=2), "cancelled")
    schedule.remove_weekly_slot(slot.id, by=provider_owner)
    db.session.expire_all()
    assert db.session.get(WeeklySlot, slot.id) is None
    assert db.session.get(Booking, past.id).slot_id is None
    assert db.session.get(Booking, cancelled.id).status == "cancelled"


def test_exceptions_close_or_change_a_day_once(bare, provider_owner):
    day = local_today() + timedelta(days=3)
    closed = schedule.set_exception(
        bare.id, by=provider_owner, on_date=day, is_closed=True, capacity=5, note="国庆"
    )
    assert (closed.is_closed, closed.capacity, closed.note) == (True, None, "国庆")
    opened = schedule.set_exception(
        bare.id, by=provider_owner, on_date=day, is_closed=False, capacity=5
    )
    assert opened.id == closed.id
    assert (opened.is_closed, opened.capacity) == (False, 5)
    assert _count(CalendarException) == 1
    assert [e.on_date for e in schedule.exceptions_from(bare.id, local_today())] == [day]
    schedule.clear_exception(opened.id, by=provider_owner)
    assert _count(CalendarException) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"on_date": local_today() - timedelta(days=1)},
        {"is_closed": False, "capacity": None},
        {"is_closed": False, "capacity": 0},
        {"note": "x" * 201},
    ],
)
def test_bad_exceptions_are_refused(bare, provider_owner, change):
    values = {"on_date": local_today(), "is_closed": True, "capacity": None, "note": ""}
    with pytest.raises(InvalidInput):
        schedule.set_exception(bare.id, by=provider_owner, **{**values, **change})
    assert _count(CalendarException) == 0


def test_only_the_owner_clears_an_exception(bare, provider_owner, coordinator):
    day = schedule.set_exception(bare.id, by=provider_owner, on_date=local_today(), is_closed=True)
    with pytest.raises(NotAllowed):
        schedule.clear_exception(day.id, by=coordinator)
    with pytest.raises(NotFound):
        schedule.clear_exception(99999, by=provider_owner)
