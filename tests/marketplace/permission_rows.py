"""The marketplace's rows of the permission table (tests/test_permissions.py): bookings and
their steps, disputes, card pages, reviews and their moderation, provider pages, the
catalogue and the provider's decisions, subsidies.

The scene: the provider owner's verified 好帮手家政 ({shop}) serves both communities of
this street. The elder (community A) books it; so does a resident of community B
({b_resident}). A's coordinator and the street admin reach the elder's bookings; B's
coordinator reaches only B's residents' side of the same provider.
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
from marketplace.reviews import create_review, report_review
from marketplace.subsidies import create_rule
from tests.marketplace.booking_support import add_booking, key
from tests.permission_table import COORDINATORS, FAR, PEOPLE, STAFF, get, only, post
from timebank.accounts import open_provider_account

DAY = local_today() + timedelta(days=3)

# --- the scene -------------------------------------------------------------------------------


def _shop(scene) -> Provider:
    owner = scene.people["provider"]
    return db.session.scalar(select(Provider).where(Provider.owner_id == owner.id))


def _item(scene, title: str = "日常保洁", **fields) -> ServiceItem:
    values = {
        "category": "housekeeping",
        "unit": "visit",
        "price_fen": 8000,
        "price_minutes": 120,
        "duration_minutes": 120,
        "cancel_fee_percent": 20,
    }
    item = ServiceItem(provider_id=scene["shop"], title=title, **(values | fields))
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
    review = _reported(scene, text="这家人都是骗子")  # hidden: for the elder's coordinators only
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
    "rule": _rule,
    "b_rule": lambda scene: _rule(scene, "other_coordinator", "金狮助餐补贴"),
    "b_reported": lambda scene: _reported(
        scene, db.session.get(User, scene["b_resident"]), "保洁员迟到还顶嘴"
    ),
}


def _b(scene):
    return scene.people["other_coordinator"].community


# --- who is who ------------------------------------------------------------------------------

ALL = set(PEOPLE)
RESIDENT_SIDE = {"elder", "family"} | COORDINATORS  # the elder's side of their bookings
SEES_BOOKING = RESIDENT_SIDE | {"provider"}
B_STAFF = {"other_coordinator", "street_admin"}  # community B's coordinator, the street admin
B_SIDE = B_STAFF | {"provider"}  # a B resident's booking
STREET = ALL - FAR
# Providers serving this community are overseen by its coordinators and the street admin;
# the shop serves community B too, so B's coordinator oversees it as well.
OVERSEE_SHOP = COORDINATORS | {"other_coordinator"}


def not_found(ok, status: int) -> dict[str, int]:
    """``status`` for ``ok``; 404 for whoever does not reach the booking (its existence is
    private); 403 for the rest, who reach it but may not take this step."""
    return only(ok, status) | {who: 404 for who in ALL - SEES_BOOKING}


# --- forms -----------------------------------------------------------------------------------


def booking_form(scene) -> dict:
    return {
        "slot": str(scene["slot"]),
        "quantity": "1",
        "for_member": str(scene["elder"]),
        "payment_method": "on_site",
        "expected_price_fen": "8000",
        "expected_price_minutes": "120",
        "idempotency_key": key(),
    }


def resolve_form(scene) -> dict:
    return {"outcome": "uphold", "note": "和双方核实过，做完了"}


def reason(scene) -> dict:
    return {"reason": "核实过情况"}


def item_form(scene) -> dict:
    return {
        "category": "housekeeping",
        "title": "日常保洁（两小时）",
        "unit": "visit",
        "price_yuan": "90",
        "duration_minutes": "120",
        "cancel_fee_percent": "20",
    }


def rule_form(scene) -> dict:
    return {
        "community": str(scene["community"]),
        "name": "助餐补贴",
        "category": "meals",
        "yuan_per_unit": "3",
        "monthly_budget_yuan": "500",
        "idempotency_key": key(),
    }


# --- the rows --------------------------------------------------------------------------------

ROWS = [
    # browsing: a verified provider's page is public; a member browses their own street
    get("/market/", only(ALL, 200)),
    get("/market/providers/{shop}", only(ALL, 200)),
    get("/market/providers/{applied}", only(COORDINATORS, 200, refused=404)),
    get("/market/?community={community}", only(STREET, 200) | dict.fromkeys(FAR, 400)),
    get("/market/?community={far_community}", only(FAR, 200, refused=400)),
    # a member browses their own street whatever the query names (a visitor: the one named)
    get("/market/?street={far_street}", only(ALL, 200)),
    # booking: for oneself, or for a member one may book for (family, their coordinators)
    get("/bookings/", only(ALL, 200)),
    get("/bookings/new?item={item}", only(ALL, 200)),
    get(
        "/bookings/new?item={item}&for={elder}",
        only(RESIDENT_SIDE, 200) | dict.fromkeys(FAR, 404),
    ),
    get(
        "/bookings/new?item={item}&for={b_resident}",
        only(B_STAFF, 200) | dict.fromkeys(FAR, 404),
    ),
    get("/bookings/new?item={item}&for={far_elder}", only(FAR, 200, refused=404)),
    post(
        "/bookings/new?item={item}&day={day}&for={elder}",
        only(RESIDENT_SIDE, 302) | dict.fromkeys(FAR, 404),
        booking_form,
    ),
    # a booking: its resident's side and the provider see it; nobody else learns it exists
    get("/bookings/{requested}", not_found(SEES_BOOKING, 200)),
    get("/bookings/{b_booking}", only(B_SIDE, 200, refused=404)),
    get("/bookings/{b_booking}/cancel", only(B_SIDE, 200, refused=404)),
    get("/bookings/{requested}/accept", not_found({"provider"}, 200)),
    post("/bookings/{requested}/accept", not_found({"provider"}, 302)),
    get("/bookings/{requested}/decline", not_found({"provider"}, 200)),
    post("/bookings/{requested}/decline", not_found({"provider"}, 302), reason),
    get("/bookings/{started}/deliver", not_found({"provider"}, 200)),
    post("/bookings/{started}/deliver", not_found({"provider"}, 302)),
    get("/bookings/{delivered}/confirm", not_found(RESIDENT_SIDE, 200)),
    post("/bookings/{delivered}/confirm", not_found(RESIDENT_SIDE, 302)),
    get("/bookings/{accepted}/cancel", not_found(SEES_BOOKING, 200)),
    post("/bookings/{accepted}/cancel", not_found(SEES_BOOKING, 302), reason),
    get("/bookings/{started}/no_show", not_found({"provider"}, 200)),
    post("/bookings/{started}/no_show", not_found({"provider"}, 302), reason),
    get("/bookings/{accepted}/mark_paid", not_found({"provider"}, 200)),
    post("/bookings/{accepted}/mark_paid", not_found({"provider"}, 302)),
    get("/bookings/{delivered}/dispute", not_found(RESIDENT_SIDE, 200)),
    post("/bookings/{delivered}/dispute", not_found(RESIDENT_SIDE, 302), reason),
    get("/bookings/{requested}/teleport", only((), 404, refused=404)),
    post("/bookings/{requested}/teleport", only((), 404, refused=404)),
    # disputes: the resident's coordinators decide, never B's through the shared provider
    get("/bookings/disputes", only(STAFF, 200)),
    get("/bookings/disputes/{disputed_booking}", not_found(COORDINATORS, 200)),
    post("/bookings/disputes/{disputed_booking}", not_found(COORDINATORS, 302), resolve_form),
    get(
        "/bookings/disputes/{b_disputed}",
        only(B_STAFF, 200, refused=404) | {"provider": 403},
    ),
    # card pages: the resident's side pays
    get("/pay/{card_booking}", only(RESIDENT_SIDE, 302, refused=404)),
    get("/pay/{card_booking}/done", only(RESIDENT_SIDE, 302, refused=404)),
    # reviews: the resident rates, the provider replies, anyone reports, staff moderate
    # the resident rates, or family or their coordinator writing for them (audited)
    get("/reviews/new/{completed}", not_found(RESIDENT_SIDE, 200)),
    post(
        "/reviews/new/{completed}",
        not_found(RESIDENT_SIDE, 302),
        lambda s: {"stars": "4", "text": "准时，干净"},
    ),
    get("/reviews/{review}/reply", only({"provider"}, 200)),
    post("/reviews/{review}/reply", only({"provider"}, 302), lambda s: {"text": "谢谢"}),
    get("/reviews/{review}/report", only(ALL, 200)),
    post("/reviews/{review}/report", only(ALL, 302), lambda s: {"reason": "不实"}),
    get("/reviews/moderation", only(STAFF, 200)),
    get("/reviews/{reported}/hide", only(COORDINATORS, 200)),
    post("/reviews/{reported}/hide", only(COORDINATORS, 302), lambda s: {"reason": "人身攻击"}),
    post("/reviews/{reported}/keep", only(COORDINATORS, 302)),
    post("/reviews/{hidden}/unhide", only(COORDINATORS, 302)),
    # a B resident's review of the same provider is B's coordinator's to moderate, not A's
    get("/reviews/{b_reported}/hide", only(B_STAFF, 200)),
    post("/reviews/{b_reported}/hide", only(B_STAFF, 302), lambda s: {"reason": "人身攻击"}),
    # the provider's own pages (/provider): only its owner (its menu and calendar answer
    # 403 to others, as the catalogue always has: they are on its public page anyway)
    get("/provider/", only(ALL, 200)),
    get("/provider/dashboard/", only({"provider"}, 200, refused=404)),
    get("/provider/dashboard/bookings.csv", only({"provider"}, 200, refused=404)),
    get("/provider/menu/items/{item}/edit", only({"provider"}, 200)),
    post("/provider/menu/items/{item}/edit", only({"provider"}, 302), item_form),
    post("/provider/menu/items/{item}/pause", only({"provider"}, 302)),
    post("/provider/menu/items/{paused_item}/resume", only({"provider"}, 302)),
    post("/provider/calendar/slots/{slot}/remove", only({"provider"}, 302)),
    post("/provider/calendar/days/{closed_day}/clear", only({"provider"}, 302)),
    # decisions about a provider: the coordinators of the communities it serves, the street admin
    get("/provider/applications", only(STAFF, 200)),
    get("/provider/review/{shop}", only(OVERSEE_SHOP, 200)),
    post("/provider/review/{shop}/suspend", only(OVERSEE_SHOP, 302), reason),
    get("/provider/review/{applied}", only(COORDINATORS, 200)),
    post("/provider/review/{applied}/verify", only(COORDINATORS, 302)),
    post("/provider/review/{applied}/reject", only(COORDINATORS, 302), reason),
    post("/provider/review/{suspended_shop}/reinstate", only(COORDINATORS, 302)),
    post("/provider/review/{shop}/promote", only((), 404, refused=404)),
    # subsidies: the coordinators of the rule's community, the street admin
    get("/subsidies/", only(STAFF, 200)),
    get("/subsidies/new", only(STAFF, 200)),
    post(
        "/subsidies/new",
        only(COORDINATORS, 302) | dict.fromkeys(STAFF - COORDINATORS, 400),
        rule_form,
    ),
    get("/subsidies/{rule}/budget", only(COORDINATORS, 200)),
    post(
        "/subsidies/{rule}/budget",
        only(COORDINATORS, 302),
        lambda s: {"monthly_budget_yuan": "800"},
    ),
    post("/subsidies/{rule}/stop", only(COORDINATORS, 302)),
    get("/subsidies/{b_rule}/budget", only(B_STAFF, 200)),
    get(
        "/subsidies/report?community={community}",
        only(COORDINATORS, 200) | dict.fromkeys(STAFF - COORDINATORS, 400),
    ),
    get(
        "/subsidies/report.csv?community={community}",
        only(COORDINATORS, 200) | dict.fromkeys(STAFF - COORDINATORS, 400),
    ),
]
