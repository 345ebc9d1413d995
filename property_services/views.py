"""The 物业+服务站 routes: the street admin links an organisation to a provider (on the
organisation's page), and the resident's side pays a repair online (on the repair's
page). HTTP only: each view reads a form, calls one service, commits, redirects."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.organisation_admin import organisation_for
from community.models import User
from errors import DomainError
from input_guard import as_id
from marketplace.booking_models import BookingStatus
from property_services import repair_payments, stations
from property_services.forms import PayOnlineForm, StationForm
from views_common import commit, form_errors, refuse, render_error

bp = Blueprint("property_services", __name__)


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every route here is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


def _refused(error: DomainError):
    """The refusal as a page with its status and message (nothing was written)."""
    status = refuse(error)
    return render_error(status, error.message)


@bp.post("/civic/organisations/<int:organisation_id>/service-station")
def link(organisation_id: int):
    """The street admin links the organisation to one of the street's providers."""
    organisation = organisation_for(_me(), organisation_id)
    form = StationForm()
    if not form.validate():
        return render_error(400, form_errors(form))
    try:
        stations.link_provider(organisation, as_id(form.provider.data) or 0, by=_me())
    except DomainError as error:
        return _refused(error)
    commit()
    flash(_("Linked. Residents now see its services, and can pay its repairs online."), "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.post("/civic/organisations/<int:organisation_id>/service-station/unlink")
def unlink(organisation_id: int):
    """The street admin ends the organisation's link to its provider."""
    organisation = organisation_for(_me(), organisation_id)
    try:
        stations.unlink_provider(organisation, by=_me())
    except DomainError as error:
        return _refused(error)
    commit()
    flash(_("The link is ended. Repairs are now paid on site only."), "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.post("/civic/repairs/<int:repair_id>/pay-online")
def pay_repair(repair_id: int):
    """The resident's side pays the repair's accepted price online: by card (then on to
    the card page), or by hours (held now)."""
    try:  # who may pay is answered first, whatever the form holds
        repair_payments.repair_to_pay(_me(), repair_id)
    except DomainError as error:
        return _refused(error)
    form = PayOnlineForm()
    if not form.validate():
        return render_error(400, form_errors(form))
    try:
        booking = repair_payments.pay_repair_online(
            repair_id,
            by=_me(),
            payment_method=form.payment_method.data,
            expected_price_fen=form.price_fen.data,
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as error:
        return _refused(error)
    commit()
    if booking.status == BookingStatus.PENDING_PAYMENT and "card.pay" in current_app.view_functions:
        flash(_("Please enter your card now to pay for the repair."), "success")
        return redirect(url_for("card.pay", booking_id=booking.id))
    flash(_("Paid online. The money is taken when the work is done."), "success")
    return redirect(url_for("repairs.show", repair_id=repair_id))
