"""Card steps call Stripe outside the booking's lock and transaction; a step that dies
between Stripe's answer and our record of it is finished by the worker, and nothing is
charged (or refunded) twice. Against a real localstripe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import storage
from extensions import db
from jobs.queue import enqueue
from jobs.worker import run_queued_jobs
from marketplace import card, card_steps, disputes, transitions
from marketplace.booking_models import Booking, BookingStatus
from marketplace.card_models import CardPayment, CardStatus
from tests.marketplace.stripe_server import paid

pytestmark = pytest.mark.usefixtures("english")


class Crash(BaseException):
    """The process dies here: nothing of ours handles it (a BaseException, like SystemExit)."""


@pytest.fixture
def crash_before_the_record(monkeypatch):
    """The next card step dies after Stripe answered and before the answer is recorded."""
    real_record = card_steps._record
    calls = []

    def dies_once(*args, **kwargs):
        calls.append(args[1].step)
        if len(calls) == 1:
            raise Crash
        return real_record(*args, **kwargs)

    monkeypatch.setattr(card_steps, "_record", dies_once)
    return calls


def run_the_worker(app) -> None:
    """The worker's periodic job that finishes steps left behind, as the worker runs it."""
    app.config["CARD_STEP_STALE_MINUTES"] = 0
    if db.engine.dialect.name == "postgresql":
        enqueue("marketplace_card_steps", timestamp=0)
        db.session.commit()
        run_queued_jobs(app)
    else:  # SQLite's queue lives in the worker's memory: run what its job runs
        card_steps.finish_stale_steps()
    db.session.expire_all()


def delivered(booking, localstripe, elder, provider_owner):
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)
    transitions.deliver(booking, by=provider_owner, now=booking.starts_at + timedelta(hours=2))
    db.session.commit()


def payment_intents_of(localstripe, customer_id: str) -> list[dict]:
    every = localstripe.get("/v1/payment_intents")  # localstripe is emptied before each test
    assert "data" in every, every
    return [intent for intent in every["data"] if intent["customer"] == customer_id]


def test_the_step_is_recorded_and_committed_before_stripe_is_called(
    book_by_card, localstripe, elder, provider_owner
):
    booking = book_by_card()
    delivered(booking, localstripe, elder, provider_owner)

    transitions.confirm(booking, by=elder, now=booking.starts_at + timedelta(hours=3))

    payment = card.card_payment(booking)
    assert (payment.pending_step, payment.pending_fen) == ("capture", 8000)
    intent_id = payment.payment_intent_id
    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["status"] == "requires_capture"
    db.session.commit()  # the step's transaction ends; then, and only then, Stripe is called
    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["status"] == "succeeded"
    payment = card.card_payment(booking)
    assert payment.pending_step is None and payment.status == CardStatus.CAPTURED


def test_a_capture_that_died_before_its_record_is_finished_once_by_the_worker(
    app, book_by_card, localstripe, elder, provider_owner, crash_before_the_record
):
    booking = book_by_card()
    delivered(booking, localstripe, elder, provider_owner)
    transitions.confirm(booking, by=elder, now=booking.starts_at + timedelta(hours=3))
    with pytest.raises(Crash):
        db.session.commit()  # the booking's change is committed; the step dies after Stripe
    db.session.remove()  # what the dead process held is gone

    booking = db.session.get(Booking, booking.id)
    payment = card.card_payment(booking)
    assert payment.pending_step == "capture"  # Stripe captured, our record never came
    intent = localstripe.get(f"/v1/payment_intents/{payment.payment_intent_id}")
    assert intent["status"] == "succeeded"
    assert (intent["latest_charge"]["captured"], intent["latest_charge"]["amount"]) == (True, 8000)
    assert booking.status == BookingStatus.COMPLETED

    run_the_worker(app)

    payment = db.session.get(CardPayment, payment.id)
    assert payment.pending_step is None
    assert (payment.status, payment.captured_fen) == (CardStatus.CAPTURED, 8000)
    assert crash_before_the_record == ["capture", "capture"]  # one crash, one recovery
    [only] = payment_intents_of(localstripe, payment.customer_id)
    assert only["id"] == payment.payment_intent_id
    charge = only["latest_charge"]
    assert (only["status"], charge["amount"], charge["amount_refunded"]) == ("succeeded", 8000, 0)


def test_a_refund_that_died_before_its_record_is_not_made_twice(
    app, book_by_card, localstripe, elder, provider_owner, make_member, crash_before_the_record
):
    booking = book_by_card()
    delivered(booking, localstripe, elder, provider_owner)
    crash_before_the_record.append("not this one")  # let the capture be recorded
    transitions.confirm(booking, by=elder, now=booking.starts_at + timedelta(hours=3))
    db.session.commit()
    transitions.dispute(
        booking,
        by=elder,
        reason="the kitchen was not done",
        now=booking.starts_at + timedelta(days=1),
    )
    db.session.commit()
    coordinator = make_member("社区王主任", role="coordinator")
    crash_before_the_record.clear()
    disputes.resolve_dispute(
        booking,
        by=coordinator,
        outcome="refund",
        note="agreed",
        refund_fen=8000,
        now=booking.starts_at + timedelta(days=2),
    )
    with pytest.raises(Crash):
        db.session.commit()
    db.session.remove()  # what the dead process held is gone
    booking = db.session.get(Booking, booking.id)
    payment_id = card.card_payment(booking).id
    intent_id = card.card_payment(booking).payment_intent_id
    refunds = f"/v1/refunds?payment_intent={intent_id}"
    assert [r["amount"] for r in localstripe.get(refunds)["data"]] == [8000]

    run_the_worker(app)

    payment = db.session.get(CardPayment, payment_id)
    assert payment.pending_step is None and payment.refunded_fen == 8000
    assert [r["amount"] for r in localstripe.get(refunds)["data"]] == [8000]  # not twice


def test_the_sweep_commits_each_booking_on_its_own(
    app, book_by_card, localstripe, elder, provider_owner, monkeypatch
):
    first, second = book_by_card(), book_by_card(days_ahead=4)
    for booking in (first, second):
        delivered(booking, localstripe, elder, provider_owner)
    app.config["MARKETPLACE_AUTO_COMPLETE_HOURS"] = -1000  # both are due now
    seen_elsewhere = []
    real_complete = transitions.complete_booking

    def complete_and_look(booking, **kwargs):
        # what another connection sees of the first booking's card while this one is swept
        with storage.read_only(), db.engine.connect() as elsewhere:
            seen_elsewhere.append(
                elsewhere.scalar(
                    select(CardPayment.status).where(CardPayment.booking_id == first.id)
                )
            )
        return real_complete(booking, **kwargs)

    monkeypatch.setattr(transitions, "complete_booking", complete_and_look)
    result = app.test_cli_runner().invoke(args=["marketplace", "sweep"])

    assert result.exit_code == 0, result.output
    assert "completed 2 booking(s)" in result.output
    # when the second was swept, the first was committed and its capture recorded
    assert seen_elsewhere == [CardStatus.AUTHORISED, CardStatus.CAPTURED]


@pytest.fixture
def stripe_calls(monkeypatch):
    """Each pay-page call to Stripe, with whether a transaction was open while it ran."""
    seen: list[tuple[str, bool]] = []
    for name in (
        "retrieve_setup_intent",
        "create_customer",
        "create_setup_intent",
        "create_payment_intent",
    ):
        real = getattr(card.gateway, name)

        def watched(*args, _name=name, _real=real, **kwargs):
            seen.append((_name, db.session().in_transaction()))
            return _real(*args, **kwargs)

        monkeypatch.setattr(card.gateway, name, watched)
    return seen


def test_the_pay_page_calls_stripe_with_no_transaction_open(
    book_by_card, localstripe, elder, stripe_calls
):
    booking = book_by_card()

    assert paid(booking, localstripe, elder) == CardStatus.AUTHORISED

    called = [name for name, _ in stripe_calls]
    assert called == [
        "create_customer",
        "create_setup_intent",
        "retrieve_setup_intent",
        "create_payment_intent",
    ]
    assert [name for name, open_ in stripe_calls if open_] == []  # no lock held meanwhile
    assert db.session.get(Booking, booking.id).status == BookingStatus.REQUESTED


def test_a_booking_let_go_while_stripe_held_the_amount_gives_it_back(
    book_by_card, localstripe, elder, monkeypatch
):
    booking = book_by_card()
    entry = card.start_card_payment(booking, by=elder)
    db.session.commit()
    localstripe.enter_card(entry.client_secret)
    real = card.gateway.create_payment_intent

    def meanwhile_expired(*args, **kwargs):
        intent = real(*args, **kwargs)
        # the sweep lets the booking go while Stripe answers (its card row as it was)
        db.session.execute(
            Booking.__table__.update()
            .where(Booking.id == booking.id)
            .values(status=BookingStatus.EXPIRED)
        )
        db.session.commit()
        return intent

    monkeypatch.setattr(card.gateway, "create_payment_intent", meanwhile_expired)

    assert card.card_authorised(booking) == card.LAPSED
    db.session.commit()  # the owed cancel is made right after the commit
    payment = card.card_payment(booking)
    assert payment.status == CardStatus.CANCELLED and payment.pending_step is None
    held = localstripe.get(f"/v1/payment_intents/{payment.payment_intent_id}")
    assert held["status"] == "canceled"


def test_a_step_recorded_in_a_savepoint_waits_for_the_real_commit(book_by_card, localstripe, elder):
    """The sweep records each booking's step in a savepoint: its release is not the
    commit, so the step is not tried (against rows not yet committed) until the commit."""
    booking = book_by_card()
    paid(booking, localstripe, elder)
    db.session.commit()

    with db.session.begin_nested():
        card.release(booking)
    payment = card.card_payment(booking)
    assert payment.pending_step == "cancel"  # still owed: nothing was sent yet
    intent_id = payment.payment_intent_id
    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["status"] == "requires_capture"

    db.session.commit()
    db.session.expire_all()
    assert card.card_payment(booking).pending_step is None
    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["status"] == "canceled"
