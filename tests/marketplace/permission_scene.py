"""The marketplace's scene for the permission table (tests/test_permissions.py): the objects
its rows name, built lazily (the shop's item, slot and closed day; the elder's bookings in
each state; a card booking; reviews reported and hidden; providers applying and
suspended; subsidies; and community B's bookings, review and subsidy).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

from sqlalchemy import select

from community.models import User, utcnow
from extensions import db
from marketplace.card_models import CardPayment
from marketplace.clock import local_today
from marketplace.models import CalendarException, Provider, ProviderStatus, ServiceItem, WeeklySlot
from marketplace.moderation import hide_review
from marketplace.review_models import Review
from marketplace.reviews import create_review, report_review
from marketplace.subsidies import create_rule
from tests.marketplace.booking_support import add_booking
from timebank.accounts import open_provider_account

DAY = local_today() + timedelta(days=3)
HIDDEN_REVIEW = "这家人都是骗子"  # the words of a review hidden as abusive


# --- the scene -------------------------------------------------------------------------------


def _shop(scene) -> Provider:
    owner = scene.people["provider"]
    return db.session.scalar(select(Provider).where(Provider.owner_id == owner.id))


def _item(scene, title: str = "日常保洁", **fields) -> ServiceItem:
    """An item of the shop (or of ``provider_id``)."""
    values = {
        "provider_id": scene["shop"],
        "category": "housekeeping",
        "unit": "visit",
        "price_fen": 8000,
        "price_minutes": 120,
        "duration_minutes": 120,
        "cancel_fee_percent": 20,
    }
    item = ServiceItem(title=title, **(values | fields))
    db.session.add(item)
    db.session.flush()
    return item


def _slot(scene) -> WeeklySlot:
    slot = WeeklySlot(
        provider_id=scene["shop"],
        weekday=DAY.weekday(),
        starts_at=time(9),
        ends_at=time(11),
        capacity=3,
    )
    db.session.add(slot)
    db.session.flush()
    return slot


def _closed_day(scene) -> CalendarException:
    day = CalendarException(provider_id=scene["shop"], on_date=DAY + timedelta(days=7))
    db.session.add(day)
    db.session.flush()
    return day


def _other_provider(scene, name: str, status: str) -> Provider:
    """Another provider serving this community (its owner is not one of the nine)."""
    owner = scene.make_member(f"{name}老板", age=48)
    provider = Provider(
        name=name,
        kind="company",
        categories="housekeeping",
        contact_name=owner.display_name,
        contact_phone="051260000001",
        owner_id=owner.id,
        street_id=owner.community.street_id,
        account_id=open_provider_account(owner.community_id).id,
        status=status,
    )
    provider.communities = [scene.people["coordinator"].community]
    db.session.add(provider)
    db.session.flush()
    return provider


def _booking(scene, *, resident=None, days: float = 3, **fields):
    """A booking of the shop's item, written directly (no capacity or notice rules).

    Its title is the resident's own (an item's title is public; a booking's is not).
    """
    item = db.session.get(ServiceItem, scene["item"])
    resident = resident or scene.people["elder"]
    fields.setdefault("title", BOOKING_TITLES.get(resident.community_id == _b(scene).id))
    return add_booking(item, utcnow() + timedelta(days=days), resident=resident, **fields)


# What the elder's (community A) and B's residents' bookings are called.
BOOKING_TITLES = {False: "王家每周保洁", True: "金狮上门保洁"}


def _started(scene):
    """Accepted, its time come an hour ago, not yet marked done."""
    return _booking(scene, days=-1 / 24, status="accepted")


def _delivered(scene):
    """Accepted and marked done by the provider: the resident's side confirms or disputes."""
    done = utcnow() - timedelta(hours=1)
    return _booking(scene, days=-3 / 24, status="accepted", delivered_at=done)


def _completed(scene, resident=None):
    starts = utcnow() - timedelta(days=2)
    return _booking(
        scene,
        resident=resident,
        days=-2,
        status="completed",
        delivered_at=starts + timedelta(hours=2),
        completed_at=starts + timedelta(hours=3),
    )


def _disputed(scene, resident=None):
    starts = utcnow() - timedelta(days=1)
    return _booking(
        scene,
        resident=resident,
        days=-1,
        status="disputed",
        delivered_at=starts + timedelta(hours=2),
    )


def _card_booking(scene):
    """Paid by card, the card already in: the card pages send the viewer on to the booking."""
    booking = _booking(scene, status="requested", payment_method="card")
    db.session.add(
        CardPayment(booking_id=booking.id, amount_fen=booking.total_fen, status="authorised")
    )
    db.session.flush()
    return booking


def _review(scene, text: str = "阿姨很细心，下次还约", resident=None):
    resident = resident or scene.people["elder"]
    booking = _completed(scene, resident)
    return create_review(by=resident, booking_id=booking.id, stars=5, text=text)


def _reported(scene, resident=None, text: str = "阿姨骂人很难听"):
    review = _review(scene, text, resident)
    report_review(by=scene.people["volunteer"], review_id=review.id, reason="辱骂")
    return review


def _hidden(scene):
    review = _reported(scene, text=HIDDEN_REVIEW)
    hide_review(by=scene.people["coordinator"], review_id=review.id, reason="人身攻击")
    return review


def _rule(scene, staff: str = "coordinator", name: str = "高龄助洁补贴"):
    """A subsidy of the community of ``staff``, who started it."""
    return create_rule(
        scene.people[staff].community,
        name=name,
        category="housekeeping",
        min_age=80,
        fen_per_unit=2000,
        monthly_budget_fen=100_000,
        by=scene.people[staff],
    )


BUILDERS: dict[str, Callable] = {
    "shop": _shop,
    "item": _item,
    "paused_item": lambda scene: _item(scene, "深度保洁", is_paused=True),
    "slot": _slot,
    "day": lambda scene: DAY.isoformat(),
    "closed_day": _closed_day,
    "applied": lambda scene: _other_provider(scene, "新来家政", ProviderStatus.APPLIED),
    "suspended_shop": lambda scene: _other_provider(scene, "停业家政", ProviderStatus.SUSPENDED),
    "requested": lambda scene: _booking(
        scene, status="requested", expires_at=utcnow() + timedelta(days=1)
    ),
    "accepted": lambda scene: _booking(scene, status="accepted"),
    "started": _started,
    "delivered": _delivered,
    "completed": _completed,
    "disputed_booking": _disputed,
    "card_booking": _card_booking,
    "b_booking": lambda scene: _booking(
        scene, resident=scene.make_member("金狮奶奶", age=83, community=_b(scene))
    ),
    "b_disputed": lambda scene: _disputed(
        scene, resident=scene.make_member("金狮爷爷", age=84, community=_b(scene))
    ),
    "review": _review,
    "reported": _reported,
    "hidden": _hidden,
    "hidden_booking": lambda scene: db.session.get(Review, scene["hidden"]).booking_id,
    "applied_item": lambda scene: _item(scene, "试营业保洁", provider_id=scene["applied"]),
    "rule": _rule,
    "b_rule": lambda scene: _rule(scene, "other_coordinator", "金狮助餐补贴"),
    "b_reported": lambda scene: _reported(
        scene, db.session.get(User, scene["b_resident"]), "保洁员迟到还顶嘴"
    ),
}


def _b(scene):
    return scene.people["other_coordinator"].community
