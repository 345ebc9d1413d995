"""What people do to a booking once it exists (accept, cancel, dispute, …) and the dispute desk.

Routes live on the bookings blueprint (marketplace.booking_views). Each
button posts to ``bookings.act``; the steps that need a word or cost money
(decline, cancel, no-show, dispute) first show a page that says plainly what
will happen. Coordinators decide disputes at ``bookings.disputes``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from community.models import User, utcnow
from errors import DomainError
from form_limits import yuan_field
from marketplace import bookings, transitions
from marketplace import disputes as booking_disputes
from marketplace import take_back as booking_take_back
from marketplace.booking_models import Booking, BookingEvent
from marketplace.booking_views import bp, render_booking
from marketplace.bookings import booking_for
from marketplace.errors import InvalidInput
from views_common import commit, refuse

# The steps a button posts, with the service each calls.
STEPS = {
    "accept": lambda b, me, reason: transitions.accept(b, by=me),
    "decline": lambda b, me, reason: transitions.decline(b, by=me, reason=reason),
    "deliver": lambda b, me, reason: transitions.deliver(b, by=me),
    "confirm": lambda b, me, reason: transitions.confirm(b, by=me),
    "cancel": lambda b, me, reason: transitions.cancel(b, by=me, reason=reason),
    "no_show": lambda b, me, reason: transitions.mark_no_show(b, by=me, reason=reason),
    "mark_paid": lambda b, me, reason: transitions.mark_paid_on_site(b, by=me),
    "dispute": lambda b, me, reason: transitions.dispute(b, by=me, reason=reason),
}

DONE_MESSAGES = {
    "accept": _l("You accepted the booking. The resident can see it now."),
    "decline": _l("You declined the booking. Nothing is charged."),
    "deliver": _l("Marked as done. The resident is asked to confirm."),
    "confirm": _l("Thank you. The service is confirmed and paid."),
    "cancel": _l("The booking is cancelled."),
    "no_show": _l("Recorded that no one was there."),
    "mark_paid": _l("Marked as paid on site."),
    "dispute": _l("Your problem is reported. A coordinator will look at it and contact you."),
}

STEP_TITLES = {
    "accept": _l("Accept this booking?"),
    "decline": _l("Decline this booking?"),
    "deliver": _l("Is the service done?"),
    "confirm": _l("Was the service done?"),
    "cancel": _l("Cancel this booking?"),
    "no_show": _l("Report that no one was there?"),
    "mark_paid": _l("Mark as paid on site?"),
    "dispute": _l("Report a problem with this booking"),
}


class StepForm(FlaskForm):
    """One step on a booking; a reason where the step asks for one."""

    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=500)])
    idempotency_key = HiddenField()


class DisputeForm(StepForm):
    reason = TextAreaField(
        _l("What went wrong?"),
        validators=[DataRequired(_l("Please say what went wrong.")), Length(max=500)],
    )


class ResolveForm(FlaskForm):
    outcome = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("uphold", _l("The service stands: the provider is paid")),
            SelectChoice("refund", _l("Give money back to the resident")),
        ],
        validators=[InputRequired(_l("Choose a decision."))],
    )
    refund_yuan = yuan_field(
        _l("Amount to give back, in yuan (only for giving money back)"),
        minimum="0.01",
        maximum="1000000",
        validators=[Optional()],
    )
    note = TextAreaField(
        _l("Why (kept in the booking's history)"),
        validators=[
            DataRequired(_l("Please write down why you decided this way.")),
            Length(max=500),
        ],
    )

    def refund_fen(self) -> int:
        """The amount in fen; raises InvalidInput for a fraction of a fen or a missing amount."""
        if self.outcome.data != "refund":
            return 0
        if self.refund_yuan.data is None:
            raise InvalidInput(_l("Enter the amount to give back."))
        fen = self.refund_yuan.data * 100
        if fen != fen.to_integral_value():
            raise InvalidInput(_l("Enter the amount in yuan with at most two decimals."))
        return int(fen)


def _me() -> User:
    return current_user._get_current_object()


@bp.app_template_global("booking_actions_for")
def booking_actions_for(booking: Booking, user: User | None = None) -> list[str]:
    """The actions ``user`` (default: the signed-in member) may take on ``booking`` now."""
    if user is None:
        user = current_user._get_current_object() if current_user.is_authenticated else None
    return transitions.actions_for(booking, user, utcnow())


@bp.app_template_global("may_book_again")
def may_book_again(booking: Booking) -> bool:
    """Whether the signed-in member is offered 再订一次 on ``booking``."""
    return current_user.is_authenticated and bookings.may_book_again(_me(), booking)


@bp.app_template_global("booking_event_note")
def booking_event_note(note: str) -> str:
    """A booking history note for the page: the system's notes in the reader's language."""
    return transitions.event_note(note)


@bp.app_template_global("booking_event_step")
def booking_event_step(event: BookingEvent) -> str:
    """A line of a booking's history in the reader's language (see transitions.event_step)."""
    return transitions.event_step(event)


def _step_form(action: str, formdata=None) -> StepForm:
    cls = DisputeForm if action == "dispute" else StepForm
    return cls() if formdata is None else cls(formdata=formdata)


def _render_step(booking: Booking, action: str, form: StepForm, status: int = 200):
    fee_fen, fee_minutes = 0, 0
    if action in ("cancel", "no_show"):
        if action == "cancel":
            fee_fen, fee_minutes = transitions.cancellation_fee(booking, _me())
        else:
            fee_fen, fee_minutes = transitions.fee_for(booking)
    page = render_template(
        "marketplace/bookings/step.html",
        booking=booking,
        action=action,
        title=STEP_TITLES[action],
        form=form,
        fee_fen=fee_fen,
        fee_minutes=fee_minutes,
        fee_percent=booking.item.cancel_fee_percent,
    )
    return page, status


class TakeBackForm(FlaskForm):
    """Only the CSRF token: taking back a booking just made needs no input."""


@bp.post("/<int:booking_id>/take-back")
def take_back(booking_id: int):
    """Take back (撤回) a booking the member just made: cancelled free, money and hours back."""
    me = _me()
    booking = booking_for(me, booking_id)
    if not TakeBackForm().validate():
        return render_booking(booking, 400)
    try:
        booking_take_back.take_back(booking, by=me)
    except DomainError as error:
        status = refuse(error)
        return render_booking(booking_for(me, booking_id), status)
    commit()
    flash(_("Taken back. The booking is cancelled and nothing is charged."), "success")
    return redirect(url_for("bookings.show", booking_id=booking.id))


@bp.get("/<int:booking_id>/<action>")
def step(booking_id: int, action: str):
    """The page before a step: what it does and costs (a cancellation's fee, plainly)."""
    if action not in STEPS:
        abort(404)
    booking = booking_for(_me(), booking_id)
    transitions.check_action(action, booking, _me(), utcnow())
    return _render_step(booking, action, _step_form(action, formdata=None))


@bp.post("/<int:booking_id>/<action>")
def act(booking_id: int, action: str):
    """Take one step on a booking, then show the booking again."""
    if action not in STEPS:
        abort(404)
    me = _me()
    booking = booking_for(me, booking_id)
    form = _step_form(action)
    if not form.validate():
        return _render_step(booking, action, form, 400)
    try:
        STEPS[action](booking, me, form.reason.data or "")
    except DomainError as error:
        return _render_step(booking, action, form, refuse(error))
    commit()
    flash(str(DONE_MESSAGES[action]), "success")
    return redirect(url_for("bookings.show", booking_id=booking.id))


# --- the dispute desk ---------------------------------------------------------------


@bp.get("/disputes")
def disputes():
    """Disputes of the coordinator's residents (a street admin: of their street), oldest first."""
    return render_template(
        "marketplace/bookings/disputes.html", found=booking_disputes.disputes_for(_me())
    )


def _render_resolve(booking: Booking, form: ResolveForm, status: int = 200):
    page = render_template(
        "marketplace/bookings/resolve.html",
        booking=booking,
        form=form,
        paid=booking_disputes.paid_on(booking),
        resident_phone=bookings.resident_phone_for(_me(), booking),
    )
    return page, status


@bp.route("/disputes/<int:booking_id>", methods=["GET", "POST"])
def resolve(booking_id: int):
    """A coordinator decides one dispute: the service stands, or money goes back."""
    me = _me()
    booking = booking_for(me, booking_id)
    transitions.check_action("resolve", booking, me, utcnow())
    form = ResolveForm()
    if not form.is_submitted():
        return _render_resolve(booking, ResolveForm(formdata=None))
    if not form.validate():
        return _render_resolve(booking, form, 400)
    try:
        booking_disputes.resolve_dispute(
            booking,
            by=me,
            outcome=form.outcome.data,
            note=form.note.data or "",
            refund_fen=form.refund_fen(),
        )
    except DomainError as error:
        return _render_resolve(booking, form, refuse(error))
    commit()
    flash(_("The dispute is decided."), "success")
    return redirect(url_for("bookings.disputes"))
