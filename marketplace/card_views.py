"""Paying by card through Stripe.js, and Stripe's webhook."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from errors import DomainError
from extensions import csrf, db
from input_guard import raw_body
from marketplace import card
from marketplace import stripe_gateway as gateway
from marketplace.booking_models import BookingStatus
from marketplace.errors import PaymentFailed
from storage import writes_on_get
from views_common import commit, new_idempotency_key, refuse

bp = Blueprint("card", __name__, url_prefix="/pay")


def _me():
    return current_user._get_current_object()


def _url(endpoint: str, **values) -> str | None:
    """The address of another blueprint's page, or None while it does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _page(template: str, booking, status: int = 200, **context):
    """A card page with the links every one of them offers: back, and cancel instead."""
    return render_template(
        template,
        booking=booking,
        booking_url=_url("bookings.show", booking_id=booking.id),
        cancel_url=_url("bookings.act", booking_id=booking.id, action="cancel"),
        idempotency_key=new_idempotency_key(),
        **context,
    ), status


@bp.get("/<int:booking_id>")
@writes_on_get
@login_required
def pay(booking_id: int):
    """The card entry page for a pending_payment card booking (the resident's side only)."""
    booking = card.card_booking_for(_me(), booking_id)
    if booking.status != BookingStatus.PENDING_PAYMENT:
        flash(_("This booking is not waiting for payment."), "info")
        return redirect(_url("bookings.show", booking_id=booking.id) or url_for("timebank.home"))
    try:
        entry = card.start_card_payment(booking, by=_me())
    except DomainError as error:
        status = refuse(error)
        return _page("marketplace/card/unavailable.html", booking, status)
    commit()
    if entry.card_is_in:
        return redirect(url_for("card.done", booking_id=booking.id))
    config = current_app.config
    return _page(
        "marketplace/card/pay.html",
        booking,
        client_secret=entry.client_secret,
        saves_card=entry.card.charge_due_at is not None,
        charge_due_at=entry.card.charge_due_at,
        publishable_key=config.get("STRIPE_PUBLISHABLE_KEY") or "",
        stripe_js_url=config["STRIPE_JS_URL"],
        test_mode=config.get("STRIPE_TEST_MODE"),
    )


@bp.get("/<int:booking_id>/done")
@writes_on_get
@login_required
def done(booking_id: int):
    """Where the pay page goes after Stripe.js: ask Stripe itself whether the card is in."""
    booking = card.card_booking_for(_me(), booking_id)
    try:
        outcome = card.card_authorised(booking)
    except PaymentFailed as error:
        # keep the record of the declined card; the booking still waits for payment
        commit()
        return _page(
            "marketplace/card/failed.html", booking, error.http_status, message=error.message
        )
    except DomainError as error:
        status = refuse(error)
        return _page("marketplace/card/unavailable.html", booking, status)
    commit()
    if outcome == card.LAPSED:
        flash(
            _("This booking waited too long for payment. Nothing was charged. Please book again."),
            "error",
        )
        return redirect(_url("bookings.show", booking_id=booking.id) or url_for("timebank.home"))
    if outcome == "waiting":
        flash(_("The card is not in yet. Please enter it and press the pay button."), "error")
        return redirect(url_for("card.pay", booking_id=booking.id))
    if outcome == card.CardStatus.SAVED:
        flash(
            _(
                "Your card is saved. Two days before the service the amount is held on it; it is only taken when the service is done."
            ),
            "success",
        )
    else:
        flash(_("Paid by card. The amount is held and only taken when the service is done."))
    return redirect(_url("bookings.show", booking_id=booking.id) or url_for("timebank.home"))


@bp.post("/stripe/webhook")
@csrf.exempt
@raw_body(gateway.WEBHOOK_MAX_BYTES)  # larger: 413 before the body is read
def webhook():
    """Stripe's events: verified on the raw body, each applied once, in any order."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or ""
    try:
        event = gateway.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature"), secret
        )
    except gateway.BadSignature:
        return {"error": "bad signature"}, 400
    except gateway.MalformedEvent:
        return {"error": "malformed event"}, 400
    try:
        outcome = card.record_event(event)
    except DomainError as error:
        # e.g. Stripe unreachable while applying: let Stripe deliver it again later
        db.session.rollback()
        current_app.logger.warning("stripe event %s not applied: %s", event.get("id"), error)
        return {"error": "not applied"}, 503
    commit()
    return {"outcome": outcome}, 200
