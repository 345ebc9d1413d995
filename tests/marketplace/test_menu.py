"""Menu items, pausing and dated meal menus, rule by rule (both databases)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.models import utcnow
from extensions import db
from marketplace import menu
from marketplace.booking_models import Booking
from marketplace.clock import local_today
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.menu import ItemInput
from marketplace.models import MealMenu, ServiceItem
from tests.marketplace.booking_support import add_booking

# Messages are read in English (the msgids), whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


CLEANING = ItemInput(
    category="housekeeping",
    title="深度保洁",
    unit="visit",
    price_yuan="12.5",
    price_hours="1.5",
    duration_minutes=120,
    capacity=2,
    cancel_fee_percent=20,
)
TODDLERS = ItemInput(
    category="childcare",
    title="半日托",
    unit="session",
    price_yuan="100",
    duration_minutes=240,
    min_age_months=12,
    max_age_months=36,
)


def test_prices_are_stored_in_fen_and_minutes(provider, provider_owner):
    item = menu.add_item(provider.id, CLEANING, by=provider_owner)
    assert (item.price_fen, item.price_minutes, item.capacity) == (1250, 90, 2)
    assert item.min_age_months is None
    assert not item.is_paused


@pytest.mark.parametrize(
    ("text", "fen"), [("0.01", 1), ("¥8", 800), ("100000", 10_000_000), (" 3.50 ", 350)]
)
def test_yuan_parsing(text, fen):
    assert menu.parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    ["", "0", "-1", "0.001", "100000.01", "abc", "NaN", "Infinity", "sNaN", "1e999999999"]
    + ["1e-99999999"],  # so small that in fen it rounds to nothing
)
def test_bad_yuan(text):
    with pytest.raises(InvalidInput):
        menu.parse_yuan(text)


@pytest.mark.parametrize(
    "text", ["0", "-1", "0.01", "100.5", "x", "sNaN", "NaN", "1e999999999", "1e-99999999"]
)
def test_bad_hours(text):
    with pytest.raises(InvalidInput):
        menu.parse_hours(text)


def test_no_hours_price_is_none():
    assert menu.parse_hours("  ") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "gardening"}, "kinds of service"),
        ({"unit": "week"}, "unit"),
        ({"unit": "meal"}, "per meal"),
        ({"title": " "}, "name"),
        ({"price_yuan": "0"}, "more than 0"),
        ({"duration_minutes": 0}, "duration"),
        ({"capacity": 0}, "Places"),
        ({"cancel_fee_percent": 101}, "cancellation fee"),
        ({"cancel_fee_percent": -1}, "cancellation fee"),
    ],
)
def test_bad_items_are_refused(provider, provider_owner, change, message):
    with pytest.raises(InvalidInput, match=message):
        menu.add_item(provider.id, replace(CLEANING, **change), by=provider_owner)
    assert db.session.scalar(select(func.count(ServiceItem.id))) == 0


def test_category_must_be_one_of_the_providers(make_provider, provider_owner):
    canteen = make_provider(categories="meals")
    with pytest.raises(InvalidInput, match="kinds of service"):
        menu.add_item(canteen.id, CLEANING, by=provider_owner)


def test_meals_are_sold_per_meal(provider, provider_owner):
    lunch = ItemInput(
        category="meals", title="午餐", unit="visit", price_yuan="15", duration_minutes=60
    )
    with pytest.raises(InvalidInput, match="per meal"):
        menu.add_item(provider.id, lunch, by=provider_owner)
    assert menu.add_item(provider.id, replace(lunch, unit="meal"), by=provider_owner).unit == "meal"


def test_childcare_needs_an_age_range(provider, provider_owner):
    item = menu.add_item(provider.id, TODDLERS, by=provider_owner)
    assert (item.min_age_months, item.max_age_months) == (12, 36)
    for low, high in ((None, 36), (12, None), (36, 12), (-1, 12), (0, 217)):
        with pytest.raises(InvalidInput, match="age range"):
            menu.add_item(
                provider.id,
                replace(TODDLERS, title=f"托{low}{high}", min_age_months=low, max_age_months=high),
                by=provider_owner,
            )


def test_a_second_item_of_the_same_name_is_refused(provider, provider_owner):
    menu.add_item(provider.id, CLEANING, by=provider_owner)
    with pytest.raises(Conflict):
        menu.add_item(provider.id, CLEANING, by=provider_owner)


def test_only_the_owner_edits_the_menu(provider, cleaning, coordinator, make_member):
    stranger = make_member("别人")
    for nobody in (coordinator, stranger):
        with pytest.raises(NotAllowed):
            menu.add_item(provider.id, CLEANING, by=nobody)
        with pytest.raises(NotAllowed):
            menu.update_item(cleaning.id, CLEANING, by=nobody)
        with pytest.raises(NotAllowed):
            menu.pause_item(cleaning.id, by=nobody)
    with pytest.raises(NotFound):
        menu.pause_item(99999, by=stranger)


def test_a_rejected_provider_cannot_edit(make_provider, provider_owner):
    rejected = make_provider(status="rejected")
    with pytest.raises(NotAllowed):
        menu.add_item(rejected.id, CLEANING, by=provider_owner)


def test_a_price_change_never_alters_a_booking(provider, cleaning, provider_owner, elder):
    booking = add_booking(
        cleaning,
        utcnow() + timedelta(days=3),
        resident=elder,
        total_minutes=cleaning.price_minutes,
    )
    menu.update_item(
        cleaning.id,
        replace(CLEANING, title="新名字", price_yuan="99", price_hours="3"),
        by=provider_owner,
    )
    db.session.expire_all()
    kept = db.session.get(Booking, booking.id)
    assert (kept.title, kept.unit_price_fen, kept.total_fen, kept.total_minutes) == (
        "日常保洁",
        8000,
        8000,
        120,
    )
    assert db.session.get(ServiceItem, cleaning.id).price_fen == 9900


def test_pause_and_resume(cleaning, provider_owner):
    menu.pause_item(cleaning.id, by=provider_owner)
    assert cleaning.is_paused
    menu.resume_item(cleaning.id, by=provider_owner)
    assert not cleaning.is_paused


def _publish(item, owner, **change):
    values = {
        "served_on": local_today() + timedelta(days=1),
        "dishes": "红烧肉、青菜",
        "portions": 30,
        "offers_pickup": True,
        "offers_delivery": False,
    }
    return menu.publish_meal_menu(item.id, by=owner, **{**values, **change})


def test_one_meal_menu_per_item_and_day(lunch, provider_owner):
    first = _publish(lunch, provider_owner)
    second = _publish(lunch, provider_owner, dishes="鱼香肉丝", portions=20, offers_delivery=True)
    assert first.id == second.id
    assert db.session.scalar(select(func.count(MealMenu.id))) == 1
    assert (second.dishes, second.portions, second.offers_delivery) == ("鱼香肉丝", 20, True)
    assert _publish(lunch, provider_owner, served_on=local_today()).id != first.id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"served_on": local_today() - timedelta(days=1)}, "later day"),
        ({"dishes": " "}, "dishes"),
        ({"portions": 0}, "Portions"),
        ({"offers_pickup": False, "offers_delivery": False}, "pickup, delivery"),
    ],
)
def test_bad_meal_menus_are_refused(lunch, provider_owner, change, message):
    with pytest.raises(InvalidInput, match=message):
        _publish(lunch, provider_owner, **change)
    assert db.session.scalar(select(func.count(MealMenu.id))) == 0


def test_only_meal_items_have_menus(cleaning, provider_owner):
    with pytest.raises(InvalidInput, match="Only meal items"):
        _publish(cleaning, provider_owner)


def test_only_the_owner_publishes_menus(lunch, coordinator):
    with pytest.raises(NotAllowed):
        _publish(lunch, coordinator)
