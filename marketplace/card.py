"""The card side of a booking's life (Stripe through marketplace.stripe_gateway).

How a card booking is paid: the pay page collects the card with a SetupIntent
(Stripe.js ``confirmCardSetup``: the one card flow both Stripe and localstripe's
fake Stripe.js support). Back on our side, ``card_authorised`` reads the
SetupIntent from Stripe and then either
- holds the payable amount on the card at once (a PaymentIntent with manual
  capture, confirmed off-session with the saved card), or
- for a booking more than 6 days ahead, keeps the card saved and holds the
  amount about 2 days before the start (``charge_due``),
and the booking becomes requested.

The booking services call these three at each transition; each does nothing
for a booking that is not paid by card:

- ``release(booking)``: let the authorisation go (PaymentIntent cancel), or
  forget a saved card; nothing is charged. Decline, expiry, free cancellation.
- ``capture(booking, amount_fen)``: take ``amount_fen`` (≤ the authorised
  amount): the full payable on completion, the fee on a late cancellation
  (0 → same as release). A saved card (off-session) is authorised first.
- ``refund(booking, amount_fen)``: give back part or all of what was captured.

None of the three calls Stripe inside the booking's lock: each records on the
booking's CardPayment what it decided and the Stripe call it owes, and
marketplace.card_steps makes that call after the step's transaction commits,
recording the result in a new transaction (the worker finishes any step a
crash left behind). The rows guard against a second charge or refund
(localstripe ignores idempotency keys).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.models import User, utcnow
from extensions import db
from marketplace import notices
from marketplace import stripe_gateway as gateway
from marketplace.access import may_book_for
from marketplace.booking_models import Booking, PaymentMethod
from marketplace.booking_models import BookingStatus as S
from marketplace.card_models import CardPayment, CardStatus, StripeEvent
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.states import may_move

logger = logging.getLogger(__name__)

# A booking further ahead than this keeps the card saved until CHARGE_BEFORE the start
# (a card authorisation lapses after about 7 days).
SAVE_CARD_AHEAD = timedelta(days=6)
CHARGE_BEFORE = timedelta(days=2)
# The card flow Stripe.js runs on the pay page, for both kinds of booking.
OPEN_SETUP = ("requires_payment_method", "requires_confirmation", "requires_action")


# history notes the system writes when a card cannot pay (shown translated: transitions)
NOTE_CARD_FAILED = "card payment failed"
NOTE_CARD_LAPSED = "card authorisation cancelled"


def card_payments_enabled() -> bool:
    """True when Stripe keys are configured; without them card payment is not offered."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def card_payment(booking: Booking) -> CardPayment | None:
    """The booking's CardPayment row, if it is paid by card."""
    return db.session.scalar(select(CardPayment).where(CardPayment.booking_id == booking.id))


def _fresh_card_payment(booking: Booking) -> CardPayment | None:
    """The CardPayment re-read from the database (after the booking's row was locked)."""
    return db.session.scalar(
        select(CardPayment)
        .where(CardPayment.booking_id == booking.id)
        .execution_options(populate_existing=True)
    )


def _locked(booking: Booking | int) -> Booking:
    """The booking (or booking id), its row locked for this transaction and re-read."""
    from marketplace.transitions import locked_booking  # transitions imports this module

    return locked_booking(booking if isinstance(booking, int) else booking.id)


# --- paying on the pay page --------------------------------------------------------------


@dataclass(frozen=True)
class CardEntry:
    """What the pay page needs: the SetupIntent's client secret, or that the card is in."""

    booking: Booking
    card: CardPayment
    client_secret: str
    card_is_in: bool  # the SetupIntent already succeeded: go straight to card_authorised


def may_pay(actor: User, booking: Booking) -> bool:
    """The resident's side: the resident, family with may_book, their coordinator
    (whoever booked it, while they still reach the resident)."""
    return may_book_for(actor, booking.resident)


def card_booking_for(actor: User, booking_id: int) -> Booking:
    """A card booking ``actor`` may pay. Raises NotFound (also when they may not see it)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may_pay(actor, booking):
        raise NotFound(_l("This booking does not exist."))
    if booking.payment_method != PaymentMethod.CARD:
        raise NotFound(_l("This booking is not paid by card."))
    return booking


def _check_waiting(booking: Booking, now: datetime) -> None:
    if booking.status != S.PENDING_PAYMENT:
        raise Conflict(_l("This booking is not waiting for payment."))
    if booking.expires_at is not None and booking.expires_at <= now:
        raise Conflict(
            _l("This booking waited too long for payment. Nothing was charged. Please book again.")
        )


PAID = (CardStatus.SAVED, CardStatus.AUTHORISED, CardStatus.CAPTURED)
# card_authorised's answer when the booking was let go while Stripe answered
LAPSED = "lapsed"


def _end_read() -> None:
    """End this transaction before calling Stripe, so that no lock is held while it
    answers (on SQLite the whole database's). Everything done so far in it only read:
    the checks are made again under the booking's lock once Stripe has answered."""
    db.session.commit()


def start_card_payment(booking: Booking, *, by: User, now: datetime | None = None) -> CardEntry:
    """Open (or reopen) the card entry for a pending_payment card booking.

    Creates the Stripe Customer and SetupIntent and the booking's one
    CardPayment; a second call reuses them while the card is not in yet, and
    starts a new SetupIntent after a declined card. Stripe is called between two
    transactions, never under the booking's lock (the first only reads; the second
    locks the booking, checks again and records).
    Raises NotAllowed, Conflict (card payment not offered, not waiting for
    payment, already paid, the page opened twice at once), PaymentFailed (Stripe
    unreachable).
    """
    now = now or utcnow()
    if not card_payments_enabled():
        raise Conflict(_l("Card payment is not offered here. Please choose another way to pay."))
    if not may_pay(by, booking):
        raise NotAllowed(_l("Only the resident or family who may book for them can pay."))
    if booking.payment_method != PaymentMethod.CARD or booking.payable_fen <= 0:
        raise Conflict(_l("This booking is not paid by card."))
    _check_waiting(booking, now)
    card = card_payment(booking)
    if card is not None and card.status in PAID:
        raise Conflict(_l("This booking is already paid."))
    booking_id, payer_name, payer_id = booking.id, by.display_name, by.id
    previous = card.setup_intent_id if card is not None else None
    reusable = previous if card is not None and card.status == CardStatus.STARTED else None
    customer_id = card.customer_id if card is not None else None
    _end_read()

    setup = gateway.retrieve_setup_intent(reusable) if reusable else None
    if setup is not None and (setup.status in OPEN_SETUP or setup.status == "succeeded"):
        booking = db.session.get(Booking, booking_id)
        return CardEntry(
            booking, card_payment(booking), setup.client_secret, setup.status == "succeeded"
        )
    customer_id = customer_id or gateway.create_customer(name=payer_name, member_id=payer_id)
    setup = gateway.create_setup_intent(
        customer_id=customer_id, booking_id=booking_id, attempt=previous or "first"
    )

    booking = _locked(booking_id)
    _check_waiting(booking, utcnow())
    card = _fresh_card_payment(booking)
    if (card.setup_intent_id if card is not None else None) != previous:
        # another tab recorded its own card entry while Stripe answered this one
        raise Conflict(_l("The payment page was opened twice. Please reload it."))
    if card is None:
        card = CardPayment(booking_id=booking.id, amount_fen=booking.payable_fen)
        db.session.add(card)
    card.customer_id = customer_id
    card.setup_intent_id = setup.id
    card.payment_intent_id = None
    card.payment_method_id = None
    card.status = CardStatus.STARTED
    card.amount_fen = booking.payable_fen
    card.last_error = ""
    far = booking.starts_at - now > SAVE_CARD_AHEAD
    card.charge_due_at = booking.starts_at - CHARGE_BEFORE if far else None
    try:
        db.session.flush()
    except IntegrityError as error:  # a second tab created it meanwhile
        raise Conflict(_l("The payment page was opened twice. Please reload it.")) from error
    return CardEntry(booking, card, setup.client_secret, False)


def card_authorised(booking: Booking, *, now: datetime | None = None) -> str:
    """After the pay page (or a setup_intent.succeeded event): take over the entered card.

    Reads the SetupIntent from Stripe (never the browser's word). If it
    succeeded: a booking soon gets the amount held now (PaymentIntent,
    requires_capture); one more than 6 days ahead keeps the card saved. Either
    way the booking becomes requested. Stripe is called between two transactions,
    never under the booking's lock; the answer is recorded under it.
    Returns the CardPayment's status, "waiting" when the card is not in yet, or
    LAPSED when the booking was let go meanwhile (an amount just held is then
    given back by the card step this records; the caller commits).
    Raises PaymentFailed after recording a declined card on the CardPayment (the
    caller may commit that record; the booking stays pending_payment), NotFound.
    """
    from marketplace import transitions

    now = now or utcnow()
    card = card_payment(booking)
    if card is None:
        raise NotFound(_l("No card payment was started for this booking."))
    if card.status in PAID:
        return card.status
    if card.status != CardStatus.STARTED or not card.setup_intent_id:
        return "waiting"
    booking_id, setup_id = booking.id, card.setup_intent_id
    hold_now = card.charge_due_at is None or card.charge_due_at <= now
    amount_fen, customer_id = card.amount_fen, card.customer_id
    _end_read()

    setup = gateway.retrieve_setup_intent(setup_id)
    if setup.status != "succeeded":
        return "waiting"
    intent, refused = None, None
    if hold_now:
        try:
            intent = gateway.create_payment_intent(
                amount_fen=amount_fen,
                booking_id=booking_id,
                customer_id=customer_id,
                payment_method_id=setup.payment_method_id,
                # the same card for the same booking is authorised once; a new card tries anew
                idempotency_key=f"booking-{booking_id}-authorise-{setup.payment_method_id}",
            )
        except gateway.StripeRefused as error:
            refused = error

    booking = _locked(booking_id)
    card = _fresh_card_payment(booking)
    if card.status in PAID:  # the webhook recorded it meanwhile (the same key: one hold)
        return card.status
    if card.status != CardStatus.STARTED or card.setup_intent_id != setup_id:
        if intent is not None and intent.status == "requires_capture":
            # let go (or entered anew) while Stripe answered: nothing will capture this
            # hold, which Stripe lets lapse after 7 days; staff see it in the log
            logger.warning("booking %s: hold %s left to lapse", booking_id, intent.id)
        return "waiting"  # a newer card entry took over; it has its own page
    card.payment_method_id = setup.payment_method_id
    if booking.status != S.PENDING_PAYMENT:
        # the slot was let go while Stripe answered: give back what was just held
        if intent is not None and intent.status == "requires_capture":
            card.payment_intent_id = intent.id
            card.status = CardStatus.AUTHORISED
            release(booking)
        card.status = CardStatus.CANCELLED
        db.session.flush()
        return LAPSED
    if not hold_now:
        card.status = CardStatus.SAVED
    elif refused is not None:
        _failed(card, refused.detail)
        raise refused
    elif not record_authorised(card, intent):
        message = gateway.NEEDS_BANK if intent.status == "requires_action" else gateway.DECLINED
        raise gateway.StripeRefused(message, card.last_error)
    db.session.flush()
    transitions.payment_authorised(booking, now=now)
    return card.status


def _failed(card: CardPayment, detail: str) -> None:
    card.status = CardStatus.FAILED
    card.last_error = detail[:300]
    db.session.flush()


# --- the contract the booking services call -----------------------------------------------
#
# None of these calls Stripe: each records the decision on the CardPayment (its status and
# amounts as they will be) and the Stripe call it owes (``pending_step``), inside the
# step's transaction, under the booking's lock. marketplace.card_steps makes the call
# after that transaction commits, and records its result in a new one.

STEP_IN_PROGRESS = _l(
    "The last card payment step for this booking is still being finished. "
    "Please try again in a minute."
)


def _owe(card: CardPayment, step: str, *, key: str, fen: int | None = None) -> None:
    """Record that ``step`` is to be sent to Stripe once this transaction commits."""
    if card.pending_step is not None:
        raise Conflict(STEP_IN_PROGRESS)
    card.pending_step = step
    card.pending_fen = fen
    card.pending_key = key
    card.pending_since = utcnow()
    db.session.flush()
    remember_step(card.id)


def remember_step(card_payment_id: int) -> None:
    """Finish this card's recorded step right after the session's transaction commits."""
    db.session.info.setdefault(STEPS_TO_FINISH, []).append(card_payment_id)


STEPS_TO_FINISH = "linli_card_steps_to_finish"


def release(booking: Booking) -> None:
    """Let the authorisation go, or forget the saved card; nothing is charged.

    Raises Conflict if the payment was already taken (refund it instead) or a step is
    still being finished.
    """
    card = card_payment(booking)
    if card is None or card.status in (CardStatus.CANCELLED, CardStatus.FAILED):
        return
    if card.status == CardStatus.CAPTURED:
        raise Conflict(_l("This card payment was already taken; it can only be refunded."))
    if card.status == CardStatus.AUTHORISED:
        _owe(card, "cancel", key=f"booking-{booking.id}-cancel")
    elif card.status == CardStatus.STARTED and card.setup_intent_id:
        _owe(card, "cancel_setup", key=f"booking-{booking.id}-cancel-setup")
    card.status = CardStatus.CANCELLED
    db.session.flush()


def capture(booking: Booking, amount_fen: int) -> None:
    """Take ``amount_fen`` (≤ the authorised amount); 0 is a release.

    A saved card is authorised first. A payment already captured is never
    captured again. Raises InvalidInput, Conflict.
    """
    card = card_payment(booking)
    if card is None or card.status == CardStatus.CAPTURED:
        return
    if amount_fen <= 0:
        release(booking)
        return
    if amount_fen > card.amount_fen:
        raise InvalidInput(_l("Cannot take more than was authorised on the card."))
    if card.status == CardStatus.SAVED:
        step = "authorise_capture"
    elif card.status == CardStatus.AUTHORISED:
        step = "capture"
    else:
        raise Conflict(_l("There is no card payment to take for this booking."))
    _owe(card, step, key=f"booking-{booking.id}-capture", fen=amount_fen)
    card.status = CardStatus.CAPTURED
    card.captured_fen = amount_fen
    db.session.flush()


def refund(booking: Booking, amount_fen: int) -> None:
    """Give back ``amount_fen`` more of what was captured (at most what is left).

    Raises InvalidInput, Conflict (nothing captured, or a step still being finished).
    """
    card = card_payment(booking)
    if card is None:
        return
    if card.status != CardStatus.CAPTURED:
        raise Conflict(_l("Nothing was taken from the card, so there is nothing to refund."))
    if amount_fen <= 0 or card.refunded_fen + amount_fen > card.captured_fen:
        raise InvalidInput(_l("A refund must be more than ¥0 and at most what was paid."))
    # derived from what was refunded before: a retry reuses it, a further refund does not
    key = f"booking-{booking.id}-refund-{card.refunded_fen}-{amount_fen}"
    _owe(card, "refund", key=key, fen=amount_fen)
    card.refunded_fen += amount_fen
    db.session.flush()


# --- saved cards: the charge about 2 days before ------------------------------------------


def charge_due(now: datetime | None = None) -> list[int]:
    """Ids of the CardPayments whose saved card is to be authorised now."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(CardPayment.id)
            .join(Booking, Booking.id == CardPayment.booking_id)
            .where(
                CardPayment.status == CardStatus.SAVED,
                CardPayment.pending_step.is_(None),
                CardPayment.charge_due_at <= now,
                Booking.status.in_((S.REQUESTED, S.ACCEPTED)),
            )
            .order_by(CardPayment.charge_due_at)
        )
    )


def owe_saved_card_charge(card_payment_id: int) -> bool:
    """Record that a saved card's amount is to be held now (off-session); False if it
    no longer is (already charged, or the booking moved on). The call is made after
    commit (marketplace.card_steps.charge_saved_card)."""
    card = db.session.get(CardPayment, card_payment_id)
    if card is None:
        return False
    booking = _locked(card.booking)
    card = _fresh_card_payment(booking)
    if (
        card.status != CardStatus.SAVED
        or card.pending_step is not None
        or booking.status not in (S.REQUESTED, S.ACCEPTED)
    ):
        return False
    key = f"booking-{booking.id}-authorise-{card.payment_method_id}"
    _owe(card, "authorise", key=key, fen=card.amount_fen)
    return True


def record_authorised(card: CardPayment, intent: gateway.IntentState) -> bool:
    """Record an off-session authorisation's answer; False (and the card failed) unless
    the amount is now held."""
    card.payment_intent_id = intent.id
    if intent.status != "requires_capture":
        _failed(card, f"payment intent {intent.status}")
        return False
    card.status = CardStatus.AUTHORISED
    card.last_error = ""
    db.session.flush()
    return True


def cancel_for_failed_card(booking: Booking) -> None:
    """The saved card was refused: the booking is cancelled (nothing was charged)."""
    _cancel_unpaid(_locked(booking), NOTE_CARD_FAILED)


def _cancel_unpaid(booking: Booking, note: str) -> None:
    """The card cannot pay: the booking is cancelled by the system and its people are told."""
    from marketplace import transitions

    before = booking.status
    booking = transitions.cancel_unpaid(booking, note)
    if booking.status != before:
        notices.card_failed(booking)


# --- Stripe's webhook ---------------------------------------------------------------------


def record_event(event: dict, *, now: datetime | None = None) -> str:
    """Apply a verified Stripe event once; returns its outcome.

    "duplicate" (seen before: nothing done), "applied", "ignored" (a step the
    booking or its payment no longer allows: late or out of order), "unknown"
    (an event or object we do not follow).
    """
    event_id, kind = event.get("id"), event.get("type", "")
    if not event_id:
        return "unknown"
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    obj = (event.get("data") or {}).get("object") or {}
    entered = None
    if kind == "setup_intent.succeeded":
        # asks Stripe, so before anything is written or locked here (card_authorised)
        entered = _card_entered(obj, now or utcnow())
    row = StripeEvent(id=event_id, type=kind[:80], outcome="received")
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same event delivered twice at once
        return "duplicate"
    card = None if entered else _card_for_object(kind, obj)
    if entered:
        row.outcome, row.booking_id = entered
    elif card is None:
        row.outcome = "unknown"
    else:
        row.booking_id = card.booking_id
        booking = _locked(card.booking)
        card = _fresh_card_payment(booking)
        row.outcome = _apply(kind, obj, card, booking, now or utcnow())
    db.session.flush()
    return row.outcome


def _card_entered(obj: dict, now: datetime) -> tuple[str, int | None]:
    """setup_intent.succeeded: the card was entered (the payer may never have come back
    to the pay page), so take it over as the pay page would. (outcome, booking id)."""
    card = _card_for_object("setup_intent.succeeded", obj)
    if card is None:
        return "unknown", None
    booking = card.booking
    if card.status != CardStatus.STARTED or booking.status != S.PENDING_PAYMENT:
        return "ignored", booking.id
    booking_id = booking.id
    try:
        outcome = card_authorised(booking, now=now)
    except gateway.StripeRefused:
        return "applied", booking_id  # the declined card is recorded on the CardPayment
    except Conflict:
        return "ignored", booking_id
    return ("ignored" if outcome in ("waiting", LAPSED) else "applied"), booking_id


def _card_for_object(kind: str, obj: dict) -> CardPayment | None:
    """The CardPayment an event is about, found by the Stripe object's id (not its metadata)."""
    if kind.startswith("payment_intent."):
        column, value = CardPayment.payment_intent_id, obj.get("id")
    elif kind.startswith("setup_intent."):
        column, value = CardPayment.setup_intent_id, obj.get("id")
    elif kind.startswith("charge."):
        column, value = CardPayment.payment_intent_id, gateway_id(obj.get("payment_intent"))
    else:
        return None
    if not value:
        return None
    return db.session.scalar(select(CardPayment).where(column == value))


def gateway_id(value) -> str | None:
    """An id from a field Stripe sends as an id or as an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _apply(kind: str, obj: dict, card: CardPayment, booking: Booking, now: datetime) -> str:
    if kind == "payment_intent.amount_capturable_updated":
        # we record the authorisation when we make it; this only fills a gap
        if card.status != CardStatus.SAVED or obj.get("status") != "requires_capture":
            return "ignored"
        card.status = CardStatus.AUTHORISED
        return "applied"
    if kind == "payment_intent.succeeded":
        if card.status != CardStatus.AUTHORISED:
            return "ignored"
        received = obj.get("amount_received") or obj.get("amount") or 0
        if not 0 < received <= card.amount_fen:
            return "ignored"
        card.status, card.captured_fen = CardStatus.CAPTURED, received
        return "applied"
    if kind == "payment_intent.payment_failed":
        if card.status not in (CardStatus.STARTED, CardStatus.SAVED):
            return "ignored"
        error = obj.get("last_payment_error") or {}
        _failed(card, f"webhook: {error.get('code') or 'payment failed'}")
        if booking.status in (S.REQUESTED, S.ACCEPTED):
            _cancel_unpaid(booking, NOTE_CARD_FAILED)
        return "applied"
    if kind == "payment_intent.canceled":
        # an authorisation that lapsed or was cancelled in Stripe: it cannot be taken any more
        if card.status != CardStatus.AUTHORISED or not may_move(booking.status, S.CANCELLED):
            return "ignored"
        card.status = CardStatus.CANCELLED
        _cancel_unpaid(booking, NOTE_CARD_LAPSED)
        return "applied"
    if kind == "charge.refunded":
        refunded = obj.get("amount_refunded") or 0
        if card.status != CardStatus.CAPTURED or not (
            card.refunded_fen < refunded <= card.captured_fen
        ):
            return "ignored"
        card.refunded_fen = refunded
        return "applied"
    return "unknown"
