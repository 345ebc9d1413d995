"""Paying a priced repair online through a booking of the company's service station:
by hours and by card (against localstripe), who may, what is refused, and the repair
and the booking agreeing afterwards. Services called directly, on each database."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from civic import repair_steps
from civic.clock import to_utc
from civic.errors import Conflict as CivicConflict
from civic.errors import NotAllowed as CivicNotAllowed
from civic.errors import NotFound as CivicNotFound
from civic.repair_hooks import paid_elsewhere
from community.audit_models import AuditEntry
from community.models import utcnow
from extensions import db
from marketplace import card, transitions
from marketplace.booking_models import Booking, BookingStatus
from marketplace.card_models import CardStatus
from marketplace.errors import InvalidInput as MarketInvalidInput
from marketplace.subsidies import create_rule
from property_services import repair_payments
from property_services.errors import Conflict, InvalidInput
from property_services.models import RepairBooking
from tests.civic.repair_support import make_property, send_for, tomorrow
from tests.marketplace.stripe_server import paid
from tests.timebank.support import top_up
from timebank.accounts import member_account
from timebank.models import Hold, HoldStatus
from timebank.verify import verify_ledger

from .support import PRICE_FEN, hourly_item, link, pay, priced_repair, street_admin_of

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def place(elder, make_member):
    return make_property(elder, make_member)


@pytest.fixture
def station(place, provider, make_item, make_member, elder):
    hourly_item(provider, make_item)
    return link(place, provider, street_admin_of(make_member, elder))


@pytest.fixture
def repair(place, elder, station):
    return priced_repair(place, elder)


def _bookings() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def _links() -> int:
    return db.session.scalar(select(func.count(RepairBooking.id)))


def test_paying_by_hours_holds_them_and_the_repair_shows_paid(repair, elder, provider):
    top_up(elder, 300)
    booking = pay(repair, elder, "hours")

    assert booking.provider_id == provider.id and booking.slot_id is None
    assert (booking.total_fen, booking.quantity, booking.total_minutes) == (PRICE_FEN, 1, 120)
    assert booking.title.startswith("Repair: ") and booking.starts_at == repair.appointment_at
    # the company set the price and the time: nothing for it to answer
    assert booking.status == BookingStatus.ACCEPTED and booking.expires_at is None
    hold = db.session.get(Hold, booking.hold_id)
    assert (hold.status, hold.amount_minutes) == (HoldStatus.OPEN, 120)
    assert paid_elsewhere(repair) == "Paid online"
    assert repair_payments.live_booking(repair).booking_id == booking.id
    assert verify_ledger(db.session) == []


def test_a_paid_repair_cannot_be_paid_again_nor_taken_on_site(repair, elder, place):
    top_up(elder, 600)
    pay(repair, elder, "hours")
    with pytest.raises(Conflict, match="paid online already"):
        pay(repair, elder, "hours")
    assert (_bookings(), _links()) == (1, 1)
    with pytest.raises(CivicConflict, match="paid online"):
        repair_steps.record_visit(repair, by=place.worker, work_done="换了阀芯", paid_on_site=True)
    db.session.rollback()


def test_cancelling_the_booking_makes_the_repair_payable_again(repair, elder):
    top_up(elder, 300)
    booking = pay(repair, elder, "hours")
    transitions.cancel(booking, by=elder)

    assert booking.status == BookingStatus.CANCELLED
    assert db.session.get(Hold, booking.hold_id).status == HoldStatus.RELEASED
    assert paid_elsewhere(repair) is None and repair_payments.live_booking(repair) is None
    again = pay(repair, elder, "hours")
    assert again.id != booking.id and paid_elsewhere(repair) == "Paid online"
    assert verify_ledger(db.session) == []


def test_completing_the_booking_pays_the_company_and_the_repair_stays_paid(
    repair, elder, provider_owner, provider
):
    top_up(elder, 300)
    booking = pay(repair, elder, "hours")
    after_visit = booking.starts_at + timedelta(hours=1)
    transitions.deliver(booking, by=provider_owner, now=after_visit)
    transitions.confirm(booking, by=elder, now=after_visit)
    assert booking.status == BookingStatus.COMPLETED
    db.session.refresh(member_account(elder))
    assert member_account(elder).balance_minutes == 180
    assert paid_elsewhere(repair) == "Paid online"


def test_paying_by_card_against_localstripe(stripe_app, localstripe, repair, elder):
    booking = pay(repair, elder, "card")
    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert paid_elsewhere(repair) == "Being paid online: the card is not finished"
    with pytest.raises(Conflict):  # one live booking: the card is still to come
        pay(repair, elder, "card")

    assert paid(booking, localstripe, elder) == CardStatus.AUTHORISED
    assert booking.status == BookingStatus.ACCEPTED
    payment = card.card_payment(booking)
    assert (payment.amount_fen, payment.captured_fen) == (PRICE_FEN, 0)
    held = localstripe.get(f"/v1/payment_intents/{payment.payment_intent_id}")
    assert (held["status"], held["amount"]) == ("requires_capture", PRICE_FEN)
    assert paid_elsewhere(repair) == "Paid online"
    assert repair_payments.live_booking(repair).paid_at is not None

    transitions.cancel(booking, by=elder)
    assert card.card_payment(booking).status == CardStatus.CANCELLED
    assert paid_elsewhere(repair) is None
    assert pay(repair, elder, "card").status == BookingStatus.PENDING_PAYMENT


def test_an_unpaid_card_booking_expires_and_the_repair_is_payable_again(stripe_app, repair, elder):
    booking = pay(repair, elder, "card")
    assert transitions.expire_due(now=booking.expires_at + timedelta(seconds=1)) == 1
    assert booking.status == BookingStatus.EXPIRED
    assert repair_payments.live_booking(repair) is None
    assert paid_elsewhere(repair) is None


def test_a_community_subsidy_pays_part_as_the_marketplace_rules_say(
    repair, elder, coordinator, community
):
    create_rule(
        community,
        name="高龄维修补贴",
        category="housekeeping",
        min_age=80,
        fen_per_unit=3000,
        monthly_budget_fen=100000,
        by=coordinator,
    )
    top_up(elder, 300)
    booking = pay(repair, elder, "hours")
    assert (booking.subsidy_fen, booking.payable_fen) == (3000, 9000)
    assert booking.total_minutes == 90  # the subsidy's share of the hours too


def test_family_and_the_coordinator_pay_for_the_elder(repair, elder, family, coordinator):
    top_up(elder, 600)
    booking = pay(repair, family, "hours")
    assert (booking.resident_id, booking.booked_by_id) == (elder.id, family.id)
    transitions.cancel(booking, by=family)
    by_staff = pay(repair, coordinator, "hours")
    assert by_staff.booked_by_id == coordinator.id
    acted = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "acted_for", AuditEntry.target == f"booking:{by_staff.id}"
        )
    )
    assert acted is not None and acted.subject_id == elder.id


def test_who_may_not_pay(repair, place, make_member, elder):
    stranger = make_member("路人")
    with pytest.raises(CivicNotFound):
        pay(repair, stranger)
    with pytest.raises(CivicNotAllowed):  # the company sees the repair, but pays nothing
        pay(repair, place.manager)
    for missing in (0, -1, 2**31, 2**63):
        with pytest.raises(CivicNotFound):
            pay_id(missing, elder)
    assert (_bookings(), _links()) == (0, 0)


def pay_id(repair_id: int, by):
    return repair_payments.pay_repair_online(
        repair_id, by=by, payment_method="hours", expected_price_fen=PRICE_FEN, idempotency_key="k"
    )


def test_what_cannot_be_paid_is_refused_with_nothing_written(place, elder, station, make_member):
    top_up(elder, 600)
    free = send_for(elder, place.home)
    repair_steps.assign(
        free, by=place.manager, worker=place.worker, appointment_at=to_utc(tomorrow(), time(9))
    )
    with pytest.raises(InvalidInput, match="free"):
        pay(free, elder, price=PRICE_FEN)

    waiting = priced_repair(place, elder, accepted=False)
    with pytest.raises(Conflict, match="Accept the price first"):
        pay(waiting, elder)

    changed = priced_repair(place, elder)
    with pytest.raises(Conflict, match="price changed"):
        pay(changed, elder, price=PRICE_FEN - 1)

    on_site = priced_repair(place, elder)
    repair_steps.record_visit(on_site, by=place.worker, work_done="修好了", paid_on_site=True)
    with pytest.raises(Conflict, match="paid on site"):
        pay(on_site, elder)

    with pytest.raises(MarketInvalidInput, match="Choose how to pay"):
        pay(priced_repair(place, elder), elder, "card")  # card payments are not on here
    assert (_bookings(), _links()) == (0, 0)


def test_an_unlinked_organisation_takes_no_payment_online(place, elder, provider, make_member):
    repair = priced_repair(place, elder)
    with pytest.raises(InvalidInput, match="does not take payments online"):
        pay(repair, elder)
    assert repair_payments.pay_online_offer(elder, repair) is None
    assert (_bookings(), _links()) == (0, 0)


def test_a_visit_time_that_has_passed_is_paid_on_site(repair, elder):
    later = repair.appointment_at + timedelta(minutes=1)
    with pytest.raises(Conflict, match="visit time has passed"):
        pay(repair, elder, now=later)
    assert repair_payments.pay_online_offer(elder, repair, now=later) is None


def test_the_offer_is_for_the_residents_side_only(repair, elder, family, place, make_member):
    offer = repair_payments.pay_online_offer(elder, repair, now=utcnow())
    assert offer is not None and offer.methods == ["hours"] and offer.minutes == 120
    assert repair_payments.pay_online_offer(family, repair) is not None
    assert repair_payments.pay_online_offer(place.manager, repair) is None
    assert repair_payments.pay_online_offer(make_member("路人"), repair) is None
