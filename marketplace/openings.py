"""What can still be booked: a provider's slots on a Shanghai date and the places left.

A slot's places are its weekly capacity (or the day's exception), less the
places taken by bookings that still occupy it (marketplace.states.OCCUPYING;
a pending_payment booking only until its hold expires). An item with its own
capacity is limited by its own bookings at that start too, and a meal by the
portions on that day's menu. A page costs a few queries, not one per slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select

from community.models import utcnow
from extensions import db
from marketplace.booking_models import Booking, BookingStatus
from marketplace.clock import to_utc
from marketplace.models import CalendarException, MealMenu, ServiceCategory, ServiceItem, WeeklySlot
from marketplace.states import OCCUPYING


@dataclass(frozen=True)
class Opening:
    """One slot of one day, as a resident may book it."""

    slot_id: int
    starts_at: datetime  # stored (naive UTC)
    ends_at: datetime
    local_start: time  # Asia/Shanghai wall clock
    local_end: time
    capacity: int
    places_left: int
    too_soon: bool  # in the past, or within the provider's minimum notice

    @property
    def is_full(self) -> bool:
        return self.places_left <= 0

    @property
    def is_bookable(self) -> bool:
        return not self.is_full and not self.too_soon


@dataclass(frozen=True)
class DayPlan:
    """A provider's calendar for one item on one day, before counting bookings."""

    slots: list[WeeklySlot]
    exception: CalendarException | None
    menu: MealMenu | None  # meals only

    @property
    def is_closed(self) -> bool:
        return self.exception is not None and self.exception.is_closed

    def capacity_of(self, slot: WeeklySlot) -> int:
        if self.exception is not None and self.exception.capacity is not None:
            return self.exception.capacity
        return slot.capacity


def occupying(now: datetime):
    """The SQL condition for bookings that still take their places at ``now``."""
    return and_(
        Booking.status.in_([str(s) for s in OCCUPYING]),
        or_(Booking.status != BookingStatus.PENDING_PAYMENT, Booking.expires_at > now),
    )


def booked_places(provider_id: int, starts_at: datetime, *, now: datetime) -> int:
    """Places taken at ``starts_at`` by the provider's occupying bookings, all items together."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Booking.quantity), 0)).where(
            Booking.provider_id == provider_id, Booking.starts_at == starts_at, occupying(now)
        )
    )


def day_plan(item: ServiceItem, day: date) -> DayPlan:
    """The weekly slots of ``day``'s weekday, the day's exception and (meals) its menu."""
    provider_id = item.provider_id
    slots = list(
        db.session.scalars(
            select(WeeklySlot)
            .where(WeeklySlot.provider_id == provider_id, WeeklySlot.weekday == day.weekday())
            .order_by(WeeklySlot.starts_at)
        )
    )
    exception = db.session.scalar(
        select(CalendarException).where(
            CalendarException.provider_id == provider_id, CalendarException.on_date == day
        )
    )
    menu = None
    if item.category == ServiceCategory.MEALS:
        menu = db.session.scalar(
            select(MealMenu).where(MealMenu.item_id == item.id, MealMenu.served_on == day)
        )
    return DayPlan(slots, exception, menu)


def _day_range(day: date) -> tuple[datetime, datetime]:
    """The stored instants of ``day``'s Shanghai midnight and the next one."""
    return to_utc(day, time(0)), to_utc(day + timedelta(days=1), time(0))


def openings(
    item: ServiceItem, day: date, *, now: datetime | None = None, plan: DayPlan | None = None
) -> list[Opening]:
    """The item's bookable slots on the Shanghai date ``day`` with the places left in each.

    None on a closed day, and none for a meal without a menu that day. Slots in
    the past or within the provider's minimum notice are listed with ``too_soon``.
    """
    now = now or utcnow()
    plan = plan or day_plan(item, day)
    if plan.is_closed or not plan.slots:
        return []
    is_meal = item.category == ServiceCategory.MEALS
    if is_meal and plan.menu is None:
        return []
    starts = {slot.id: to_utc(day, slot.starts_at) for slot in plan.slots}
    # One query: per start, the provider's places taken and this item's.
    taken: dict[datetime, tuple[int, int]] = {
        starts_at: (int(total), int(of_item))
        for starts_at, total, of_item in db.session.execute(
            select(
                Booking.starts_at,
                func.sum(Booking.quantity),
                func.sum(case((Booking.item_id == item.id, Booking.quantity), else_=0)),
            )
            .where(
                Booking.provider_id == item.provider_id,
                Booking.starts_at.in_(list(starts.values())),
                occupying(now),
            )
            .group_by(Booking.starts_at)
        )
    }
    portions_left = None
    if is_meal:
        first, last = _day_range(day)
        served = db.session.scalar(
            select(func.coalesce(func.sum(Booking.quantity), 0)).where(
                Booking.item_id == item.id,
                Booking.starts_at >= first,
                Booking.starts_at < last,
                occupying(now),
            )
        )
        portions_left = plan.menu.portions - int(served)
    notice = timedelta(hours=item.provider.min_notice_hours)
    result = []
    for slot in plan.slots:
        starts_at = starts[slot.id]
        total, of_item = taken.get(starts_at, (0, 0))
        capacity = plan.capacity_of(slot)
        left = capacity - total
        if item.capacity is not None:
            left = min(left, item.capacity - of_item)
        if portions_left is not None:
            left = min(left, portions_left)
        result.append(
            Opening(
                slot_id=slot.id,
                starts_at=starts_at,
                ends_at=to_utc(day, slot.ends_at),
                local_start=slot.starts_at,
                local_end=slot.ends_at,
                capacity=capacity,
                places_left=max(left, 0),
                too_soon=starts_at < now + notice,
            )
        )
    return result


def bookable_days(item: ServiceItem, start_day: date, count: int = 14) -> list[date]:
    """The days from ``start_day`` (``count`` of them) on which the item has slots at all:
    a weekday with slots, not closed, and for a meal a menu. Places are not counted here."""
    last_day = start_day + timedelta(days=count - 1)
    weekdays = set(
        db.session.scalars(
            select(WeeklySlot.weekday).where(WeeklySlot.provider_id == item.provider_id).distinct()
        )
    )
    closed = set(
        db.session.scalars(
            select(CalendarException.on_date).where(
                CalendarException.provider_id == item.provider_id,
                CalendarException.on_date.between(start_day, last_day),
                or_(CalendarException.is_closed.is_(True), CalendarException.capacity == 0),
            )
        )
    )
    menus = None
    if item.category == ServiceCategory.MEALS:
        menus = set(
            db.session.scalars(
                select(MealMenu.served_on).where(
                    MealMenu.item_id == item.id, MealMenu.served_on.between(start_day, last_day)
                )
            )
        )
    days = (start_day + timedelta(days=n) for n in range(count))
    return [
        day
        for day in days
        if day.weekday() in weekdays and day not in closed and (menus is None or day in menus)
    ]
