"""Card payments against a real localstripe: authorise, capture, cancel, partial capture,
refund, declined cards, and a saved card charged off-session before a far booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.notifications import inbox, render
from extensions import db
from marketplace import card, card_steps, disputes, transitions
from marketplace.booking_models import BookingStatus
from marketplace.card_models import CardPayment, CardStatus
from marketplace.errors import Conflict, InvalidInput, PaymentFailed
from tests.marketplace.stripe_server import paid

# Messages are read in English (the msgids), whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


DECLINED_ON_SAVE = "4000000000000002"  # localstripe refuses to save it
DECLINED_ON_CHARGE = "4000000000000341"  # saved fine, refused when charged


def intent(localstripe, booking) -> dict:
    return localstripe.get(f"/v1/payment_intents/{card.card_payment(booking).payment_intent_id}")


def test_a_card_is_authorised_and_the_booking_requested(book_by_card, localstripe, elder):
    booking = book_by_card()
    assert booking.status == BookingStatus.PENDING_PAYMENT

    assert paid(booking, localstripe, elder) == CardStatus.AUTHORISED

    assert booking.status == BookingStatus.REQUESTED
    payment = card.card_payment(booking)
    assert (payment.amount_fen, payment.captured_fen, payment.charge_due_at) == (8000, 0, None)
    held = intent(localstripe, booking)
    assert (held["status"], held["amount"], held["currency"]) == ("requires_capture", 8000, "cny")
    assert held["capture_method"] == "manual"
    assert held["metadata"] == {"booking_id": str(booking.id)}


def test_before_the_card_is_in_nothing_is_booked(book_by_card, elder):
    booking = book_by_card()
    first = card.start_card_payment(booking, by=elder)

    assert card.card_authorised(booking) == "waiting"
    again = card.start_card_payment(booking, by=elder)

    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert again.client_secret == first.client_secret
    assert db.session.scalar(select(func.count()).select_from(CardPayment)) == 1


def test_coming_back_twice_authorises_once(book_by_card, localstripe, elder):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    first_intent = card.card_payment(booking).payment_intent_id

    assert card.card_authorised(booking) == CardStatus.AUTHORISED
    assert card.card_payment(booking).payment_intent_id == first_intent
    with pytest.raises(Conflict):
        card.start_card_payment(booking, by=elder)


def test_someone_else_may_not_pay(book_by_card, make_member):
    booking = book_by_card()
    with pytest.raises(Exception) as raised:
        card.start_card_payment(booking, by=make_member("路人"))
    assert raised.value.http_status == 403


def test_completion_captures_the_whole_amount(book_by_card, localstripe, elder, provider_owner):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)
    transitions.deliver(booking, by=provider_owner, now=booking.starts_at + timedelta(hours=2))

    transitions.confirm(booking, by=elder, now=booking.starts_at + timedelta(hours=3))
    db.session.commit()  # the card step's Stripe call is made after the step commits

    assert booking.status == BookingStatus.COMPLETED
    payment = card.card_payment(booking)
    assert (payment.status, payment.captured_fen) == (CardStatus.CAPTURED, 8000)
    assert intent(localstripe, booking)["status"] == "succeeded"
    charge = intent(localstripe, booking)["latest_charge"]
    assert (charge["captured"], charge["amount"]) == (True, 8000)

    card.capture(booking, 8000)  # a second capture is never sent
    assert card.card_payment(booking).captured_fen == 8000


def test_a_declined_booking_lets_the_authorisation_go(
    book_by_card, localstripe, elder, provider_owner
):
    booking = book_by_card()
    paid(booking, localstripe, elder)

    transitions.decline(booking, by=provider_owner, reason="fully booked")
    db.session.commit()  # the card step's Stripe call is made after the step commits

    assert card.card_payment(booking).status == CardStatus.CANCELLED
    assert intent(localstripe, booking)["status"] == "canceled"
    card.release(booking)  # again: nothing more happens
    assert card.card_payment(booking).captured_fen == 0


def test_a_free_cancellation_charges_nothing(book_by_card, localstripe, elder, provider_owner):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)

    transitions.cancel(booking, by=elder, now=booking.starts_at - timedelta(days=2))
    db.session.commit()  # the card step's Stripe call is made after the step commits

    assert card.card_payment(booking).status == CardStatus.CANCELLED
    assert intent(localstripe, booking)["status"] == "canceled"


def test_a_late_cancellation_captures_only_the_fee(
    book_by_card, localstripe, elder, provider_owner
):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)

    transitions.cancel(booking, by=elder, now=booking.starts_at - timedelta(hours=2))
    db.session.commit()  # the card step's Stripe call is made after the step commits

    payment = card.card_payment(booking)
    assert (payment.status, payment.captured_fen) == (CardStatus.CAPTURED, 1600)  # 20 % of ¥80
    assert booking.cancel_fee_fen == 1600
    held = intent(localstripe, booking)
    assert held["status"] == "succeeded"
    # localstripe gives back the part not captured as a refund of the charge
    assert held["latest_charge"]["amount"] - held["latest_charge"]["amount_refunded"] == 1600


def completed(booking, localstripe, elder, provider_owner):
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)
    transitions.deliver(booking, by=provider_owner, now=booking.starts_at + timedelta(hours=2))
    transitions.confirm(booking, by=elder, now=booking.starts_at + timedelta(hours=3))
    db.session.commit()  # the card step's Stripe call is made after the step commits


def test_refunds_in_parts_up_to_what_was_captured(book_by_card, localstripe, elder, provider_owner):
    booking = book_by_card()
    completed(booking, localstripe, elder, provider_owner)

    card.refund(booking, 3000)
    db.session.commit()  # the card step's Stripe call is made after the step commits
    card.refund(booking, 5000)
    db.session.commit()  # the card step's Stripe call is made after the step commits

    assert card.card_payment(booking).refunded_fen == 8000
    refunds = localstripe.get(
        f"/v1/refunds?payment_intent={card.card_payment(booking).payment_intent_id}"
    )
    assert sorted(r["amount"] for r in refunds["data"]) == [3000, 5000]
    with pytest.raises(InvalidInput):
        card.refund(booking, 1)


def test_a_coordinator_refunds_a_dispute_fully(
    book_by_card, localstripe, elder, provider_owner, make_member
):
    booking = book_by_card()
    completed(booking, localstripe, elder, provider_owner)
    transitions.dispute(
        booking,
        by=elder,
        reason="nobody cleaned the kitchen",
        now=booking.starts_at + timedelta(days=1),
    )
    coordinator = make_member("社区王主任", role="coordinator")

    disputes.resolve_dispute(
        booking,
        by=coordinator,
        outcome="refund",
        note="agreed",
        refund_fen=8000,
        now=booking.starts_at + timedelta(days=2),
    )
    db.session.commit()  # the card step's Stripe call is made after the step commits

    assert booking.status == BookingStatus.REFUNDED
    assert card.card_payment(booking).refunded_fen == 8000
    refunds = localstripe.get(
        f"/v1/refunds?payment_intent={card.card_payment(booking).payment_intent_id}"
    )
    assert [r["amount"] for r in refunds["data"]] == [8000]


def test_a_card_refused_when_saved_books_nothing(book_by_card, localstripe, elder):
    booking = book_by_card()
    entry = card.start_card_payment(booking, by=elder)

    answer = localstripe.enter_card(entry.client_secret, DECLINED_ON_SAVE)

    assert answer["error"]["code"] == "card_declined"
    assert card.card_authorised(booking) == "waiting"
    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert card.card_payment(booking).payment_intent_id is None


def test_a_card_refused_when_charged_books_nothing_and_another_card_may_follow(
    book_by_card, localstripe, elder
):
    booking = book_by_card()

    with pytest.raises(PaymentFailed) as refused:
        paid(booking, localstripe, elder, DECLINED_ON_CHARGE)

    assert refused.value.http_status == 402
    assert "declined" in str(refused.value.message)
    assert "Your card was declined" not in str(refused.value.message)  # ours, not Stripe's
    assert booking.status == BookingStatus.PENDING_PAYMENT
    payment = card.card_payment(booking)
    assert payment.status == CardStatus.FAILED
    assert "card_declined" in payment.last_error
    failed_setup = payment.setup_intent_id

    assert paid(booking, localstripe, elder) == CardStatus.AUTHORISED
    assert card.card_payment(booking).setup_intent_id != failed_setup
    assert booking.status == BookingStatus.REQUESTED


def test_a_far_booking_saves_the_card_and_charges_it_two_days_before(
    book_by_card, localstripe, elder
):
    booking = book_by_card(days_ahead=10)

    assert paid(booking, localstripe, elder) == CardStatus.SAVED

    assert booking.status == BookingStatus.REQUESTED
    payment = card.card_payment(booking)
    assert payment.payment_intent_id is None
    assert payment.charge_due_at == booking.starts_at - timedelta(days=2)
    assert card.charge_due(now=payment.charge_due_at - timedelta(minutes=1)) == []
    assert card.charge_due(now=payment.charge_due_at) == [payment.id]

    assert card_steps.charge_saved_card(payment.id) == "authorised"
    assert card_steps.charge_saved_card(payment.id) == "skipped"

    held = intent(localstripe, booking)
    assert (held["status"], held["amount"]) == ("requires_capture", 8000)
    assert held["customer"] == payment.customer_id
    assert card.charge_due(now=payment.charge_due_at) == []


def test_a_saved_card_refused_off_session_cancels_the_booking(book_by_card, localstripe, elder):
    booking = book_by_card(days_ahead=10)
    assert paid(booking, localstripe, elder, DECLINED_ON_CHARGE) == CardStatus.SAVED
    payment = card.card_payment(booking)

    assert card_steps.charge_saved_card(payment.id) == "failed"

    assert card.card_payment(booking).status == CardStatus.FAILED
    assert booking.status == BookingStatus.CANCELLED
    assert booking.events[-1].note == "card payment failed"
    assert transitions.event_note(booking.events[-1].note) == "the card could not be charged"
    (told,) = [render(n) for n in inbox(elder)]
    assert "could not be charged" in told and "booking is cancelled" in told


def test_a_saved_card_cancelled_early_is_never_charged(book_by_card, localstripe, elder):
    booking = book_by_card(days_ahead=10)
    paid(booking, localstripe, elder)

    transitions.cancel(booking, by=elder)
    db.session.commit()  # the card step's Stripe call is made after the step commits

    payment = card.card_payment(booking)
    assert (payment.status, payment.payment_intent_id) == (CardStatus.CANCELLED, None)
    assert card.charge_due(now=payment.charge_due_at) == []


def test_a_late_fee_on_a_saved_card_authorises_then_captures_the_fee(
    book_by_card, localstripe, elder, provider_owner
):
    booking = book_by_card(days_ahead=10)
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)

    transitions.cancel(booking, by=elder, now=booking.starts_at - timedelta(hours=3))
    db.session.commit()  # the card step's Stripe call is made after the step commits

    payment = card.card_payment(booking)
    assert (payment.status, payment.captured_fen) == (CardStatus.CAPTURED, 1600)
    assert intent(localstripe, booking)["status"] == "succeeded"


def test_the_charge_due_command_holds_saved_cards_whose_day_has_come(
    book_by_card, localstripe, elder, app
):
    from community.models import utcnow

    booking = book_by_card(days_ahead=10)
    paid(booking, localstripe, elder)
    payment = card.card_payment(booking)
    payment.charge_due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["marketplace", "charge-due"])

    assert result.exit_code == 0, result.output
    assert "1 authorised" in result.output
    db.session.expire_all()
    payment = card.card_payment(booking)
    assert payment.status == CardStatus.AUTHORISED
    assert intent(localstripe, booking)["status"] == "requires_capture"
