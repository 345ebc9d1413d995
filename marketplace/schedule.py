"""A provider's calendar: weekly slots and date exceptions (closed, or other capacity).

Times are Asia/Shanghai wall-clock times (see marketplace.clock). Which places
are still free on a given day is computed elsewhere (marketplace.openings).
"""

from __future__ import annotations

from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from community.models import User, utcnow
from extensions import db
from marketplace.booking_models import Booking
from marketplace.clock import local_today
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.models import CalendarException, WeeklySlot
from marketplace.providers import check_may_edit, get_provider
from marketplace.states import OCCUPYING

MAX_SLOT_CAPACITY = 1000


def _capacity(value, message) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SLOT_CAPACITY:
        raise InvalidInput(message)
    return value


def add_weekly_slot(
    provider_id: int, *, by: User, weekday: int, starts_at: time, ends_at: time, capacity: int
) -> WeeklySlot:
    """Add a slot that recurs every week on ``weekday`` (0 = Monday).

    Raises NotFound, NotAllowed, InvalidInput (bad weekday, start not before
    end, no places), Conflict (it overlaps another slot of that weekday).
    """
    provider = get_provider(provider_id, lock=True)
    check_may_edit(provider, by)
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise InvalidInput(_l("Choose a day of the week."))
    if starts_at is None or ends_at is None or not starts_at < ends_at:
        raise InvalidInput(_l("The start must be before the end, on the same day."))
    _capacity(capacity, _l("Places must be between 1 and %(max)s.", max=MAX_SLOT_CAPACITY))
    overlapping = db.session.scalar(
        select(WeeklySlot.id)
        .where(
            WeeklySlot.provider_id == provider.id,
            WeeklySlot.weekday == weekday,
            WeeklySlot.starts_at < ends_at,
            WeeklySlot.ends_at > starts_at,
        )
        .limit(1)
    )
    if overlapping is not None:
        raise Conflict(_l("This time overlaps another slot on the same day."))
    slot = WeeklySlot(
        provider_id=provider.id,
        weekday=weekday,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )
    db.session.add(slot)
    db.session.flush()
    return slot


def slot_to_remove(slot_id: int, *, by: User) -> WeeklySlot:
    """The weekly slot ``by`` may remove (for the page that asks first; nothing is locked).

    Raises NotFound, NotAllowed.
    """
    slot = db.session.get(WeeklySlot, slot_id)
    if slot is None:
        raise NotFound(_l("No such slot."))
    check_may_edit(get_provider(slot.provider_id), by)
    return slot


def remove_weekly_slot(slot_id: int, *, by: User) -> None:
    """Remove a weekly slot. Past and finished bookings keep their times (their link to
    the slot is cleared).

    Raises NotFound, NotAllowed, Conflict (bookings still to come use it:
    they must be dealt with first).
    """
    slot = db.session.get(WeeklySlot, slot_id)
    if slot is None:
        raise NotFound(_l("No such slot."))
    provider = get_provider(slot.provider_id, lock=True)
    check_may_edit(provider, by)
    upcoming = db.session.scalar(
        select(Booking.id)
        .where(
            Booking.slot_id == slot.id,
            Booking.starts_at >= utcnow(),
            Booking.status.in_(list(OCCUPYING)),
        )
        .limit(1)
    )
    if upcoming is not None:
        raise Conflict(
            _l(
                "Bookings still to come use this slot. Close the days instead, or settle them first."
            )
        )
    # a booking copies its times, so the slot is only a pointer it can lose
    db.session.execute(update(Booking).where(Booking.slot_id == slot.id).values(slot_id=None))
    db.session.delete(slot)
    db.session.flush()


def set_exception(
    provider_id: int,
    *,
    by: User,
    on_date: date,
    is_closed: bool,
    capacity: int | None = None,
    note: str = "",
    today: date | None = None,
) -> CalendarException:
    """Close a day, or open it with ``capacity`` places in every slot; replaces that day's.

    Raises NotFound, NotAllowed, InvalidInput (a past day, no capacity when
    open, a note over 200 characters).
    """
    provider = get_provider(provider_id, lock=True)
    check_may_edit(provider, by)
    if on_date is None or on_date < (today or local_today()):
        raise InvalidInput(_l("Choose today or a later day."))
    if is_closed:
        capacity = None
    else:
        _capacity(
            capacity,
            _l("For an open day, give the places per slot (1 to %(max)s).", max=MAX_SLOT_CAPACITY),
        )
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput(_l("The note is too long (at most 200 characters)."))
    exception = db.session.scalar(
        select(CalendarException).where(
            CalendarException.provider_id == provider.id, CalendarException.on_date == on_date
        )
    )
    if exception is None:
        exception = CalendarException(provider_id=provider.id, on_date=on_date)
        db.session.add(exception)
    exception.is_closed = bool(is_closed)
    exception.capacity = capacity
    exception.note = note
    db.session.flush()
    return exception


def clear_exception(exception_id: int, *, by: User) -> None:
    """Let the weekly schedule hold again on the exception's day. Raises NotFound, NotAllowed."""
    exception = db.session.get(CalendarException, exception_id)
    if exception is None:
        raise NotFound(_l("No such day in your calendar."))
    check_may_edit(get_provider(exception.provider_id, lock=True), by)
    db.session.delete(exception)
    db.session.flush()


def weekly_slots(provider_id: int) -> list[WeeklySlot]:
    """The provider's weekly slots, Monday first, by start time."""
    return list(
        db.session.scalars(
            select(WeeklySlot)
            .where(WeeklySlot.provider_id == provider_id)
            .order_by(WeeklySlot.weekday, WeeklySlot.starts_at)
        )
    )


def exceptions_from(provider_id: int, start: date) -> list[CalendarException]:
    """The provider's exceptions on ``start`` or later, by date."""
    return list(
        db.session.scalars(
            select(CalendarException)
            .where(CalendarException.provider_id == provider_id, CalendarException.on_date >= start)
            .order_by(CalendarException.on_date)
        )
    )
