"""The one module that talks to Stripe (or localstripe): thin typed calls.

Amounts are in fen, currency cny. Every call that moves money carries an
idempotency key derived from our ids (real Stripe honours it; localstripe
ignores it, so marketplace.card also guards with its own rows). Stripe's
errors become PaymentFailed with a plain, translated message; Stripe's own
English text is kept only in ``StripeRefused.detail`` for our records.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.errors import PaymentFailed

CURRENCY = "cny"

DECLINED = _l(
    "The card was declined. Nothing was charged. "
    "Please try another card or choose another way to pay."
)
NO_MONEY = _l(
    "The card does not have enough money on it. Nothing was charged. "
    "Please try another card or choose another way to pay."
)
CARD_DETAILS = _l("The card number, date or security code is not right. Please check the card.")
EXPIRED = _l("This card has expired. Please use another card.")
NEEDS_BANK = _l(
    "Your bank wants you to confirm this payment yourself. Nothing was charged. "
    "Please pay again on the booking page."
)
UNAVAILABLE = _l(
    "Card payment is not working just now. Nothing was charged. "
    "Please try again later or choose another way to pay."
)

_MESSAGES = {
    "insufficient_funds": NO_MONEY,
    "expired_card": EXPIRED,
    "incorrect_cvc": CARD_DETAILS,
    "invalid_cvc": CARD_DETAILS,
    "incorrect_number": CARD_DETAILS,
    "invalid_number": CARD_DETAILS,
    "invalid_expiry_month": CARD_DETAILS,
    "invalid_expiry_year": CARD_DETAILS,
    "authentication_required": NEEDS_BANK,
}


class StripeRefused(PaymentFailed):
    """Stripe refused a call; ``detail`` is Stripe's code and text, for our records only."""

    def __init__(self, message, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail[:300]


class BadSignature(Exception):
    """A webhook whose signature does not match our secret (forged, or not from Stripe)."""


@dataclass(frozen=True)
class SetupState:
    id: str
    status: str
    client_secret: str
    payment_method_id: str | None
    customer_id: str | None


@dataclass(frozen=True)
class IntentState:
    id: str
    status: str


def refused(error: stripe.StripeError) -> StripeRefused:
    """The PaymentFailed to raise for a Stripe error, in words an elder understands."""
    code = getattr(error, "code", None) or ""
    decline_code = ""
    if error.error is not None:
        decline_code = getattr(error.error, "decline_code", None) or ""
    detail = f"{type(error).__name__} {code} {decline_code}: {error.user_message or error}"
    if isinstance(error, stripe.CardError):
        message = _MESSAGES.get(decline_code) or _MESSAGES.get(code) or DECLINED
        return StripeRefused(message, detail.strip())
    if code == "authentication_required":
        return StripeRefused(NEEDS_BANK, detail)
    current_app.logger.warning("Stripe refused: %s", detail)
    return StripeRefused(UNAVAILABLE, detail)


def _client() -> stripe.StripeClient:
    """A client for the configured key and address (kept per app; tests change them)."""
    config = current_app.config
    key, base = config.get("STRIPE_SECRET_KEY"), config.get("STRIPE_API_BASE")
    cached = current_app.extensions.get("linli_stripe")
    if cached is None or cached[0] != (key, base):
        if not key:
            raise StripeRefused(UNAVAILABLE, "no STRIPE_SECRET_KEY")
        addresses = {"api": base} if base else None
        client = stripe.StripeClient(key, base_addresses=addresses, max_network_retries=2)
        cached = ((key, base), client)
        current_app.extensions["linli_stripe"] = cached
    return cached[1]


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except stripe.StripeError as error:
        raise refused(error) from error


def create_customer(*, name: str, member_id: int) -> str:
    """A Stripe Customer for one payer; returns its id."""
    customer = _call(
        _client().v1.customers.create,
        params={"name": name, "metadata": {"member_id": str(member_id)}},
        options={"idempotency_key": f"member-{member_id}-customer"},
    )
    return customer.id


def create_setup_intent(*, customer_id: str, booking_id: int, attempt: int) -> SetupState:
    """A SetupIntent that saves a card for charges without the payer present."""
    setup = _call(
        _client().v1.setup_intents.create,
        params={
            "customer": customer_id,
            "usage": "off_session",
            "metadata": {"booking_id": str(booking_id)},
        },
        options={"idempotency_key": f"booking-{booking_id}-setup-{attempt}"},
    )
    return _setup_state(setup)


def retrieve_setup_intent(setup_intent_id: str) -> SetupState:
    return _setup_state(_call(_client().v1.setup_intents.retrieve, setup_intent_id))


def _setup_state(setup) -> SetupState:
    return SetupState(
        id=setup.id,
        status=setup.status,
        client_secret=setup.client_secret,
        payment_method_id=_id_of(setup.payment_method),
        customer_id=_id_of(setup.customer),
    )


def _id_of(value) -> str | None:
    """Stripe sends a related object as its id, or as the object when expanded."""
    if value is None or isinstance(value, str):
        return value
    return value.id


def create_payment_intent(
    *,
    amount_fen: int,
    booking_id: int,
    customer_id: str,
    payment_method_id: str,
    idempotency_key: str,
) -> IntentState:
    """Hold ``amount_fen`` on a saved card (manual capture), the payer not present.

    Raises StripeRefused (a PaymentFailed) when the card is declined.
    """
    intent = _call(
        _client().v1.payment_intents.create,
        params={
            "amount": amount_fen,
            "currency": CURRENCY,
            "capture_method": "manual",
            "customer": customer_id,
            "payment_method": payment_method_id,
            "off_session": True,
            "confirm": True,
            "metadata": {"booking_id": str(booking_id)},
        },
        options={"idempotency_key": idempotency_key},
    )
    return IntentState(id=intent.id, status=intent.status)


def retrieve_payment_intent(payment_intent_id: str) -> IntentState:
    intent = _call(_client().v1.payment_intents.retrieve, payment_intent_id)
    return IntentState(id=intent.id, status=intent.status)


def capture(payment_intent_id: str, *, amount_fen: int, idempotency_key: str) -> IntentState:
    """Take ``amount_fen`` of the held amount; the rest is let go."""
    intent = _call(
        _client().v1.payment_intents.capture,
        payment_intent_id,
        params={"amount_to_capture": amount_fen},
        options={"idempotency_key": idempotency_key},
    )
    return IntentState(id=intent.id, status=intent.status)


def cancel(payment_intent_id: str, *, idempotency_key: str) -> IntentState:
    """Let the held amount go (nothing is charged)."""
    intent = _call(
        _client().v1.payment_intents.cancel,
        payment_intent_id,
        options={"idempotency_key": idempotency_key},
    )
    return IntentState(id=intent.id, status=intent.status)


def cancel_setup_intent(setup_intent_id: str) -> None:
    """Stop a SetupIntent whose card was never entered."""
    _call(_client().v1.setup_intents.cancel, setup_intent_id)


def create_refund(payment_intent_id: str, *, amount_fen: int, idempotency_key: str) -> str:
    """Give back ``amount_fen`` of a captured payment; returns the Refund's id."""
    refund = _call(
        _client().v1.refunds.create,
        params={"payment_intent": payment_intent_id, "amount": amount_fen},
        options={"idempotency_key": idempotency_key},
    )
    return refund.id


def construct_event(payload: bytes, signature: str | None, secret: str) -> dict:
    """The verified event (as a plain dict) from a webhook's raw body and Stripe-Signature.

    Raises BadSignature when the signature is missing, forged or too old, or
    the body is not an event.
    """
    if not signature or not secret:
        raise BadSignature("no signature or no secret")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise BadSignature(str(error)) from error
    return event.to_dict()
