"""Making a booking: who books for whom, how it is paid, and every refusal writing nothing."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from community.models import Role, utcnow
from community.services import link_family
from extensions import db
from marketplace.booking_models import Booking, BookingStatus, SubsidyGrant
from marketplace.bookings import AlreadyBooked
from marketplace.clock import to_utc
from marketplace.errors import InvalidInput, NotAllowed, NotAvailable, NotFound, PriceChanged
from marketplace.models import CalendarException, ProviderStatus
from marketplace.subsidies import create_rule
from timebank.accounts import member_account
from timebank.errors import BelowFloor, RedeemAgeNotReached
from timebank.models import Hold, HoldStatus
from timebank.verify import verify_ledger

from ..timebank.support import top_up
from .booking_support import add_booking, book, written

# Messages are read in English (the msgids), whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def test_an_elder_books_a_visit_paid_on_site(elder, provider, cleaning, day, slots):
    now = utcnow()
    booking = book(elder, cleaning, day, slots["morning"], quantity=2, note=" 请带拖把 ", now=now)
    assert booking.status == BookingStatus.REQUESTED
    assert booking.resident_id == booking.booked_by_id == elder.id
    assert booking.community_id == elder.community_id
    assert (booking.title, booking.category, booking.unit) == ("日常保洁", "housekeeping", "visit")
    assert (booking.unit_price_fen, booking.total_fen, booking.payable_fen) == (8000, 16000, 16000)
    assert booking.total_minutes is None and booking.hold_id is None
    assert booking.starts_at == to_utc(day, time(9)) and booking.ends_at == to_utc(day, time(11))
    assert booking.expires_at == now + timedelta(hours=provider.response_hours)
    assert booking.note == "请带拖把"
    (event,) = booking.events
    assert (event.from_status, event.to_status) == (None, BookingStatus.REQUESTED)
    assert (event.actor_id, event.on_behalf_of_id) == (elder.id, None)


def test_a_later_price_change_leaves_the_booking_alone(elder, cleaning, day, slots):
    booking = book(elder, cleaning, day, slots["morning"])
    cleaning.price_fen = 9900
    db.session.flush()
    db.session.refresh(booking)
    assert booking.unit_price_fen == 8000 and booking.total_fen == 8000


def test_family_and_coordinator_bookings_record_who_acted_for_whom(
    make_member, elder, coordinator, cleaning, day, slots
):
    son = make_member("儿子", age=50)
    link_family(by=elder, elder=elder, relative=son)
    by_son = book(son, cleaning, day, slots["morning"], resident_id=elder.id)
    by_coordinator = book(coordinator, cleaning, day, slots["afternoon"], resident_id=elder.id)
    for booking, actor in ((by_son, son), (by_coordinator, coordinator)):
        assert booking.resident_id == elder.id and booking.booked_by_id == actor.id
        (event,) = booking.events
        assert (event.actor_id, event.on_behalf_of_id) == (actor.id, elder.id)


def test_a_card_booking_waits_for_payment_and_holds_its_places(app, elder, cleaning, day, slots):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_123"
    app.config["MARKETPLACE_PAYMENT_HOLD_MINUTES"] = 15
    now = utcnow()
    booking = book(elder, cleaning, day, slots["morning"], payment_method="card", now=now)
    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert booking.expires_at == now + timedelta(minutes=15)
    assert booking.events[0].to_status == BookingStatus.PENDING_PAYMENT


def test_paying_in_hours_places_a_hold_and_keeps_the_ledger_whole(elder, cleaning, day, slots):
    top_up(elder, 300)
    booking = book(elder, cleaning, day, slots["morning"], payment_method="hours")
    assert booking.status == BookingStatus.REQUESTED
    assert booking.total_minutes == 120
    hold = db.session.get(Hold, booking.hold_id)
    assert hold.status == HoldStatus.OPEN and hold.amount_minutes == 120
    assert hold.idempotency_key == f"booking:{booking.id}:hold"
    assert hold.account_id == member_account(elder).id
    account = member_account(elder)
    db.session.refresh(account)
    assert (account.balance_minutes, account.held_minutes) == (300, 120)
    assert verify_ledger(db.session) == []


def test_hours_are_refused_without_enough_and_nothing_is_written(elder, cleaning, day, slots):
    top_up(elder, 60)
    db.session.commit()  # what the test set up stays when the refusal rolls back
    before = written()
    with pytest.raises(BelowFloor):
        book(elder, cleaning, day, slots["morning"], payment_method="hours")
    db.session.rollback()
    assert written() == before
    assert verify_ledger(db.session) == []


def test_the_communitys_redeem_age_applies_to_paying_in_hours(make_member, cleaning, day, slots):
    young = make_member("小刘", age=30)
    top_up(young, 300)
    db.session.commit()  # what the test set up stays when the refusal rolls back
    before = written()
    with pytest.raises(RedeemAgeNotReached):
        book(young, cleaning, day, slots["morning"], payment_method="hours")
    db.session.rollback()
    assert written() == before
    # the same resident may still pay on site
    assert book(young, cleaning, day, slots["morning"]).status == BookingStatus.REQUESTED


def test_a_subsidy_pays_part_and_a_full_subsidy_pays_all(
    elder, coordinator, community, lunch, make_meal_menu, day, slots
):
    make_meal_menu(lunch, day)
    create_rule(
        community,
        name="八十岁以上助餐",
        category="meals",
        min_age=80,
        fen_per_unit=500,
        monthly_budget_fen=10000,
        by=coordinator,
    )
    part = book(elder, lunch, day, slots["morning"], quantity=2, fulfilment="pickup")
    assert (part.subsidy_fen, part.payable_fen, part.payment_method) == (1000, 2000, "on_site")
    grant = db.session.scalar(select(SubsidyGrant).where(SubsidyGrant.booking_id == part.id))
    assert grant.amount_fen == 1000

    lunch.price_fen = 500
    db.session.flush()
    full = book(elder, lunch, day, slots["afternoon"], fulfilment="pickup")
    assert (full.subsidy_fen, full.payable_fen) == (500, 0)
    assert full.payment_method == "subsidy" and full.status == BookingStatus.REQUESTED


def test_a_part_subsidy_when_paying_in_hours_pays_its_share_of_the_hours(
    elder, coordinator, community, cleaning, day, slots
):
    create_rule(
        community,
        name="保洁补贴",
        category="housekeeping",
        min_age=80,
        fen_per_unit=2000,
        monthly_budget_fen=10000,
        by=coordinator,
    )
    top_up(elder, 300)
    booking = book(elder, cleaning, day, slots["morning"], payment_method="hours")
    # ¥20 of ¥80 is paid by the community: three quarters of 120 minutes remain
    assert (booking.subsidy_fen, booking.total_minutes) == (2000, 90)
    assert db.session.get(Hold, booking.hold_id).amount_minutes == 90
    assert verify_ledger(db.session) == []


def test_a_replayed_key_books_once(elder, cleaning, day, slots):
    first = book(elder, cleaning, day, slots["morning"], idempotency_key="double-click")
    db.session.commit()
    db.session.commit()  # what the test set up stays when the refusal rolls back
    before = written()
    with pytest.raises(AlreadyBooked) as caught:
        book(elder, cleaning, day, slots["morning"], idempotency_key="double-click")
    assert caught.value.http_status == 409
    assert "already made" in str(caught.value.message)
    db.session.rollback()
    assert written() == before
    assert db.session.get(Booking, first.id) is not None


# --- refusals: the right error, and nothing written ---------------------------------------


def _close(provider, day):
    db.session.add(CalendarException(provider_id=provider.id, on_date=day, is_closed=True))


REFUSALS = {
    "unknown item": (NotFound, lambda c: {"item_id": 999999}),
    "provider not verified": (
        NotFound,
        lambda c: setattr(c["provider"], "status", ProviderStatus.SUSPENDED),
    ),
    "provider only applied": (
        NotFound,
        lambda c: setattr(c["provider"], "status", ProviderStatus.APPLIED),
    ),
    "paused item": (NotAvailable, lambda c: setattr(c["cleaning"], "is_paused", True)),
    "slot of another weekday": (NotAvailable, lambda c: {"day": c["day"] + timedelta(days=1)}),
    "unknown slot": (NotAvailable, lambda c: {"slot_id": 999999}),
    "closed day": (NotAvailable, lambda c: _close(c["provider"], c["day"])),
    "start in the past": (
        NotAvailable,
        lambda c: {"now": to_utc(c["day"], time(12))},
    ),
    "below minimum notice": (
        NotAvailable,
        lambda c: {"now": to_utc(c["day"], time(8))},
    ),
    "full": (
        NotAvailable,
        lambda c: add_booking(c["cleaning"], to_utc(c["day"], time(9)), quantity=3),
    ),
    "fewer places than asked": (
        NotAvailable,
        lambda c: {"quantity": 3} if add_booking(c["cleaning"], to_utc(c["day"], time(9))) else {},
    ),
    "no places on an exception day": (
        NotAvailable,
        lambda c: db.session.add(
            CalendarException(
                provider_id=c["provider"].id, on_date=c["day"], is_closed=False, capacity=0
            )
        ),
    ),
    "quantity zero": (InvalidInput, lambda c: {"quantity": 0}),
    "quantity eleven": (InvalidInput, lambda c: {"quantity": 11}),
    "price changed": (PriceChanged, lambda c: {"expected_price_fen": 7000}),
    "hours price changed": (
        PriceChanged,
        lambda c: {"payment_method": "hours", "expected_price_minutes": 60},
    ),
    "hours not offered": (
        InvalidInput,
        lambda c: setattr(c["cleaning"], "price_minutes", None) or {"payment_method": "hours"},
    ),
    "card not offered": (InvalidInput, lambda c: {"payment_method": "card"}),
    "unknown payment method": (InvalidInput, lambda c: {"payment_method": "cheque"}),
    "subsidy not covering it": (InvalidInput, lambda c: {"payment_method": "subsidy"}),
    "stranger books for an elder": (NotAllowed, lambda c: {"by": c["stranger"]}),
    "unknown resident": (NotFound, lambda c: {"resident_id": 999999}),
    "provider does not serve the community": (
        NotAllowed,
        lambda c: setattr(c["provider"], "communities", [c["other_community"]]),
    ),
}


def test_each_refusal_raises_its_error_and_writes_nothing(
    subtests, make_member, make_community, elder, provider, cleaning, day, slots
):
    context = {
        "provider": provider,
        "cleaning": cleaning,
        "day": day,
        "stranger": make_member("路人", age=40),
        "other_community": make_community("别的社区"),
    }
    top_up(elder, 600)
    db.session.commit()  # what the test set up stays when each refusal rolls back
    before = written()
    for case, (error, arrange) in REFUSALS.items():
        with subtests.test(case=case):
            try:
                overrides = arrange(context)
                overrides = overrides if isinstance(overrides, dict) else {}
                db.session.flush()
                values = {"resident_id": elder.id, "by": elder, "day": day}
                values["slot_id"] = slots["morning"]
                values.update(overrides)
                with pytest.raises(error) as caught:
                    book(
                        values.pop("by"),
                        cleaning,
                        values.pop("day"),
                        values.pop("slot_id"),
                        **values,
                    )
                assert str(caught.value.message)
            finally:
                db.session.rollback()
            assert written() == before


def test_a_full_slot_says_how_many_places_are_left(elder, cleaning, day, slots):
    add_booking(cleaning, to_utc(day, time(9)), quantity=1)
    with pytest.raises(NotAvailable) as caught:
        book(elder, cleaning, day, slots["morning"], quantity=3)
    assert "2" in str(caught.value.message)


CHILDCARE_REFUSALS = {
    "no age": {"child_age_months": None},
    "too young": {"child_age_months": 11},
    "too old": {"child_age_months": 37},
}


@pytest.mark.parametrize("case", list(CHILDCARE_REFUSALS))
def test_childcare_needs_a_child_of_the_items_ages(
    case, make_member, provider, make_item, day, slots
):
    parent = make_member("年轻妈妈", age=32)
    nursery = make_item(
        provider,
        "托育半日",
        category="childcare",
        unit="session",
        price_minutes=None,
        min_age_months=12,
        max_age_months=36,
    )
    db.session.commit()  # what the test set up stays when the refusal rolls back
    before = written()
    with pytest.raises(InvalidInput):
        book(parent, nursery, day, slots["morning"], **CHILDCARE_REFUSALS[case])
    db.session.rollback()
    assert written() == before
    booking = book(parent, nursery, day, slots["morning"], child_age_months=24)
    assert booking.child_age_months == 24


MEAL_REFUSALS = {
    "no fulfilment": ({}, {}),
    "delivery not offered": ({}, {"fulfilment": "delivery", "address": "3号楼201"}),
    "delivery without an address": ({"offers_delivery": True}, {"fulfilment": "delivery"}),
    "pickup not offered": (
        {"offers_pickup": False, "offers_delivery": True},
        {"fulfilment": "pickup"},
    ),
}


@pytest.mark.parametrize("case", list(MEAL_REFUSALS))
def test_meals_need_the_menus_pickup_or_delivery(case, elder, lunch, make_meal_menu, day, slots):
    menu_fields, overrides = MEAL_REFUSALS[case]
    make_meal_menu(lunch, day, **menu_fields)
    db.session.commit()  # what the test set up stays when the refusal rolls back
    before = written()
    with pytest.raises(InvalidInput):
        book(elder, lunch, day, slots["morning"], **overrides)
    db.session.rollback()
    assert written() == before


def test_a_meal_on_a_day_without_a_menu_is_refused(elder, lunch, day, slots):
    db.session.commit()  # what the test set up stays when the refusal rolls back
    before = written()
    with pytest.raises(NotAvailable):
        book(elder, lunch, day, slots["morning"], fulfilment="pickup")
    assert written() == before


def test_a_delivered_meal_keeps_its_address(elder, lunch, make_meal_menu, day, slots):
    make_meal_menu(lunch, day, offers_delivery=True, portions=2)
    booking = book(elder, lunch, day, slots["morning"], fulfilment="delivery", address=" 3号楼201 ")
    assert (booking.fulfilment, booking.address) == ("delivery", "3号楼201")
    with pytest.raises(NotAvailable):  # two portions: one is left for the afternoon
        book(elder, lunch, day, slots["afternoon"], fulfilment="pickup", quantity=2)


def test_a_coordinator_books_only_for_members_of_their_community(
    make_member, make_community, coordinator, cleaning, day, slots
):
    elsewhere = make_member("外社区", age=80, community=make_community("远方社区"))
    with pytest.raises(NotAllowed):
        book(coordinator, cleaning, day, slots["morning"], resident_id=elsewhere.id)
    assert coordinator.role == Role.COORDINATOR
