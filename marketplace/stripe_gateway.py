"""The one module that talks to Stripe (or localstripe): thin typed calls.

Amounts are in fen, currency cny. Every call that moves money carries an
idempotency key derived from our ids (real Stripe honours it; localstripe
ignores it, so marketplace.card also guards with its own rows). Stripe's
errors become PaymentFailed with a plain, translated message; Stripe's own
English text is kept only in ``StripeRefused.detail`` for our records.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.errors import PaymentFailed

CURRENCY = "cny"
WEBHOOK_MAX_BYTES = 1024 * 1024  # Stripe's events are a few KB
WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default, applied both ways
MAX_EVENT_AMOUNT = 10**12  # fen: far above any booking, well inside a bigint
_AMOUNTS = ("amount", "amount_received", "amount_capturable", "amount_refunded")
_SIGNATURE_HEADER = re.compile(
    r"[A-Za-z0-9_]+=[A-Za-z0-9_]{1,200}(,[A-Za-z0-9_]+=[A-Za-z0-9_]{1,200}){0,20}"
)
_STRIPE_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
_EVENT_TYPE = re.compile(r"[A-Za-z0-9_.]{1,80}")
_SHORT_TEXT = re.compile(r"[A-Za-z0-9_.\- ]{1,80}")

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
    """Stripe refused a call; ``detail`` is Stripe's code and text, for our records only.

    ``retryable``: Stripe could not be reached or was busy (the same call may work later),
    as opposed to a refusal (a declined card, a payment already captured…).
    """

    def __init__(self, message, detail: str = "", *, retryable: bool = False) -> None:
        super().__init__(message)
        self.detail = detail[:300]
        self.retryable = retryable


class BadSignature(Exception):
    """A webhook whose signature does not match our secret (forged, or not from Stripe),
    or was made outside the tolerance (a replay, or a clock far off)."""


class MalformedEvent(Exception):
    """A validly signed webhook body that is not an event of the shape we read."""


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
    retryable = isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError)) or (
        isinstance(error, stripe.APIError) and (error.http_status or 500) >= 500
    )
    return StripeRefused(UNAVAILABLE, detail, retryable=retryable)


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
        params={
            "payment_intent": payment_intent_id,
            "amount": amount_fen,
            # found again by refund_made after a lost answer (localstripe ignores the key)
            "metadata": {"idempotency_key": idempotency_key},
        },
        options={"idempotency_key": idempotency_key},
    )
    return refund.id


def refund_made(payment_intent_id: str, idempotency_key: str) -> bool:
    """Whether the refund made with ``idempotency_key`` exists (found by its metadata)."""
    refunds = _call(
        _client().v1.refunds.list, params={"payment_intent": payment_intent_id, "limit": 100}
    )
    return any(
        (refund.metadata.to_dict() if refund.metadata else {}).get("idempotency_key")
        == idempotency_key
        and refund.status != "failed"
        for refund in refunds.data
    )


def construct_event(
    payload: bytes, signature: str | None, secret: str, *, now: float | None = None
) -> dict:
    """The verified event (as a plain dict) from a webhook's raw body and Stripe-Signature.

    Raises BadSignature when the signature is missing, malformed or forged, or was
    made more than WEBHOOK_TOLERANCE_SECONDS before or after ``now``; MalformedEvent
    when a validly signed body is not an event this app can read.
    """
    if not signature or not secret:
        raise BadSignature("no signature or no secret")
    signed_at = _signed_at(signature)
    if abs((time.time() if now is None else now) - signed_at) > WEBHOOK_TOLERANCE_SECONDS:
        # Stripe's library refuses only old timestamps; one from the future is as suspect
        raise BadSignature("timestamp outside the tolerance")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise BadSignature(str(error)) from error
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise MalformedEvent("not JSON") from error
    _check_event(event)
    return event


def _signed_at(signature: str) -> int:
    """The ``t=`` of a Stripe-Signature header. Raises BadSignature unless the header is
    comma-separated ``key=value`` items of plain ASCII with one whole-number timestamp."""
    if not _SIGNATURE_HEADER.fullmatch(signature):
        raise BadSignature("malformed signature header")
    stamps = [item[2:] for item in signature.split(",") if item.startswith("t=")]
    if len(stamps) != 1 or not stamps[0].isdigit() or len(stamps[0]) > 12:
        raise BadSignature("no single timestamp in seconds")
    return int(stamps[0])


def _check_event(event) -> None:
    """Raise MalformedEvent unless ``event`` has the shape marketplace.card reads:
    a Stripe id, a type, ``data.object`` a mapping, and, where present, the object's
    ids, status, amounts and last error of the types Stripe sends."""
    if not isinstance(event, dict):
        raise MalformedEvent("not an object")
    if not _is_stripe_id(event.get("id")):
        raise MalformedEvent("no event id")
    if not (isinstance(event.get("type"), str) and _EVENT_TYPE.fullmatch(event["type"])):
        raise MalformedEvent("no event type")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("no data.object")
    obj = data["object"]
    related = obj.get("payment_intent")
    if isinstance(related, dict):
        related = related.get("id")
    checks = (
        ("id", obj.get("id") is None or _is_stripe_id(obj.get("id"))),
        ("payment_intent", related is None or _is_stripe_id(related)),
        ("status", obj.get("status") is None or _is_short_text(obj.get("status"))),
        ("last_payment_error", _is_error(obj.get("last_payment_error"))),
        *((key, _is_amount(obj.get(key))) for key in _AMOUNTS),
    )
    wrong = [name for name, fine in checks if not fine]
    if wrong:
        raise MalformedEvent("unreadable " + ", ".join(wrong))


def _is_stripe_id(value) -> bool:
    return isinstance(value, str) and _STRIPE_ID.fullmatch(value) is not None


def _is_short_text(value) -> bool:
    return isinstance(value, str) and _SHORT_TEXT.fullmatch(value) is not None


def _is_amount(value) -> bool:
    """None, or a whole number of fen Stripe could send (never a bool, a float or text)."""
    return value is None or (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_EVENT_AMOUNT
    )


def _is_error(value) -> bool:
    return value is None or (
        isinstance(value, dict) and (value.get("code") is None or _is_short_text(value["code"]))
    )
