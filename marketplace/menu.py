"""A provider's menu: items (price in yuan, optionally in hours), pausing, dated meal menus.

Prices are entered as text the way people write them ("12.5" yuan, "1.5"
hours) and stored as integers (fen, minutes). Bookings copy an item's price
when they are made, so changing an item never changes a booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User
from extensions import db
from marketplace.clock import local_today
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.models import MealMenu, ServiceCategory, ServiceItem, Unit
from marketplace.providers import check_may_edit, get_provider

MAX_PRICE_YUAN = Decimal(100000)
MAX_PRICE_HOURS = Decimal(100)
MAX_DURATION_MINUTES = 24 * 60
MAX_CAPACITY = 1000
MAX_AGE_MONTHS = 216  # 18 years
MAX_PORTIONS = 10000


@dataclass(frozen=True)
class ItemInput:
    """An item as the owner typed it (prices as text; the rules are in ``check_item``)."""

    category: str
    title: str
    unit: str
    price_yuan: str
    duration_minutes: int
    description: str = ""
    price_hours: str = ""  # empty: not offered for hours
    capacity: int | None = None
    min_age_months: int | None = None
    max_age_months: int | None = None
    cancel_fee_percent: int = 0


def parse_yuan(text: str) -> int:
    """``"12.5"`` → ``1250`` fen. Raises InvalidInput unless 0 < price ≤ 100000 yuan, in fen."""
    try:
        yuan = Decimal((text or "").strip().lstrip("¥￥"))
    except InvalidOperation:
        raise InvalidInput(_l("Enter the price in yuan, for example 12.5.")) from None
    if not yuan.is_finite():  # NaN, sNaN, Infinity: arithmetic on them raises or lies
        raise InvalidInput(_l("Enter the price in yuan, for example 12.5."))
    if not 0 < yuan <= MAX_PRICE_YUAN:
        raise InvalidInput(
            _l("The price must be more than 0 and at most %(max)s yuan.", max=MAX_PRICE_YUAN)
        )
    fen = yuan * 100
    if fen != fen.to_integral_value() or fen < 1:  # 1e-9999999 rounds to 0 fen
        raise InvalidInput(_l("Enter the price in yuan, for example 12.5."))
    return int(fen)


def parse_hours(text: str) -> int | None:
    """``"1.5"`` → ``90`` minutes; empty → None. Raises InvalidInput for whole-minute misses."""
    raw = (text or "").strip()
    if not raw:
        return None
    try:
        hours = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(_l("Enter the price in hours, for example 1.5.")) from None
    if not hours.is_finite():
        raise InvalidInput(_l("Enter the price in hours, for example 1.5."))
    if not 0 < hours <= MAX_PRICE_HOURS:
        raise InvalidInput(
            _l("The price in hours must be more than 0 and at most %(max)s.", max=MAX_PRICE_HOURS)
        )
    minutes = hours * 60
    if minutes != minutes.to_integral_value() or minutes < 1:
        raise InvalidInput(_l("Enter the price in hours, for example 1.5."))
    return int(minutes)


def _int_between(value, low: int, high: int, message) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(message)
    return value


def check_item(values: ItemInput, categories: list[str]) -> dict:
    """The item's stored fields from ``values``; raises InvalidInput for any broken rule."""
    if values.category not in categories:
        raise InvalidInput(_l("Choose one of your provider's kinds of service."))
    if values.unit not in {u.value for u in Unit}:
        raise InvalidInput(_l("Choose a unit from the list."))
    if (values.category == ServiceCategory.MEALS) != (values.unit == Unit.MEAL):
        raise InvalidInput(_l("Meals are sold per meal, and nothing else is."))
    title = (values.title or "").strip()
    if not title or len(title) > 80:
        raise InvalidInput(_l("Enter a name for the item (at most 80 characters)."))
    description = (values.description or "").strip()
    if len(description) > 500:
        raise InvalidInput(_l("The description is too long (at most 500 characters)."))
    fields = {
        "category": values.category,
        "title": title,
        "description": description,
        "unit": values.unit,
        "price_fen": parse_yuan(values.price_yuan),
        "price_minutes": parse_hours(values.price_hours),
        "duration_minutes": _int_between(
            values.duration_minutes,
            1,
            MAX_DURATION_MINUTES,
            _l("The duration must be between 1 and %(max)s minutes.", max=MAX_DURATION_MINUTES),
        ),
        "capacity": None,
        "min_age_months": None,
        "max_age_months": None,
        "cancel_fee_percent": _int_between(
            values.cancel_fee_percent,
            0,
            100,
            _l("The cancellation fee must be between 0 and 100 per cent."),
        ),
    }
    if values.capacity is not None:
        fields["capacity"] = _int_between(
            values.capacity,
            1,
            MAX_CAPACITY,
            _l("Places must be between 1 and %(max)s.", max=MAX_CAPACITY),
        )
    if values.category == ServiceCategory.CHILDCARE:
        low, high = values.min_age_months, values.max_age_months
        message = _l(
            "Childcare needs an age range in months, from 0 to %(max)s, youngest first.",
            max=MAX_AGE_MONTHS,
        )
        _int_between(low, 0, MAX_AGE_MONTHS, message)
        _int_between(high, 0, MAX_AGE_MONTHS, message)
        if low > high:
            raise InvalidInput(message)
        fields["min_age_months"], fields["max_age_months"] = low, high
    return fields


def _same_title(provider_id: int, title: str, except_id: int | None = None) -> bool:
    query = select(ServiceItem.id).where(
        ServiceItem.provider_id == provider_id, ServiceItem.title == title
    )
    if except_id is not None:
        query = query.where(ServiceItem.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def add_item(provider_id: int, values: ItemInput, *, by: User) -> ServiceItem:
    """Add an item to the menu of the provider ``by`` runs.

    Raises NotFound, NotAllowed (not the owner), InvalidInput, Conflict (the
    provider already has an item of that name: a form sent twice adds one).
    """
    provider = get_provider(provider_id, lock=True)
    check_may_edit(provider, by)
    fields = check_item(values, provider.category_codes)
    if _same_title(provider.id, fields["title"]):
        raise Conflict(
            _l("Your menu already has an item called “%(title)s”.", title=fields["title"])
        )
    item = ServiceItem(provider_id=provider.id, **fields)
    db.session.add(item)
    db.session.flush()
    return item


def owned_item(item_id: int, *, by: User, lock: bool = False) -> ServiceItem:
    """The item, for the owner of its provider. Raises NotFound or NotAllowed."""
    query = select(ServiceItem).where(ServiceItem.id == item_id)
    if lock:
        query = query.with_for_update()
    item = db.session.scalar(query)
    if item is None:
        raise NotFound(_l("No such item on the menu."))
    check_may_edit(item.provider, by)
    return item


def update_item(item_id: int, values: ItemInput, *, by: User) -> ServiceItem:
    """Change an item. Existing bookings keep the price they were made at.

    Raises NotFound, NotAllowed, InvalidInput, Conflict (a name another item has).
    """
    item = owned_item(item_id, by=by, lock=True)
    fields = check_item(values, item.provider.category_codes)
    if _same_title(item.provider_id, fields["title"], except_id=item.id):
        raise Conflict(
            _l("Your menu already has an item called “%(title)s”.", title=fields["title"])
        )
    for name, value in fields.items():
        setattr(item, name, value)
    db.session.flush()
    return item


def pause_item(item_id: int, *, by: User) -> ServiceItem:
    """Stop taking bookings for an item (existing bookings stand). Raises NotFound, NotAllowed."""
    item = owned_item(item_id, by=by, lock=True)
    item.is_paused = True
    db.session.flush()
    return item


def resume_item(item_id: int, *, by: User) -> ServiceItem:
    """Take bookings for a paused item again. Raises NotFound, NotAllowed."""
    item = owned_item(item_id, by=by, lock=True)
    item.is_paused = False
    db.session.flush()
    return item


def publish_meal_menu(
    item_id: int,
    *,
    by: User,
    served_on: date,
    dishes: str,
    portions: int,
    offers_pickup: bool,
    offers_delivery: bool,
    today: date | None = None,
) -> MealMenu:
    """Say what a meal item serves on one day; publishing the same day again replaces it.

    Raises NotFound, NotAllowed, InvalidInput (not a meal item, a past day, no
    dishes, no portions, neither pickup nor delivery).
    """
    item = owned_item(item_id, by=by, lock=True)
    if item.category != ServiceCategory.MEALS:
        raise InvalidInput(_l("Only meal items have daily menus."))
    if served_on is None or served_on < (today or local_today()):
        raise InvalidInput(_l("Choose today or a later day."))
    dishes = (dishes or "").strip()
    if not dishes or len(dishes) > 500:
        raise InvalidInput(_l("List the dishes (at most 500 characters)."))
    _int_between(
        portions,
        1,
        MAX_PORTIONS,
        _l("Portions must be between 1 and %(max)s.", max=MAX_PORTIONS),
    )
    if not (offers_pickup or offers_delivery):
        raise InvalidInput(_l("Offer pickup, delivery or both."))
    menu = db.session.scalar(
        select(MealMenu).where(MealMenu.item_id == item.id, MealMenu.served_on == served_on)
    )
    if menu is None:
        menu = MealMenu(item_id=item.id, served_on=served_on)
        db.session.add(menu)
    menu.dishes = dishes
    menu.portions = portions
    menu.offers_pickup = bool(offers_pickup)
    menu.offers_delivery = bool(offers_delivery)
    db.session.flush()
    return menu


def upcoming_meal_menus(provider_id: int, start: date, days: int = 14) -> list[MealMenu]:
    """The provider's meal menus from ``start`` for ``days`` days, by day then item."""
    return list(
        db.session.scalars(
            select(MealMenu)
            .join(ServiceItem, ServiceItem.id == MealMenu.item_id)
            .where(
                ServiceItem.provider_id == provider_id,
                MealMenu.served_on >= start,
                MealMenu.served_on < start + timedelta(days=days),
            )
            .order_by(MealMenu.served_on, ServiceItem.title)
        )
    )


def menu_items(provider_id: int) -> list[ServiceItem]:
    """All the provider's items (paused ones too), in the order they were added."""
    return list(
        db.session.scalars(
            select(ServiceItem)
            .where(ServiceItem.provider_id == provider_id)
            .order_by(ServiceItem.id)
        )
    )
