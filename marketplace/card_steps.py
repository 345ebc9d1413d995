"""Card steps finished outside the booking's lock and transaction.

A booking step (marketplace.transitions, disputes, the sweep, charge-due)
records on the CardPayment what Stripe call it owes (``pending_step``) and
commits. Then ``finish_step``:

1. reads the owed call and ends that read (no lock, no transaction is held
   while Stripe answers);
2. makes the call, with the idempotency key recorded with it;
3. records the answer in a new transaction (the card row locked, the owed
   call still the same) and clears ``pending_step``.

Right after a commit that recorded steps they are finished in a session of
their own (``connect_card_steps``); the worker's periodic job finishes any a
crash left between 1 and 3 (``finish_stale_steps``). Making a call twice is
safe: Stripe honours the key, and since localstripe does not, a retry first
asks Stripe whether the call already happened (a capture that succeeded, an
intent already cancelled, refunds already made).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from community.models import utcnow
from extensions import db
from marketplace import card
from marketplace import stripe_gateway as gateway
from marketplace.booking_models import Booking
from marketplace.card_models import CardPayment, CardStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OwedCall:
    """What a step recorded, read before the call (the row is not held meanwhile)."""

    card_payment_id: int
    booking_id: int
    step: str
    key: str
    fen: int | None
    payment_intent_id: str | None
    setup_intent_id: str | None
    customer_id: str | None
    payment_method_id: str | None
    amount_fen: int  # authorised (or to authorise) on the card
    recovering: bool  # finished by the worker after a crash: the call may have been made


def _owed(session: Session, card_payment_id: int, recovering: bool) -> OwedCall | None:
    row = session.get(CardPayment, card_payment_id, populate_existing=True)
    if row is None or row.pending_step is None:
        return None
    return OwedCall(
        card_payment_id=row.id,
        booking_id=row.booking_id,
        step=row.pending_step,
        key=row.pending_key or "",
        fen=row.pending_fen,
        payment_intent_id=row.payment_intent_id,
        setup_intent_id=row.setup_intent_id,
        customer_id=row.customer_id,
        payment_method_id=row.payment_method_id,
        amount_fen=row.amount_fen,
        recovering=recovering,
    )


def _call(owed: OwedCall) -> gateway.IntentState | None:
    """Make the owed Stripe call (or find it was made). Raises StripeRefused."""
    if owed.step == "cancel":
        try:
            return gateway.cancel(owed.payment_intent_id, idempotency_key=owed.key)
        except gateway.StripeRefused:
            # already cancelled in Stripe (a retry, or it lapsed): that is what we wanted
            if gateway.retrieve_payment_intent(owed.payment_intent_id).status != "canceled":
                raise
        return None
    if owed.step == "cancel_setup":
        try:
            gateway.cancel_setup_intent(owed.setup_intent_id)
        except gateway.StripeRefused as error:  # harmless: a SetupIntent holds no money
            logger.info("setup intent not cancelled: %s", error.detail)
        return None
    if owed.step == "capture":
        return _capture(owed.payment_intent_id, owed)
    if owed.step in ("authorise", "authorise_capture"):
        intent = gateway.create_payment_intent(
            amount_fen=owed.amount_fen,
            booking_id=owed.booking_id,
            customer_id=owed.customer_id,
            payment_method_id=owed.payment_method_id,
            idempotency_key=f"booking-{owed.booking_id}-authorise-{owed.payment_method_id}",
        )
        if owed.step == "authorise" or intent.status != "requires_capture":
            return intent
        return _capture(intent.id, owed)
    if owed.step == "refund":
        # a retry after a lost answer finds the refund made, and does not make another
        if not (owed.recovering and gateway.refund_made(owed.payment_intent_id, owed.key)):
            gateway.create_refund(
                owed.payment_intent_id, amount_fen=owed.fen, idempotency_key=owed.key
            )
        return None
    raise ValueError(f"unknown card step {owed.step!r}")


def _capture(payment_intent_id: str, owed: OwedCall) -> gateway.IntentState:
    try:
        return gateway.capture(payment_intent_id, amount_fen=owed.fen, idempotency_key=owed.key)
    except gateway.StripeRefused:
        # captured already (a retry after a lost answer): record it, never capture twice
        intent = gateway.retrieve_payment_intent(payment_intent_id)
        if intent.status != "succeeded":
            raise
        return intent


def _record(
    session: Session,
    owed: OwedCall,
    intent: gateway.IntentState | None,
    error: gateway.StripeRefused | None,
) -> str:
    """Write the call's answer in a new transaction; return "done", "failed" or "retry".

    Locks the booking, then its card row (the order every booking step takes them in).
    """
    session.scalar(select(Booking.id).where(Booking.id == owed.booking_id).with_for_update())
    row = session.scalar(
        select(CardPayment)
        .where(CardPayment.id == owed.card_payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or row.pending_step != owed.step or row.pending_key != owed.key:
        session.rollback()
        return "done"  # another worker recorded it meanwhile
    if error is not None and error.retryable:
        row.last_error = error.detail
        session.commit()
        return "retry"  # left owed: the worker tries again
    outcome = "done"
    if intent is not None and owed.step in ("authorise", "authorise_capture"):
        row.payment_intent_id = intent.id
    if error is not None:
        row.last_error = error.detail
        if owed.step in ("capture", "authorise_capture", "authorise"):
            row.status = CardStatus.FAILED
            row.captured_fen = 0
            outcome = "failed"
        elif owed.step == "refund":
            row.refunded_fen -= owed.fen or 0  # not given back after all
            outcome = "failed"
        logger.warning(
            "card step %s of booking %s refused: %s", owed.step, owed.booking_id, error.detail
        )
    elif owed.step == "authorise_capture" and intent.status != "succeeded":
        row.status = CardStatus.FAILED
        row.captured_fen = 0
        row.last_error = f"payment intent {intent.status}"
        outcome = "failed"
    elif owed.step == "authorise":
        if intent.status == "requires_capture":
            row.status = CardStatus.AUTHORISED
            row.last_error = ""
        else:
            row.status = CardStatus.FAILED
            row.last_error = f"payment intent {intent.status}"
            outcome = "failed"
    row.pending_step = row.pending_key = row.pending_fen = row.pending_since = None
    session.flush()
    if outcome == "failed" and owed.step == "authorise":
        _cancel_booking(session, owed.booking_id)
    session.commit()
    return outcome


def _cancel_booking(session: Session, booking_id: int) -> None:
    """A saved card refused off-session: the booking is cancelled, its people told."""
    if session is db.session:
        card.cancel_for_failed_card(db.session.get(Booking, booking_id))


def finish_step(
    card_payment_id: int, session: Session | None = None, *, recovering: bool = False
) -> str:
    """Make the Stripe call ``card_payment_id`` owes and record its answer.

    ``recovering``: the step was left by a crash, so the call may have been made
    already (it is looked for first where Stripe's idempotency cannot be relied on).
    Returns "none" (nothing owed), "done", "failed" (Stripe refused; recorded on the
    card) or "retry" (Stripe unreachable; still owed). Commits ``session`` (default
    db.session): call it outside any transaction that matters.
    """
    session = session or db.session
    owed = _owed(session, card_payment_id, recovering)
    session.commit()  # end the read: nothing is held while Stripe answers
    if owed is None:
        return "none"
    intent = error = None
    try:
        intent = _call(owed)
    except gateway.StripeRefused as refused:
        error = refused
    return _record(session, owed, intent, error)


def charge_saved_card(card_payment_id: int) -> str:
    """Hold a saved card's amount off-session; "authorised", "failed" or "skipped".

    Records the charge under the booking's lock and commits, calls Stripe, records the
    answer; a refused card cancels its booking. Commits db.session.
    """
    if not card.owe_saved_card_charge(card_payment_id):
        db.session.rollback()
        return "skipped"
    db.session.info.pop(card.STEPS_TO_FINISH, None)  # finished here, not after the commit
    db.session.commit()
    outcome = finish_step(card_payment_id)
    return {"done": "authorised", "failed": "failed"}.get(outcome, "skipped")


def finish_stale_steps(now=None) -> dict[str, int]:
    """Finish every step recorded more than CARD_STEP_STALE_MINUTES ago and not finished
    (a crash between the call and its record). Commits per card. Returns the outcomes."""
    now = now or utcnow()
    minutes = current_app.config["CARD_STEP_STALE_MINUTES"]
    ids = list(
        db.session.scalars(
            select(CardPayment.id)
            .where(
                CardPayment.pending_step.is_not(None),
                CardPayment.pending_since <= now - timedelta(minutes=minutes),
            )
            .order_by(CardPayment.pending_since)
        )
    )
    db.session.commit()
    counts: dict[str, int] = {}
    for card_payment_id in ids:
        outcome = finish_step(card_payment_id, recovering=True)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- right after the commit ----------------------------------------------------------


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the steps wait for the real commit
    ids = session.info.pop(card.STEPS_TO_FINISH, None)
    if not ids or not has_app_context():
        return
    for card_payment_id in dict.fromkeys(ids):
        try:
            with Session(db.engine) as own:
                finish_step(card_payment_id, own)
        except Exception:  # the step stays owed: the worker finishes it
            current_app.logger.exception("card step %s not finished", card_payment_id)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back: the transaction's earlier steps still stand
    session.info.pop(card.STEPS_TO_FINISH, None)


def connect_card_steps() -> None:
    """Finish recorded card steps after each commit, forget them on rollback (idempotent)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
