"""Fixtures for the marketplace: a verified provider with a menu and a weekly calendar.

They build rows directly (not through the catalogue services) so that every
marketplace test starts from the same small, known provider.
"""

from __future__ import annotations

from datetime import time

import pytest

from community.models import Role, User
from extensions import db
from marketplace.models import (
    MealMenu,
    Provider,
    ProviderStatus,
    ServiceItem,
    WeeklySlot,
)
from timebank.accounts import open_provider_account

# Every day of the week: a morning and an afternoon slot, three places each.
SLOT_TIMES = ((time(9), time(11)), (time(14), time(16)))
SLOT_CAPACITY = 3


@pytest.fixture
def provider_owner(make_member) -> User:
    return make_member("陈家政", age=45, role=Role.MEMBER)


@pytest.fixture
def make_provider(app, community, street, provider_owner):
    """make_provider(name=..., owner=..., status=verified, categories=..., communities=[...])."""

    def make(
        name: str = "好帮手家政",
        *,
        owner: User | None = None,
        status: str = ProviderStatus.VERIFIED,
        categories: str = "housekeeping,childcare,meals",
        communities=None,
        min_notice_hours: int = 2,
        slots=SLOT_TIMES,
        capacity: int = SLOT_CAPACITY,
    ) -> Provider:
        owner = owner or provider_owner
        account = open_provider_account(owner.community_id)
        provider = Provider(
            name=name,
            kind="company",
            categories=categories,
            description=f"{name}：家政、托育与助餐。",
            contact_name=owner.display_name,
            contact_phone="051260000000",
            address="沧浪街道十全街1号",
            licence_number="91320508MA1XXXXX",
            status=status,
            owner_id=owner.id,
            street_id=street.id,
            account_id=account.id,
            min_notice_hours=min_notice_hours,
        )
        provider.communities = list(communities or [community])
        db.session.add(provider)
        db.session.flush()
        for weekday in range(7):
            for starts, ends in slots:
                db.session.add(
                    WeeklySlot(
                        provider_id=provider.id,
                        weekday=weekday,
                        starts_at=starts,
                        ends_at=ends,
                        capacity=capacity,
                    )
                )
        db.session.flush()
        return provider

    return make


@pytest.fixture
def provider(make_provider) -> Provider:
    return make_provider()


@pytest.fixture
def make_item(app):
    """make_item(provider, title=..., category=..., price_fen=..., **fields) -> ServiceItem."""

    def make(provider: Provider, title: str = "日常保洁", **fields) -> ServiceItem:
        values = {
            "category": "housekeeping",
            "unit": "visit",
            "price_fen": 8000,
            "price_minutes": 120,
            "duration_minutes": 120,
            "cancel_fee_percent": 20,
        }
        values.update(fields)
        item = ServiceItem(provider_id=provider.id, title=title, **values)
        db.session.add(item)
        db.session.flush()
        return item

    return make


@pytest.fixture
def cleaning(provider, make_item) -> ServiceItem:
    """¥80 (or 2 hours) per visit of 2 hours; 20 % kept on a late cancellation."""
    return make_item(provider)


@pytest.fixture
def lunch(provider, make_item) -> ServiceItem:
    """¥15 per meal; dated menus say what is served and how many portions."""
    return make_item(
        provider,
        "爱心午餐",
        category="meals",
        unit="meal",
        price_fen=1500,
        price_minutes=None,
        duration_minutes=60,
        cancel_fee_percent=0,
    )


@pytest.fixture
def make_meal_menu(app):
    def make(item: ServiceItem, day, portions: int = 30, **fields) -> MealMenu:
        menu = MealMenu(
            item_id=item.id,
            served_on=day,
            dishes=fields.pop("dishes", "红烧肉、清炒时蔬、米饭、紫菜汤"),
            portions=portions,
            **fields,
        )
        db.session.add(menu)
        db.session.flush()
        return menu

    return make


@pytest.fixture
def make_booking(app):
    """make_booking(item, resident, starts_at=..., status=..., payment_method=..., ...) -> Booking.

    A booking row written directly (no capacity or notice rules), so state tests
    can start anywhere, even in the past. Hours bookings place their ledger hold;
    the community subsidy is reserved as the booking service would.
    """
    import uuid
    from datetime import timedelta

    from community.models import utcnow
    from marketplace import subsidies
    from marketplace.booking_models import Booking
    from timebank.accounts import member_account
    from timebank.ledger import place_hold

    def make(
        item: ServiceItem,
        resident: User,
        *,
        starts_at=None,
        status: str = "requested",
        payment_method: str = "on_site",
        quantity: int = 1,
        booked_by: User | None = None,
        expires_at=None,
        delivered_at=None,
        completed_at=None,
        subsidy: bool = True,
    ):
        starts_at = starts_at or utcnow() + timedelta(days=3)
        booking = Booking(
            provider_id=item.provider_id,
            item_id=item.id,
            resident_id=resident.id,
            booked_by_id=(booked_by or resident).id,
            community_id=resident.community_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=item.duration_minutes),
            quantity=quantity,
            title=item.title,
            category=item.category,
            unit=item.unit,
            unit_price_fen=item.price_fen,
            total_fen=item.price_fen * quantity,
            payment_method=payment_method,
            status=status,
            expires_at=expires_at,
            delivered_at=delivered_at,
            completed_at=completed_at,
            idempotency_key=uuid.uuid4().hex,
        )
        db.session.add(booking)
        db.session.flush()
        if subsidy:
            subsidies.reserve(booking)
        if payment_method == "hours":
            booking.total_minutes = item.price_minutes * quantity
            booking.hold_id = place_hold(
                account_id=member_account(resident).id,
                minutes=booking.total_minutes,
                reason=f"booking {booking.id}",
                idempotency_key=f"booking:{booking.id}:hold",
                entered_by=booked_by or resident,
            )
        db.session.flush()
        return booking

    return make


# --- card payments against localstripe (tests/marketplace/stripe_server.py) ---


@pytest.fixture(scope="session")
def localstripe():
    from tests.marketplace.stripe_server import LocalStripe

    server = LocalStripe()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_app(app, localstripe):
    """The app with card payments on, talking to a freshly emptied localstripe."""
    localstripe.reset()
    app.config.update(localstripe.config())
    return app


@pytest.fixture
def book_by_card(stripe_app, elder, cleaning):
    """book_by_card(days_ahead=3) -> the elder's pending_payment card booking of the ¥80 cleaning."""
    from tests.marketplace.stripe_server import book_by_card

    return lambda days_ahead=3: book_by_card(elder, cleaning, days_ahead)


@pytest.fixture
def day():
    """A Shanghai date three days ahead: bookable, well past any minimum notice."""
    from datetime import timedelta

    from marketplace.clock import local_today

    return local_today() + timedelta(days=3)


@pytest.fixture
def slots(provider, day) -> dict[str, int]:
    """The ids of the provider's morning and afternoon slots on ``day``."""
    from sqlalchemy import select

    rows = db.session.scalars(
        select(WeeklySlot).where(
            WeeklySlot.provider_id == provider.id, WeeklySlot.weekday == day.weekday()
        )
    )
    return {("morning" if s.starts_at == time(9) else "afternoon"): s.id for s in rows}


# --- reach: a provider serving two communities of the street, and everyone who might look ---


@pytest.fixture
def actors(people, far_people, provider_owner, make_member, elder) -> dict[str, User]:
    """Everyone who might look at community A's elder's bookings, by name: the issue's people,
    staff of another street, the owner of the provider below, another provider's owner, and
    a son whose link does not allow booking."""
    from community.services import link_family

    son = make_member("王儿子", age=52)
    link_family(by=elder, elder=elder, relative=son, may_book=False)
    return {
        **people,
        **far_people,
        "provider_owner": provider_owner,
        "other_provider": people["provider"],
        "family_without_booking": son,
    }


@pytest.fixture
def two_sided(make_provider, make_item, community, other_community):
    """The cleaning of a provider that serves both communities of the street."""
    provider = make_provider("两社区家政", communities=[community, other_community])
    return make_item(provider, "两社区保洁")


@pytest.fixture
def b_resident(make_member, other_community):
    """An elder of the other community of the street (B), served by the same provider."""
    return make_member("金狮老人", age=81, community=other_community)
