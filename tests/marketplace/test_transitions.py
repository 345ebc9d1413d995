"""Each booking step after creation: who may take it, when, and the money and hours it moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.models import Role, utcnow
from community.services import link_family
from extensions import db
from marketplace import disputes, subsidies, transitions
from marketplace.booking_models import BookingEvent, SubsidyGrant, SubsidyMonth
from marketplace.errors import Conflict, InvalidInput, NotAllowed, TransitionNotAllowed
from tests.conftest import counted_statements
from tests.timebank.support import available, balance, top_up
from timebank.models import Account, Hold, Transfer
from timebank.verify import verify_ledger


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


@pytest.fixture
def resident(elder):
    top_up(elder, 600)
    return elder


def provider_minutes(provider) -> int:
    db.session.expire_all()
    return db.session.get(Account, provider.account_id).balance_minutes


def hold_status(booking) -> str:
    return db.session.get(Hold, booking.hold_id).status


def ledger_ok():
    assert verify_ledger(db.session) == []


@pytest.fixture
def hours_booking(make_booking, cleaning, resident, now):
    """An accepted hours booking of the ¥80 / 120 min cleaning, three days ahead."""
    return make_booking(
        cleaning,
        resident,
        status="accepted",
        payment_method="hours",
        starts_at=now + timedelta(days=3),
    )


# --- accept / decline -----------------------------------------------------------------


def test_provider_accepts_a_request(make_booking, cleaning, resident, provider_owner, now):
    booking = make_booking(cleaning, resident, expires_at=now + timedelta(hours=5))
    transitions.accept(booking, by=provider_owner, now=now)
    assert booking.status == "accepted"
    assert booking.expires_at is None
    event = booking.events[-1]
    assert (event.from_status, event.to_status, event.actor_id) == (
        "requested",
        "accepted",
        provider_owner.id,
    )


def test_only_the_provider_accepts(make_booking, cleaning, resident, coordinator, now):
    booking = make_booking(cleaning, resident)
    for someone in (resident, coordinator):
        with pytest.raises(NotAllowed):
            transitions.accept(booking, by=someone, now=now)
    assert booking.status == "requested"


def test_an_expired_request_cannot_be_accepted(
    make_booking, cleaning, resident, provider_owner, now
):
    booking = make_booking(cleaning, resident, expires_at=now - timedelta(minutes=1))
    with pytest.raises(Conflict):
        transitions.accept(booking, by=provider_owner, now=now)


def test_accepting_twice_is_refused(make_booking, cleaning, resident, provider_owner, now):
    booking = make_booking(cleaning, resident)
    transitions.accept(booking, by=provider_owner, now=now)
    with pytest.raises(TransitionNotAllowed):
        transitions.accept(booking, by=provider_owner, now=now)


def test_decline_gives_the_hours_back(make_booking, cleaning, resident, provider_owner, now):
    booking = make_booking(cleaning, resident, payment_method="hours")
    assert available(resident) == 600 - 120
    transitions.decline(booking, by=provider_owner, reason="No staff that day", now=now)
    assert booking.status == "declined"
    assert hold_status(booking) == "released"
    assert available(resident) == balance(resident) == 600
    assert provider_minutes(booking.provider) == 0
    assert booking.events[-1].note == "No staff that day"
    ledger_ok()


# --- deliver / confirm ----------------------------------------------------------------


def test_deliver_only_after_the_start(hours_booking, provider_owner, now):
    with pytest.raises(Conflict):
        transitions.deliver(hours_booking, by=provider_owner, now=now)
    later = hours_booking.starts_at + timedelta(minutes=1)
    transitions.deliver(hours_booking, by=provider_owner, now=later)
    assert hours_booking.status == "accepted"
    assert hours_booking.delivered_at == later


def test_confirm_pays_the_provider_in_hours(hours_booking, provider_owner, resident):
    start = hours_booking.starts_at
    with pytest.raises(Conflict):  # not delivered yet
        transitions.confirm(hours_booking, by=resident, now=start)
    transitions.deliver(hours_booking, by=provider_owner, now=start + timedelta(hours=2))
    with pytest.raises(NotAllowed):
        transitions.confirm(hours_booking, by=provider_owner, now=start + timedelta(hours=3))
    transitions.confirm(hours_booking, by=resident, now=start + timedelta(hours=3))
    assert hours_booking.status == "completed"
    assert hours_booking.completed_at == start + timedelta(hours=3)
    assert hold_status(hours_booking) == "settled"
    assert balance(resident) == 600 - 120
    assert provider_minutes(hours_booking.provider) == 120
    transfer = db.session.get(Transfer, hours_booking.hours_transfer_id)
    assert (transfer.kind, transfer.amount_minutes) == ("redemption", 120)
    ledger_ok()


def test_family_confirms_on_the_elders_behalf(hours_booking, provider_owner, resident, make_member):
    daughter = make_member("王女儿", age=50)
    link_family(by=resident, elder=resident, relative=daughter)
    start = hours_booking.starts_at
    transitions.deliver(hours_booking, by=provider_owner, now=start + timedelta(hours=2))
    transitions.confirm(hours_booking, by=daughter, now=start + timedelta(hours=3))
    event = hours_booking.events[-1]
    assert (event.actor_id, event.on_behalf_of_id) == (daughter.id, resident.id)
    transfer = db.session.get(Transfer, hours_booking.hours_transfer_id)
    assert (transfer.entered_by_id, transfer.on_behalf_of_id) == (daughter.id, resident.id)


# --- cancel ---------------------------------------------------------------------------


def test_cancel_is_free_until_24_hours_before(hours_booking, resident):
    at_limit = hours_booking.starts_at - timedelta(hours=24)
    assert transitions.cancellation_fee(hours_booking, resident, at_limit) == (0, 0)
    transitions.cancel(hours_booking, by=resident, now=at_limit)
    assert hours_booking.status == "cancelled"
    assert hold_status(hours_booking) == "released"
    assert balance(resident) == available(resident) == 600
    assert provider_minutes(hours_booking.provider) == 0
    assert hours_booking.cancel_fee_fen == 0
    ledger_ok()


def test_a_late_cancellation_pays_the_fee_in_hours(hours_booking, resident):
    late = hours_booking.starts_at - timedelta(hours=24) + timedelta(seconds=1)
    # 20 % of 120 minutes (paid in hours: no yuan fee)
    assert transitions.cancellation_fee(hours_booking, resident, late) == (0, 24)
    transitions.cancel(hours_booking, by=resident, now=late)
    assert hold_status(hours_booking) == "released"
    assert balance(resident) == available(resident) == 600 - 24
    assert provider_minutes(hours_booking.provider) == 24
    fee = db.session.get(Transfer, hours_booking.hours_transfer_id)
    assert (fee.kind, fee.amount_minutes) == ("redemption", 24)
    assert fee.idempotency_key == f"booking:{hours_booking.id}:fee"
    ledger_ok()


def test_a_provider_never_charges_for_cancelling(hours_booking, provider_owner, resident):
    late = hours_booking.starts_at - timedelta(hours=1)
    transitions.cancel(hours_booking, by=provider_owner, reason="Ill", now=late)
    assert hours_booking.status == "cancelled"
    assert balance(resident) == 600
    assert provider_minutes(hours_booking.provider) == 0


def test_no_one_cancels_after_the_start(hours_booking, provider_owner, resident):
    started = hours_booking.starts_at
    for someone in (resident, provider_owner):
        with pytest.raises(Conflict):
            transitions.cancel(hours_booking, by=someone, now=started)


def test_a_stranger_cannot_cancel(hours_booking, make_member, now):
    with pytest.raises(NotAllowed):
        transitions.cancel(hours_booking, by=make_member("路人"), now=now)


def test_a_request_not_yet_accepted_cancels_free(make_booking, cleaning, resident, now):
    booking = make_booking(
        cleaning, resident, payment_method="hours", starts_at=now + timedelta(hours=3)
    )
    transitions.cancel(booking, by=resident, now=now)
    assert balance(resident) == available(resident) == 600


# --- no-show and paid on site ---------------------------------------------------------


def test_no_show_after_the_start_takes_the_fee(hours_booking, provider_owner, resident):
    with pytest.raises(Conflict):
        transitions.mark_no_show(
            hours_booking, by=provider_owner, now=hours_booking.starts_at - timedelta(minutes=1)
        )
    with pytest.raises(NotAllowed):
        transitions.mark_no_show(hours_booking, by=resident, now=hours_booking.starts_at)
    transitions.mark_no_show(hours_booking, by=provider_owner, now=hours_booking.starts_at)
    assert hours_booking.status == "no_show"
    assert balance(resident) == 600 - 24
    assert provider_minutes(hours_booking.provider) == 24
    ledger_ok()


def test_mark_paid_on_site_once(make_booking, cleaning, resident, provider_owner, now):
    booking = make_booking(cleaning, resident, status="accepted", payment_method="on_site")
    with pytest.raises(NotAllowed):
        transitions.mark_paid_on_site(booking, by=resident, now=now)
    transitions.mark_paid_on_site(booking, by=provider_owner, now=now)
    assert (booking.paid_on_site_at, booking.paid_on_site_by_id) == (now, provider_owner.id)
    assert booking.status == "accepted"
    with pytest.raises(Conflict):
        transitions.mark_paid_on_site(booking, by=provider_owner, now=now)


def test_an_hours_booking_is_not_paid_on_site(hours_booking, provider_owner, now):
    with pytest.raises(Conflict):
        transitions.mark_paid_on_site(hours_booking, by=provider_owner, now=now)


# --- disputes -------------------------------------------------------------------------


@pytest.fixture
def completed(hours_booking, provider_owner, resident):
    start = hours_booking.starts_at
    transitions.deliver(hours_booking, by=provider_owner, now=start + timedelta(hours=2))
    transitions.confirm(hours_booking, by=resident, now=start + timedelta(hours=3))
    return hours_booking


def test_dispute_needs_a_reason_and_the_residents_side(completed, resident, provider_owner):
    at = completed.completed_at + timedelta(days=1)
    with pytest.raises(InvalidInput):
        transitions.dispute(completed, by=resident, reason="  ", now=at)
    with pytest.raises(NotAllowed):
        transitions.dispute(completed, by=provider_owner, reason="x", now=at)
    transitions.dispute(completed, by=resident, reason="The floor was not cleaned", now=at)
    assert completed.status == "disputed"
    assert completed.dispute_reason == "The floor was not cleaned"


def test_dispute_window_is_14_days(completed, resident):
    late = completed.completed_at + timedelta(days=14, seconds=1)
    with pytest.raises(Conflict):
        transitions.dispute(completed, by=resident, reason="Too late", now=late)


def test_no_dispute_before_delivery(hours_booking, resident, now):
    with pytest.raises(Conflict):
        transitions.dispute(hours_booking, by=resident, reason="Nothing yet", now=now)


def test_full_refund_reverses_the_hours(completed, resident, coordinator, provider_owner):
    at = completed.completed_at + timedelta(days=1)
    transitions.dispute(completed, by=resident, reason="Not done", now=at)
    with pytest.raises(NotAllowed):
        disputes.resolve_dispute(
            completed, by=provider_owner, outcome="refund", refund_fen=8000, note="x", now=at
        )
    with pytest.raises(InvalidInput):  # more than was paid
        disputes.resolve_dispute(
            completed, by=coordinator, outcome="refund", refund_fen=8001, note="x", now=at
        )
    with pytest.raises(InvalidInput):  # no note
        disputes.resolve_dispute(
            completed, by=coordinator, outcome="refund", refund_fen=8000, note="", now=at
        )
    paid = completed.hours_transfer_id
    disputes.resolve_dispute(
        completed, by=coordinator, outcome="refund", refund_fen=8000, note="Agreed", now=at
    )
    assert completed.status == "refunded"
    assert completed.refunded_fen == 8000
    assert balance(resident) == 600
    assert provider_minutes(completed.provider) == 0
    reversal = db.session.query(Transfer).filter_by(reverses_id=paid).one()
    assert (reversal.kind, reversal.amount_minutes) == ("reversal", 120)
    ledger_ok()


def test_partial_refund_gives_back_a_share_of_the_hours(completed, resident, coordinator):
    at = completed.completed_at + timedelta(days=1)
    transitions.dispute(completed, by=resident, reason="Half done", now=at)
    disputes.resolve_dispute(
        completed, by=coordinator, outcome="refund", refund_fen=4000, note="Half", now=at
    )
    assert completed.refunded_fen == 4000
    assert balance(resident) == 600 - 60
    assert provider_minutes(completed.provider) == 60
    back = db.session.query(Transfer).filter_by(idempotency_key=f"booking:{completed.id}:refund")
    assert back.one().kind == "adjustment"
    ledger_ok()


def test_upholding_a_delivered_dispute_completes_and_pays(
    hours_booking, provider_owner, resident, coordinator
):
    start = hours_booking.starts_at
    transitions.deliver(hours_booking, by=provider_owner, now=start + timedelta(hours=2))
    transitions.dispute(hours_booking, by=resident, reason="Late", now=start + timedelta(hours=3))
    assert hold_status(hours_booking) == "open"
    disputes.resolve_dispute(
        hours_booking, by=coordinator, outcome="uphold", note="Done well", now=start
    )
    assert hours_booking.status == "completed"
    assert provider_minutes(hours_booking.provider) == 120
    ledger_ok()


def test_a_coordinator_of_another_street_cannot_resolve(completed, resident, app):
    from community.models import Street
    from community.services import create_member, found_community

    other = Street(name="别的街道")
    db.session.add(other)
    db.session.flush()
    elsewhere = found_community(street_id=other.id, name="外社区")
    stranger = create_member(
        by=None,
        community=elsewhere,
        display_name="外协调员",
        phone="13700000001",
        password="plum-blossom-9",
        role=Role.COORDINATOR,
    )
    at = completed.completed_at + timedelta(days=1)
    transitions.dispute(completed, by=resident, reason="Not done", now=at)
    with pytest.raises(NotAllowed):
        disputes.resolve_dispute(completed, by=stranger, outcome="uphold", note="x", now=at)
    assert disputes.disputes_for(stranger) == []


# --- payment arriving (or not) --------------------------------------------------------


def test_payment_authorised_starts_the_providers_clock(make_booking, cleaning, resident, now):
    booking = make_booking(cleaning, resident, status="pending_payment")
    transitions.payment_authorised(booking, now=now)
    assert booking.status == "requested"
    assert booking.expires_at == now + timedelta(hours=booking.provider.response_hours)
    assert booking.events[-1].actor_id is None
    with pytest.raises(TransitionNotAllowed):
        transitions.payment_authorised(booking, now=now)


def test_payment_failed_expires_and_gives_the_subsidy_back(
    make_booking, cleaning, resident, coordinator, now
):
    subsidies.create_rule(
        resident.community,
        name="高龄补贴",
        category=None,
        min_age=80,
        fen_per_unit=1000,
        monthly_budget_fen=5000,
        by=coordinator,
    )
    booking = make_booking(cleaning, resident, status="pending_payment")
    assert booking.subsidy_fen == 1000
    transitions.payment_failed(booking, "card declined", now=now)
    assert booking.status == "expired"
    assert db.session.query(SubsidyMonth).one().spent_fen == 0
    assert db.session.query(SubsidyGrant).one().status == "returned"


# --- subsidies through the steps ------------------------------------------------------


@pytest.fixture
def elder_rule(resident, coordinator):
    return subsidies.create_rule(
        resident.community,
        name="高龄补贴",
        category="housekeeping",
        min_age=80,
        fen_per_unit=2000,
        monthly_budget_fen=10000,
        by=coordinator,
    )


def test_completion_spends_the_subsidy(
    elder_rule, make_booking, cleaning, resident, provider_owner
):
    booking = make_booking(cleaning, resident, status="accepted", payment_method="on_site")
    assert booking.payable_fen == 6000
    start = booking.starts_at
    transitions.deliver(booking, by=provider_owner, now=start)
    transitions.confirm(booking, by=resident, now=start + timedelta(hours=1))
    assert db.session.query(SubsidyGrant).one().status == "used"
    assert db.session.query(SubsidyMonth).one().spent_fen == 2000


def test_a_late_cancellation_still_gives_the_subsidy_back(
    elder_rule, make_booking, cleaning, resident
):
    booking = make_booking(cleaning, resident, status="accepted", payment_method="hours")
    transitions.cancel(booking, by=resident, now=booking.starts_at - timedelta(hours=1))
    assert db.session.query(SubsidyMonth).one().spent_fen == 0
    assert db.session.query(SubsidyGrant).one().status == "returned"
    ledger_ok()


# --- the sweep ------------------------------------------------------------------------


def test_expire_due_lets_late_bookings_go(make_booking, cleaning, resident, now):
    unpaid = make_booking(
        cleaning, resident, status="pending_payment", expires_at=now - timedelta(minutes=1)
    )
    unanswered = make_booking(
        cleaning,
        resident,
        status="requested",
        payment_method="hours",
        expires_at=now - timedelta(seconds=1),
    )
    waiting = make_booking(cleaning, resident, expires_at=now + timedelta(minutes=1))
    assert transitions.expire_due(now) == 2
    assert (unpaid.status, unanswered.status, waiting.status) == ("expired", "expired", "requested")
    assert hold_status(unanswered) == "released"
    assert available(resident) == 600
    assert [e.actor_id for e in unanswered.events] == [None]
    assert transitions.expire_due(now) == 0
    ledger_ok()


def test_complete_due_after_the_set_hours(hours_booking, provider_owner, app):
    start = hours_booking.starts_at
    transitions.deliver(hours_booking, by=provider_owner, now=start)
    assert app.config.get("MARKETPLACE_AUTO_COMPLETE_HOURS", 48) == 48
    assert transitions.complete_due(start + timedelta(hours=47)) == 0
    assert hours_booking.status == "accepted"
    assert transitions.complete_due(start + timedelta(hours=48)) == 1
    assert hours_booking.status == "completed"
    assert provider_minutes(hours_booking.provider) == 120
    event = db.session.query(BookingEvent).filter_by(booking_id=hours_booking.id).all()[-1]
    assert event.actor_id is None
    ledger_ok()


# --- which buttons --------------------------------------------------------------------


def test_actions_for_each_side(make_booking, cleaning, resident, provider_owner, coordinator, now):
    booking = make_booking(cleaning, resident)
    assert transitions.actions_for(booking, provider_owner, now) == ["accept", "decline", "cancel"]
    assert transitions.actions_for(booking, resident, now) == ["cancel"]
    transitions.accept(booking, by=provider_owner, now=now)
    after_start = booking.starts_at + timedelta(minutes=5)
    assert transitions.actions_for(booking, provider_owner, after_start) == [
        "deliver",
        "mark_paid",
        "no_show",
    ]
    transitions.deliver(booking, by=provider_owner, now=after_start)
    assert transitions.actions_for(booking, resident, after_start) == ["confirm", "dispute"]
    transitions.dispute(booking, by=resident, reason="Bad", now=after_start)
    assert "resolve" in transitions.actions_for(booking, coordinator, after_start)
    assert disputes.disputes_for(coordinator) == [booking]


def test_the_sweep_command_expires_completes_and_commits(
    app, make_booking, cleaning, resident, provider_owner, now
):
    make_booking(cleaning, resident, status="pending_payment", expires_at=now - timedelta(hours=1))
    delivered = make_booking(
        cleaning,
        resident,
        status="accepted",
        starts_at=now - timedelta(days=3),
        delivered_at=now - timedelta(hours=49),
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["marketplace", "sweep"])
    assert result.exit_code == 0, result.output
    assert "expired 1 booking(s), completed 1 booking(s)" in result.output
    db.session.rollback()
    db.session.expire_all()
    assert delivered.status == "completed"


def test_a_late_cancellation_paid_on_site_costs_nothing(make_booking, cleaning, resident):
    booking = make_booking(cleaning, resident, status="accepted", payment_method="on_site")
    late = booking.starts_at - timedelta(hours=2)
    assert transitions.cancellation_fee(booking, resident, late) == (0, 0)
    transitions.cancel(booking, by=resident, now=late)
    assert (booking.status, booking.cancel_fee_fen) == ("cancelled", 0)


def test_a_no_show_is_disputed_within_14_days(hours_booking, provider_owner, resident):
    start = hours_booking.starts_at
    transitions.mark_no_show(hours_booking, by=provider_owner, now=start)
    with pytest.raises(Conflict):
        transitions.dispute(
            hours_booking, by=resident, reason="I was home", now=start + timedelta(days=15)
        )
    transitions.dispute(hours_booking, by=resident, reason="I was home", now=start)
    assert hours_booking.status == "disputed"


def test_upholding_a_no_show_keeps_the_fee(hours_booking, provider_owner, resident, coordinator):
    start = hours_booking.starts_at
    transitions.mark_no_show(hours_booking, by=provider_owner, now=start)
    transitions.dispute(hours_booking, by=resident, reason="I was home", now=start)
    disputes.resolve_dispute(
        hours_booking, by=coordinator, outcome="uphold", note="Neighbours saw", now=start
    )
    assert hours_booking.status == "cancelled"
    assert provider_minutes(hours_booking.provider) == 24
    ledger_ok()


def test_system_notes_read_as_words(app):
    from flask_babel import force_locale

    with force_locale("en"):
        assert transitions.event_note(transitions.NOTE_DELIVERED) == (
            "the provider marked the service done"
        )
        assert transitions.event_note("My own words") == "My own words"


def test_a_refused_booking_does_not_stop_the_sweep(make_booking, cleaning, resident, now):
    from marketplace.card_models import CardPayment

    # a card payment already taken cannot be let go: that booking is skipped, left as it was
    stuck = make_booking(
        cleaning, resident, status="pending_payment", expires_at=now - timedelta(minutes=2)
    )
    db.session.add(CardPayment(booking_id=stuck.id, amount_fen=8000, status="captured"))
    late = make_booking(
        cleaning, resident, status="pending_payment", expires_at=now - timedelta(minutes=1)
    )
    db.session.flush()
    assert transitions.expire_due(now) == 1
    db.session.expire_all()
    assert (stuck.status, late.status) == ("pending_payment", "expired")
    assert len(stuck.events) == 0


# --- the buttons for a list of bookings -----------------------------------------------


def test_the_actions_for_a_list_are_each_bookings_own_with_one_family_query(
    make_booking, cleaning, resident, make_member, coordinator, provider_owner, now
):
    daughter = make_member("女儿", age=45)
    link_family(by=resident, elder=resident, relative=daughter)
    neighbour = make_member("邻居老人", age=85)
    bookings = [
        make_booking(cleaning, resident, status="requested"),
        make_booking(
            cleaning,
            resident,
            status="accepted",
            starts_at=now - timedelta(hours=3),
            delivered_at=now - timedelta(hours=1),
        ),
        make_booking(cleaning, neighbour, status="accepted"),
    ]
    seen = set()
    for who in (resident, daughter, coordinator, provider_owner, neighbour):
        with counted_statements() as statements:
            together = transitions.actions_for_each(bookings, who, now)
        assert sum("family_links" in s for s in statements) <= 1
        one_by_one = {b.id: transitions.actions_for(b, who, now) for b in bookings}
        assert together == one_by_one
        seen.update(action for actions in together.values() for action in actions)
    # the list covers the resident's side, the provider's and a stranger's nothing
    assert {"accept", "decline", "confirm", "cancel", "dispute"} <= seen
    assert transitions.actions_for_each(bookings, None, now) == {b.id: [] for b in bookings}
