"""Stripe's webhook: signed events applied once, forged ones refused, late ones ignored."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from marketplace import card, transitions
from marketplace.booking_models import BookingStatus
from marketplace.card_models import CardStatus, StripeEvent
from tests.marketplace.stripe_server import WEBHOOK_SECRET, event, paid, signed

URL = "/pay/stripe/webhook"


def deliver(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post(URL, data=body, headers=headers)


def send(client, stripe_event: dict):
    """Post ``stripe_event`` signed with our secret, as Stripe does (no CSRF token)."""
    db.session.commit()
    return deliver(client, *signed(stripe_event))


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(StripeEvent))


def intent_object(booking, status: str, **fields) -> dict:
    payment = card.card_payment(booking)
    return {
        "id": payment.payment_intent_id,
        "object": "payment_intent",
        "amount": payment.amount_fen,
        "status": status,
        "metadata": {"booking_id": str(booking.id)},
        **fields,
    }


@pytest.fixture
def authorised(book_by_card, localstripe, elder):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    return booking


@pytest.fixture
def captured(authorised, elder, provider_owner):
    booking = authorised
    transitions.accept(booking, by=provider_owner)
    transitions.deliver(booking, by=provider_owner, now=booking.starts_at + timedelta(hours=2))
    transitions.confirm(booking, by=elder, now=booking.starts_at + timedelta(hours=3))
    return booking


def test_a_signed_setup_event_authorises_the_card(client, book_by_card, localstripe, elder):
    booking = book_by_card()
    entry = card.start_card_payment(booking, by=elder)
    localstripe.enter_card(entry.client_secret)  # the browser never came back to /done
    setup = {"id": entry.card.setup_intent_id, "object": "setup_intent", "status": "succeeded"}

    response = send(client, event("evt_setup_1", "setup_intent.succeeded", setup))

    assert (response.status_code, response.json) == (200, {"outcome": "applied"})
    db.session.refresh(booking)
    assert booking.status == BookingStatus.REQUESTED
    assert card.card_payment(booking).status == CardStatus.AUTHORISED
    row = db.session.get(StripeEvent, "evt_setup_1")
    assert (row.type, row.booking_id, row.outcome) == (
        "setup_intent.succeeded",
        booking.id,
        "applied",
    )


def test_a_setup_event_is_checked_with_stripe_not_believed(client, book_by_card, elder):
    booking = book_by_card()
    entry = card.start_card_payment(booking, by=elder)  # no card entered at localstripe
    setup = {"id": entry.card.setup_intent_id, "object": "setup_intent", "status": "succeeded"}

    response = send(client, event("evt_setup_2", "setup_intent.succeeded", setup))

    assert response.status_code == 200
    db.session.refresh(booking)
    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert card.card_payment(booking).status == CardStatus.STARTED


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body, sig: (body, None), id="no signature"),
        pytest.param(lambda body, sig: (body, "t=1,v1=00"), id="garbage signature"),
        pytest.param(
            lambda body, sig: (body.replace(b"payment_intent.succeeded", b"charge.refunded"), sig),
            id="body changed after signing",
        ),
        pytest.param(lambda body, sig: signed_with("whsec_someone_else", body), id="other secret"),
        pytest.param(
            lambda body, sig: signed_with(WEBHOOK_SECRET, body, at=int(time.time()) - 3600),
            id="an hour old",
        ),
    ],
)
def test_a_forged_event_is_refused_and_changes_nothing(client, authorised, forge):
    stripe_event = event(
        "evt_forged", "payment_intent.succeeded", intent_object(authorised, "succeeded")
    )
    body, signature = forge(*signed(stripe_event))
    db.session.commit()

    response = deliver(client, body, signature)

    assert response.status_code == 400
    assert stored() == 0
    db.session.refresh(authorised)
    payment = card.card_payment(authorised)
    db.session.refresh(payment)
    assert (payment.status, payment.captured_fen) == (CardStatus.AUTHORISED, 0)


def signed_with(secret: str, body: bytes, at: int | None = None) -> tuple[bytes, str]:
    import hashlib
    import hmac

    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return body, f"t={timestamp},v1={digest.hexdigest()}"


def test_a_replayed_event_is_stored_once_and_applied_once(client, authorised):
    # captured in Stripe's dashboard: the event is how we learn it
    succeeded = event(
        "evt_paid",
        "payment_intent.succeeded",
        intent_object(authorised, "succeeded", amount_received=8000),
    )

    first = send(client, succeeded)
    payment = card.card_payment(authorised)
    db.session.refresh(payment)
    assert (payment.status, payment.captured_fen) == (CardStatus.CAPTURED, 8000)
    payment.captured_fen = 7000  # were it applied again, it would write 8000 back
    db.session.commit()
    second = send(client, succeeded)

    assert (first.status_code, first.json) == (200, {"outcome": "applied"})
    assert (second.status_code, second.json) == (200, {"outcome": "duplicate"})
    assert stored() == 1
    db.session.refresh(payment)
    assert payment.captured_fen == 7000


def test_a_cancel_arriving_after_the_capture_is_ignored(client, captured):
    response = send(
        client,
        event("evt_late_cancel", "payment_intent.canceled", intent_object(captured, "canceled")),
    )
    late_hold = send(
        client,
        event(
            "evt_late_hold",
            "payment_intent.amount_capturable_updated",
            intent_object(captured, "requires_capture"),
        ),
    )

    assert response.json == {"outcome": "ignored"}
    assert late_hold.json == {"outcome": "ignored"}
    db.session.refresh(captured)
    assert captured.status == BookingStatus.COMPLETED
    payment = card.card_payment(captured)
    db.session.refresh(payment)
    assert (payment.status, payment.captured_fen) == (CardStatus.CAPTURED, 8000)
    assert db.session.get(StripeEvent, "evt_late_cancel").outcome == "ignored"


def test_an_authorisation_cancelled_in_stripe_cancels_the_booking(client, authorised):
    response = send(
        client,
        event("evt_lapsed", "payment_intent.canceled", intent_object(authorised, "canceled")),
    )

    assert response.json == {"outcome": "applied"}
    db.session.refresh(authorised)
    assert authorised.status == BookingStatus.CANCELLED
    assert card.card_payment(authorised).status == CardStatus.CANCELLED


def test_refunds_made_in_stripe_are_recorded_and_older_news_ignored(client, captured):
    charge = {
        "id": "ch_test",
        "object": "charge",
        "payment_intent": card.card_payment(captured).payment_intent_id,
        "amount": 8000,
    }

    newer = send(
        client, event("evt_refund_2", "charge.refunded", {**charge, "amount_refunded": 3000})
    )
    older = send(
        client, event("evt_refund_1", "charge.refunded", {**charge, "amount_refunded": 1000})
    )

    assert (newer.json, older.json) == ({"outcome": "applied"}, {"outcome": "ignored"})
    payment = card.card_payment(captured)
    db.session.refresh(payment)
    assert payment.refunded_fen == 3000


def test_an_event_about_something_else_is_stored_as_unknown(client, stripe_app):
    response = send(
        client, event("evt_other", "customer.created", {"id": "cus_1", "object": "customer"})
    )

    assert response.json == {"outcome": "unknown"}
    assert db.session.get(StripeEvent, "evt_other").outcome == "unknown"


def test_a_saved_card_failing_off_session_cancels_the_booking(
    client, book_by_card, localstripe, elder
):
    booking = book_by_card(days_ahead=10)
    paid(booking, localstripe, elder)
    # an off-session PaymentIntent of this booking on record (set by hand here), whose
    # failure we learn only from Stripe's event
    payment = card.card_payment(booking)
    payment.payment_intent_id = "pi_charged_by_stripe_retry"
    failed = {
        "id": "pi_charged_by_stripe_retry",
        "object": "payment_intent",
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined"},
    }

    response = send(client, event("evt_failed", "payment_intent.payment_failed", failed))

    assert response.json == {"outcome": "applied"}
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    assert card.card_payment(booking).status == CardStatus.FAILED


def test_a_setup_event_after_the_booking_expired_is_ignored(
    client, book_by_card, localstripe, elder
):
    booking = book_by_card()
    entry = card.start_card_payment(booking, by=elder)
    localstripe.enter_card(entry.client_secret)
    transitions.expire_due(now=booking.expires_at)
    setup = {"id": entry.card.setup_intent_id, "object": "setup_intent", "status": "succeeded"}

    response = send(client, event("evt_setup_late", "setup_intent.succeeded", setup))

    assert response.json == {"outcome": "ignored"}
    db.session.refresh(booking)
    assert booking.status == BookingStatus.EXPIRED
    payment = card.card_payment(booking)
    db.session.refresh(payment)
    assert (payment.status, payment.payment_intent_id) == (CardStatus.CANCELLED, None)


def _event_with(**changes) -> dict:
    """A payment_intent.succeeded event (about no booking) with some parts replaced."""
    body = event("evt_odd", "payment_intent.succeeded", {"id": "pi_odd", "amount": 8000})
    body.update(changes)
    return body


def _with_object(**fields) -> dict:
    return _event_with(data={"object": {"id": "pi_odd", "object": "payment_intent", **fields}})


MALFORMED = {
    "a list": b"[]",
    "null": b"null",
    "a string": b'"evt_1"',
    "an empty object": b"{}",
    "not JSON": b'{"id": ',
    "not UTF-8": b'{"id": "evt_\xff\xfe"}',
    "nested beyond reason": b"[" * 100_000 + b"]" * 100_000,
    "a number for an id": json.dumps(_event_with(id=12)).encode(),
    "a NUL in the id": json.dumps(_event_with(id="evt_\u0000x")).encode(),
    "a 300-character id": json.dumps(_event_with(id="evt_" + "x" * 300)).encode(),
    "a number for the type": json.dumps(_event_with(type=7)).encode(),
    "data a string": json.dumps(_event_with(data="payment")).encode(),
    "data.object a list": json.dumps(_event_with(data={"object": []})).encode(),
    "an object id that is an object": json.dumps(_with_object(id={"id": "pi_1"})).encode(),
    "an amount in text": json.dumps(_with_object(amount_received="8000")).encode(),
    "an amount that is true": json.dumps(_with_object(amount_received=True)).encode(),
    "an amount of 2**70": json.dumps(_with_object(amount_received=2**70)).encode(),
    "a negative amount": json.dumps(_with_object(amount_refunded=-5)).encode(),
    "a fractional amount": json.dumps(_with_object(amount=80.5)).encode(),
    "a payment intent that is a number": json.dumps(_with_object(payment_intent=5)).encode(),
    "an error that is a list": json.dumps(_with_object(last_payment_error=[1])).encode(),
    "a status with a NUL": json.dumps(_with_object(status="succeeded\u0000")).encode(),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_validly_signed_but_malformed_body_is_refused_and_stores_nothing(
    client, stripe_app, body
):
    db.session.commit()

    response = deliver(client, *signed_with(WEBHOOK_SECRET, body))

    assert response.status_code == 400
    assert stored() == 0


@pytest.mark.parametrize("seconds", [-3600, -301, 301, 3600, 10**12], ids=lambda s: f"{s:+d}s")
def test_a_signature_made_outside_the_tolerance_either_way_is_refused(client, authorised, seconds):
    succeeded = event(
        "evt_timed", "payment_intent.succeeded", intent_object(authorised, "succeeded")
    )
    body, signature = signed(succeeded, at=int(time.time()) + seconds)
    db.session.commit()

    response = deliver(client, body, signature)

    assert response.status_code == 400
    assert stored() == 0


@pytest.mark.parametrize("seconds", [-240, 240], ids=["4 min old", "4 min ahead (clock skew)"])
def test_a_signature_within_the_tolerance_is_accepted(client, authorised, seconds):
    succeeded = event(
        "evt_in_time", "payment_intent.succeeded", intent_object(authorised, "succeeded")
    )

    db.session.commit()
    response = deliver(client, *signed(succeeded, at=int(time.time()) + seconds))

    assert (response.status_code, response.json) == (200, {"outcome": "applied"})


@pytest.mark.parametrize(
    "header",
    ["t=abc,v1=00", "v1=00", "t=1,t=2,v1=00", "t=1,v1=\u00e9\u00e9", "t=١٢,v1=00", "garbage", ","],
)
def test_a_malformed_signature_header_is_refused(client, stripe_app, header):
    db.session.commit()
    body = json.dumps(_event_with()).encode()

    response = deliver(client, body, header)

    assert response.status_code == 400
    assert stored() == 0


class CountingStream:
    """A request body of ``size`` spaces that counts how much of it the app reads."""

    def __init__(self, size: int) -> None:
        self.size, self.position, self.read_bytes = size, 0, 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        self.position += n
        self.read_bytes += n
        return b" " * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        # the test client seeks to the end and back to learn the length
        self.position = self.size + offset if whence == 2 else offset
        return self.position


def test_a_body_over_one_megabyte_is_refused_with_413_without_being_read(client, stripe_app):
    size = 1024 * 1024 + 1
    stream = CountingStream(size)
    body_start = json.dumps(_event_with()).encode()
    _, signature = signed_with(WEBHOOK_SECRET, body_start)
    db.session.commit()

    response = client.post(
        URL,
        input_stream=stream,
        content_length=size,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )

    assert (response.status_code, stream.read_bytes) == (413, 0), response.get_data()
    assert stored() == 0


def test_a_signed_body_just_under_one_megabyte_is_read(client, stripe_app):
    padded = event("evt_big", "customer.created", {"id": "cus_1", "note": "x" * 1_000_000})

    response = send(client, padded)

    assert (response.status_code, response.json) == (200, {"outcome": "unknown"})
