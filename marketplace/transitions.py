"""Every change of a booking after it was made, with the money and hours each one moves.

Each step locks the booking row, checks who acts and that the state machine
(marketplace.states) allows the step now, moves the money (card through
marketplace.card, hours through the time-bank ledger, the community subsidy
through marketplace.subsidies), writes a BookingEvent and flushes. They never
commit. ``by=None`` means the system (a sweep, a payment webhook).

Who may (marketplace.access):
- the provider's owner: accept, decline, deliver, mark a no-show, mark paid on
  site, cancel before the start (never a fee);
- the resident's side (the resident, family allowed to book, their
  coordinator or street admin): confirm, cancel (a fee after the free period),
  dispute; a coordinator's step for a resident is written to the audit log;
- a coordinator of the resident's community (or the street admin): decide a
  dispute (marketplace.disputes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User, utcnow
from errors import DomainError
from extensions import db
from marketplace import card, notices, signals, subsidies
from marketplace.access import (
    may_book_for,
    may_decide_dispute,
    residents_booked_for,
    runs_provider,
)
from marketplace.booking_models import Booking, BookingEvent, PaymentMethod
from marketplace.booking_models import BookingStatus as S
from marketplace.bookings import answer_deadline, record_acted_for
from marketplace.card import NOTE_CARD_FAILED, NOTE_CARD_LAPSED
from marketplace.errors import Conflict, InvalidInput, MarketplaceError, NotAllowed, NotFound
from marketplace.formatting import BOOKING_STATUS_LABELS
from marketplace.states import check_transition, may_move
from timebank.ledger import post_transfer, release_hold, settle_hold
from timebank.models import Hold, HoldStatus, TransferKind
from translated_labels import label

FREE_CANCEL_HOURS = 24
DISPUTE_DAYS = 14

# Notes the steps write into a booking's history: stable codes, shown translated
# through EVENT_NOTE_LABELS (a person's own words are kept as written).
NOTE_PAYMENT_AUTHORISED = "payment authorised"
NOTE_DELIVERED = "delivered"
NOTE_PAID_ON_SITE = "paid on site"
NOTE_NOT_PAID = "payment not received"
NOTE_NO_ANSWER = "no answer"
NOTE_AUTO_COMPLETED = "completed automatically"
NOTE_TAKEN_BACK = "taken back"
# a booking at a price and time the provider quoted itself (marketplace.quoted_bookings):
# made with this note, and accepted by the system once its payment is arranged
NOTE_QUOTED = "quoted by the provider"
EVENT_NOTE_LABELS = {
    NOTE_PAYMENT_AUTHORISED: _l("the payment is arranged"),
    NOTE_DELIVERED: _l("the provider marked the service done"),
    NOTE_PAID_ON_SITE: _l("paid on site"),
    NOTE_NOT_PAID: _l("the payment did not come in time"),
    NOTE_NO_ANSWER: _l("the provider did not answer in time"),
    NOTE_AUTO_COMPLETED: _l("completed automatically"),
    NOTE_TAKEN_BACK: _l("taken back just after booking, free of charge"),
    NOTE_QUOTED: _l("at the price and time the provider set"),
    NOTE_CARD_FAILED: _l("the card could not be charged"),
    NOTE_CARD_LAPSED: _l("the card payment was cancelled by the bank"),
}


def event_note(note: str) -> str:
    """A history note as the reader should see it: system codes translated, words as written."""
    label = EVENT_NOTE_LABELS.get(note)
    return str(label) if label is not None else note


def event_step(event: BookingEvent) -> str:
    """One line of a booking's history: the status it reached and its note, translated.
    A step within a status (marked done, paid on site) is said by its note alone."""
    note = event_note(event.note) if event.note else ""
    if event.from_status == event.to_status and note:
        return note
    status = label(BOOKING_STATUS_LABELS, event.to_status)
    return f"{status} · {note}" if note else status


# The actions a person can press, in the order buttons are shown.
ACTIONS = (
    "accept",
    "decline",
    "deliver",
    "confirm",
    "mark_paid",
    "no_show",
    "cancel",
    "dispute",
    "resolve",
)


# --- small pieces ------------------------------------------------------------------


def locked_booking(booking_id: int) -> Booking:
    """The booking, its row locked for this transaction and re-read. Raises NotFound."""
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if booking is None:
        raise NotFound(_l("This booking does not exist."))
    return booking


def _on_resident_side(by: User | None, booking: Booking) -> bool:
    return by is not None and may_book_for(by, booking.resident)


def _runs(by: User | None, booking: Booking) -> bool:
    return by is not None and runs_provider(by, booking.provider)


def _for_whom(by: User | None, booking: Booking) -> User | None:
    """The resident, when someone else on their side acts for them."""
    if by is not None and by.id != booking.resident_id and _on_resident_side(by, booking):
        return booking.resident
    return None


def record_step(
    booking: Booking,
    to_status: str,
    *,
    by: User | None,
    note: str = "",
    on_behalf_of: User | None = None,
) -> None:
    """Write the step into the booking's history, set its new status and tell who waits for it."""
    from_status = booking.status
    db.session.add(
        BookingEvent(
            booking_id=booking.id,
            from_status=from_status,
            to_status=to_status,
            actor_id=by.id if by else None,
            on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
            note=note[:500],
        )
    )
    booking.status = to_status
    db.session.flush()
    notices.booking_moved(booking, from_status, by)
    if to_status != from_status:
        signals.booking_moved.send(booking, from_status=from_status, by=by)


def hold_is_open(booking: Booking) -> bool:
    if booking.hold_id is None:
        return False
    status = db.session.scalar(select(Hold.status).where(Hold.id == booking.hold_id))
    return status == HoldStatus.OPEN


def _percent_of(amount: int, percent: int) -> int:
    """``amount × percent / 100`` rounded half up, in whole units (no floats)."""
    return (amount * percent + 50) // 100


def _too_late_for(booking: Booking, now: datetime) -> bool:
    return now >= booking.starts_at


def auto_complete_hours() -> int:
    return int(current_app.config["MARKETPLACE_AUTO_COMPLETE_HOURS"])


# --- money -------------------------------------------------------------------------


def release_money(booking: Booking, *, by: User | None) -> None:
    """Nothing is paid: let the card authorisation go, free the hours, return the subsidy."""
    card.release(booking)
    if hold_is_open(booking):
        release_hold(booking.hold_id, entered_by=by)
    subsidies.give_back(booking)


def _completion_money(
    booking: Booking, *, by: User | None, on_behalf_of: User | None, now: datetime
) -> None:
    """The service was given: take the card payment, pay the hours, spend the subsidy."""
    if booking.payable_fen > 0:
        card.capture(booking, booking.payable_fen)
    if hold_is_open(booking):
        booking.hours_transfer_id = settle_hold(
            booking.hold_id,
            to_account_id=booking.provider.account_id,
            kind=TransferKind.REDEMPTION,
            entered_by=by,
            on_behalf_of=on_behalf_of,
            memo=booking.title,
        )
    subsidies.mark_used(booking)
    booking.completed_at = now


def fee_for(booking: Booking) -> tuple[int, int]:
    """(fen, minutes) a late cancellation or a no-show of ``booking`` costs its resident.

    The item's fee percent of what the card pays (fen) or of the minutes held.
    Paying on site or by subsidy there is nothing to take, so no fee.
    """
    percent = booking.item.cancel_fee_percent
    fen = 0
    if booking.payment_method == PaymentMethod.CARD:
        fen = _percent_of(booking.payable_fen, percent)
    minutes = _percent_of(booking.total_minutes or 0, percent) if hold_is_open(booking) else 0
    return fen, minutes


def _fee_money(booking: Booking, *, by: User | None, on_behalf_of: User | None) -> None:
    """A late cancellation or a no-show: take the fee, free the rest, return the subsidy."""
    fee_fen, fee_minutes = fee_for(booking)
    if card.card_payment(booking) is not None:
        if fee_fen > 0:
            card.capture(booking, fee_fen)
            booking.cancel_fee_fen = fee_fen
        else:
            card.release(booking)
    if hold_is_open(booking):
        resident_account_id = db.session.scalar(
            select(Hold.account_id).where(Hold.id == booking.hold_id)
        )
        release_hold(booking.hold_id, entered_by=by)
        if fee_minutes > 0:
            booking.hours_transfer_id = post_transfer(
                from_account_id=resident_account_id,
                to_account_id=booking.provider.account_id,
                minutes=fee_minutes,
                kind=TransferKind.REDEMPTION,
                idempotency_key=f"booking:{booking.id}:fee",
                entered_by=by,
                on_behalf_of=on_behalf_of,
                memo=booking.title,
            )
    subsidies.give_back(booking)


# --- who may do what, and when -----------------------------------------------------


def _require(condition: bool, error: MarketplaceError) -> None:
    if not condition:
        raise error


def _not_now(message) -> Conflict:
    return Conflict(message)


def check_action(
    action: str,
    booking: Booking,
    by: User | None,
    now: datetime,
    *,
    resident_side: bool | None = None,
) -> None:
    """Raise NotAllowed (wrong person) or Conflict (not in this state or not now) for ``action``.

    The one place the rules for each button live; the steps and ``actions_for`` use it.
    ``resident_side`` (whether ``by`` may act for the booking's resident) saves asking
    again when the caller knows it.
    """
    status = booking.status
    if resident_side is None and action in ("confirm", "cancel", "dispute"):
        resident_side = _on_resident_side(by, booking)
    if action in ("accept", "decline"):
        _require(_runs(by, booking), NotAllowed(_l("Only the provider itself may do this.")))
        check_transition(status, S.ACCEPTED if action == "accept" else S.DECLINED)
        _require(
            booking.expires_at is None or now < booking.expires_at,
            _not_now(_l("This booking waited too long for an answer and has expired.")),
        )
    elif action == "deliver":
        _require(_runs(by, booking), NotAllowed(_l("Only the provider itself may do this.")))
        _require(
            status == S.ACCEPTED and booking.delivered_at is None,
            _not_now(_l("Only an accepted booking not yet marked done can be marked done.")),
        )
        _require(
            now >= booking.starts_at,
            _not_now(_l("A booking can be marked done only after it has started.")),
        )
    elif action == "confirm":
        _require(
            resident_side,
            NotAllowed(_l("Only the resident or their family may confirm the service.")),
        )
        _require(
            status == S.ACCEPTED and booking.delivered_at is not None,
            _not_now(_l("You can confirm once the provider has marked the service done.")),
        )
    elif action == "cancel":
        _require(
            resident_side or _runs(by, booking),
            NotAllowed(_l("You may not cancel this booking.")),
        )
        check_transition(status, S.CANCELLED)
        _require(status != S.DISPUTED, _not_now(_l("A booking in dispute cannot be cancelled.")))
        _require(
            not _too_late_for(booking, now),
            _not_now(_l("This booking has already started and can no longer be cancelled.")),
        )
    elif action == "no_show":
        _require(_runs(by, booking), NotAllowed(_l("Only the provider itself may do this.")))
        check_transition(status, S.NO_SHOW)
        _require(
            now >= booking.starts_at and booking.delivered_at is None,
            _not_now(_l("A missed booking can be reported only after its start time.")),
        )
    elif action == "mark_paid":
        _require(_runs(by, booking), NotAllowed(_l("Only the provider itself may do this.")))
        _require(
            booking.payment_method == PaymentMethod.ON_SITE and status in (S.ACCEPTED, S.COMPLETED),
            _not_now(_l("Only an accepted booking paid on site can be marked paid.")),
        )
        _require(
            booking.paid_on_site_at is None, _not_now(_l("This booking is already marked paid."))
        )
    elif action == "dispute":
        _require(
            resident_side,
            NotAllowed(_l("Only the resident or their family may dispute a booking.")),
        )
        check_transition(status, S.DISPUTED)
        if status == S.ACCEPTED:
            _require(
                booking.delivered_at is not None,
                _not_now(_l("You can dispute once the provider has marked the service done.")),
            )
        elif status == S.COMPLETED:
            _require(
                booking.completed_at is not None
                and now <= booking.completed_at + timedelta(days=DISPUTE_DAYS),
                _not_now(_l("A booking can be disputed up to 14 days after it completed.")),
            )
        elif status == S.NO_SHOW:
            _require(
                now <= booking.starts_at + timedelta(days=DISPUTE_DAYS),
                _not_now(_l("A missed booking can be disputed up to 14 days after its start.")),
            )
    elif action == "resolve":
        _require(
            by is not None and may_decide_dispute(by, booking),
            NotAllowed(
                _l(
                    "Only a coordinator of the resident's community who does not run "
                    "this provider may decide this dispute."
                )
            ),
        )
        _require(status == S.DISPUTED, _not_now(_l("This booking is not in dispute.")))
    else:
        raise NotFound(_l("There is no such action."))


def actions_for(booking: Booking, user: User | None, now: datetime | None = None) -> list[str]:
    """The actions (names as in ``ACTIONS``) ``user`` may take on ``booking`` now."""
    return actions_for_each([booking], user, now)[booking.id]


def actions_for_each(
    bookings: Sequence[Booking], user: User | None, now: datetime | None = None
) -> dict[int, list[str]]:
    """booking id → the actions ``user`` may take on it now, for a list of bookings.

    Whose side ``user`` is on is read once for them all (one family query), so a
    page of bookings asks the database the same number of times whatever its length.
    """
    if user is None or not getattr(user, "is_authenticated", True):
        return {booking.id: [] for booking in bookings}
    now = now or utcnow()
    on_side = residents_booked_for(user, {booking.resident for booking in bookings})
    actions = {}
    for booking in bookings:
        allowed = []
        for action in ACTIONS:
            try:
                check_action(
                    action, booking, user, now, resident_side=booking.resident_id in on_side
                )
            except MarketplaceError:
                continue
            allowed.append(action)
        actions[booking.id] = allowed
    return actions


def cancellation_fee(booking: Booking, by: User, now: datetime | None = None) -> tuple[int, int]:
    """(fen, minutes) cancelling ``booking`` by ``by`` at ``now`` would cost (0, 0 when free).

    Free for the provider, for a booking not yet accepted, and until 24 hours
    before the start; later, the item's fee percent.
    """
    now = now or utcnow()
    if booking.status != S.ACCEPTED or not _on_resident_side(by, booking):
        return 0, 0
    if now <= booking.starts_at - timedelta(hours=FREE_CANCEL_HOURS):
        return 0, 0
    return fee_for(booking)


# --- the steps ---------------------------------------------------------------------


def payment_authorised(booking: Booking, *, now: datetime | None = None) -> Booking:
    """The payment is arranged (card authorised): the provider now has to answer in time.

    pending_payment → requested, expiring after the provider's response hours.
    Raises TransitionNotAllowed if the booking moved on (e.g. expired) meanwhile.
    """
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_transition(booking.status, S.REQUESTED)
    booking.expires_at = answer_deadline(now, booking.starts_at, booking.provider.response_hours)
    record_step(booking, S.REQUESTED, by=None, note=NOTE_PAYMENT_AUTHORISED)
    if is_quoted(booking):
        accept_quoted(booking)
    return booking


def is_quoted(booking: Booking) -> bool:
    """True if ``booking`` was made at a price and time its provider quoted."""
    return bool(
        db.session.scalar(
            select(BookingEvent.id).where(
                BookingEvent.booking_id == booking.id,
                BookingEvent.from_status.is_(None),
                BookingEvent.note == NOTE_QUOTED,
            )
        )
    )


def accept_quoted(booking: Booking) -> None:
    """A quoted booking whose payment is arranged is accepted by the system: the
    provider set its price and time itself, so there is nothing left to answer."""
    if booking.status == S.REQUESTED:
        booking.expires_at = None
        record_step(booking, S.ACCEPTED, by=None, note=NOTE_QUOTED)


def payment_failed(booking: Booking, message: str, *, now: datetime | None = None) -> Booking:
    """The payment did not come through: pending_payment → expired, hours and subsidy given back.

    The card side records its own failure; nothing is released on the card here.
    Raises TransitionNotAllowed if the booking is no longer waiting for payment.
    """
    del now
    booking = locked_booking(booking.id)
    check_transition(booking.status, S.EXPIRED)
    if booking.status != S.PENDING_PAYMENT:
        raise Conflict(_l("This booking is not waiting for payment."))
    if hold_is_open(booking):
        release_hold(booking.hold_id, entered_by=None)
    subsidies.give_back(booking)
    record_step(booking, S.EXPIRED, by=None, note=message)
    return booking


def cancel_unpaid(booking: Booking, note: str) -> Booking:
    """The card cannot pay a requested or accepted booking: the system cancels it.

    Nothing was charged; the subsidy goes back. A booking that can no longer be
    cancelled is left as it is.
    """
    booking = locked_booking(booking.id)
    if may_move(booking.status, S.CANCELLED):
        subsidies.give_back(booking)
        record_step(booking, S.CANCELLED, by=None, note=note)
    return booking


def accept(booking: Booking, *, by: User, now: datetime | None = None) -> Booking:
    """The provider takes the booking: requested → accepted. Raises NotAllowed, Conflict."""
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_action("accept", booking, by, now)
    booking.expires_at = None
    record_step(booking, S.ACCEPTED, by=by)
    return booking


def decline(
    booking: Booking, *, by: User, reason: str = "", now: datetime | None = None
) -> Booking:
    """The provider says no: requested → declined; nothing is paid. Raises NotAllowed, Conflict."""
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_action("decline", booking, by, now)
    release_money(booking, by=by)
    record_step(booking, S.DECLINED, by=by, note=reason.strip())
    return booking


def deliver(booking: Booking, *, by: User, now: datetime | None = None) -> Booking:
    """The provider says the service is done (after its start); the resident confirms next.

    The status stays accepted. Raises NotAllowed, Conflict.
    """
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_action("deliver", booking, by, now)
    booking.delivered_at = now
    record_step(booking, S.ACCEPTED, by=by, note=NOTE_DELIVERED)
    notices.service_done(booking)
    return booking


def complete_booking(
    booking: Booking,
    *,
    by: User | None,
    now: datetime,
    note: str = "",
    on_behalf_of: User | None = None,
) -> Booking:
    check_transition(booking.status, S.COMPLETED)
    if booking.completed_at is None:
        _completion_money(booking, by=by, on_behalf_of=on_behalf_of, now=now)
    record_step(booking, S.COMPLETED, by=by, note=note, on_behalf_of=on_behalf_of)
    return booking


def confirm(booking: Booking, *, by: User, now: datetime | None = None) -> Booking:
    """The resident's side confirms the service: accepted (delivered) → completed, paid.

    Raises NotAllowed, Conflict.
    """
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_action("confirm", booking, by, now)
    complete_booking(booking, by=by, now=now, on_behalf_of=_for_whom(by, booking))
    record_acted_for(by, booking, "confirm")
    return booking


def cancel(booking: Booking, *, by: User, reason: str = "", now: datetime | None = None) -> Booking:
    """Cancel before the start: free until 24 h before (or by the provider), a fee after.

    The resident's late cancellation of an accepted booking costs the item's fee
    percent (card: that part is captured; hours: that part is paid to the
    provider); the subsidy always goes back. Raises NotAllowed, Conflict.
    """
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_action("cancel", booking, by, now)
    on_behalf_of = _for_whom(by, booking)
    fee_fen, fee_minutes = cancellation_fee(booking, by, now)
    if fee_fen or fee_minutes:
        _fee_money(booking, by=by, on_behalf_of=on_behalf_of)
    else:
        release_money(booking, by=by)
    record_step(booking, S.CANCELLED, by=by, note=reason.strip(), on_behalf_of=on_behalf_of)
    record_acted_for(by, booking, "cancel")
    return booking


def mark_no_show(
    booking: Booking, *, by: User, reason: str = "", now: datetime | None = None
) -> Booking:
    """The provider came and no one was there: accepted → no_show, the late-cancellation fee.

    Raises NotAllowed, Conflict.
    """
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_action("no_show", booking, by, now)
    _fee_money(booking, by=by, on_behalf_of=None)
    record_step(booking, S.NO_SHOW, by=by, note=reason.strip())
    return booking


def mark_paid_on_site(booking: Booking, *, by: User, now: datetime | None = None) -> Booking:
    """The provider got the money at the door (once). Raises NotAllowed, Conflict."""
    now = now or utcnow()
    booking = locked_booking(booking.id)
    check_action("mark_paid", booking, by, now)
    booking.paid_on_site_at = now
    booking.paid_on_site_by_id = by.id
    record_step(booking, booking.status, by=by, note=NOTE_PAID_ON_SITE)
    return booking


def dispute(booking: Booking, *, by: User, reason: str, now: datetime | None = None) -> Booking:
    """The resident's side says something went wrong; a coordinator decides.

    From accepted after delivery, completed within 14 days, or a no-show.
    Raises InvalidInput (no reason), NotAllowed, Conflict.
    """
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_l("Please say what went wrong."))
    booking = locked_booking(booking.id)
    check_action("dispute", booking, by, now)
    booking.dispute_reason = reason[:500]
    record_step(booking, S.DISPUTED, by=by, note=reason, on_behalf_of=_for_whom(by, booking))
    record_acted_for(by, booking, "dispute")
    return booking


# --- the sweep ---------------------------------------------------------------------


def _sweep(ids: list[int], step, each_done: Callable[[], None] | None) -> int:
    done = 0
    for booking_id in ids:
        try:
            with db.session.begin_nested():
                if step(locked_booking(booking_id)):
                    done += 1
        except DomainError as error:  # a refusal (card, ledger) skips this booking only
            current_app.logger.warning("booking %s not swept: %s", booking_id, error)
        if each_done is not None:
            each_done()  # the sweep commits per booking: one booking's lock at a time
    return done


def expire_due(now: datetime | None = None, *, each_done: Callable[[], None] | None = None) -> int:
    """Let go of bookings whose payment or answer did not come in time; return how many.

    ``each_done`` is called after each booking (the sweep passes its commit)."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Booking.id)
            .where(Booking.status.in_((S.PENDING_PAYMENT, S.REQUESTED)), Booking.expires_at <= now)
            .order_by(Booking.id)  # oldest first, and the same order on every database
        )
    )

    def expire(booking: Booking) -> bool:
        if booking.status not in (S.PENDING_PAYMENT, S.REQUESTED) or booking.expires_at is None:
            return False
        if booking.expires_at > now or not may_move(booking.status, S.EXPIRED):
            return False
        release_money(booking, by=None)
        note = NOTE_NOT_PAID if booking.status == S.PENDING_PAYMENT else NOTE_NO_ANSWER
        record_step(booking, S.EXPIRED, by=None, note=note)
        return True

    return _sweep(ids, expire, each_done)


def complete_due(
    now: datetime | None = None, *, each_done: Callable[[], None] | None = None
) -> int:
    """Complete bookings marked done more than MARKETPLACE_AUTO_COMPLETE_HOURS ago; return how many.

    ``each_done`` is called after each booking (the sweep passes its commit)."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=auto_complete_hours())
    ids = list(
        db.session.scalars(
            select(Booking.id)
            .where(Booking.status == S.ACCEPTED, Booking.delivered_at <= cutoff)
            .order_by(Booking.id)
        )
    )

    def complete(booking: Booking) -> bool:
        if booking.status != S.ACCEPTED or booking.delivered_at is None:
            return False
        if booking.delivered_at > cutoff:
            return False
        complete_booking(booking, by=None, now=now, note=NOTE_AUTO_COMPLETED)
        return True

    return _sweep(ids, complete, each_done)
