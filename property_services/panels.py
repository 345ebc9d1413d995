"""The glue's parts of other packages' pages, registered in their hooks: the pay-online
part of a repair's page, the provider link on an organisation's page, the link from an
organisation's name to its services, and the property line on a provider's page."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectChoice

from civic.organisation_models import Organisation
from civic.repair_access import on_resident_side, sees
from civic.repair_models import Repair
from community.models import Role, User
from marketplace.booking_models import Booking, BookingStatus
from marketplace.formatting import PAYMENT_METHOD_LABELS
from marketplace.models import Provider
from property_services import repair_payments, stations
from property_services.forms import PayOnlineForm, StationForm
from views_common import new_idempotency_key


def pay_form(offer: repair_payments.PayOnline, repair: Repair) -> PayOnlineForm:
    """The pay-online form for ``repair``, its ways to pay as ``offer`` has them."""
    form = PayOnlineForm(formdata=None)
    form.payment_method.choices = [
        SelectChoice(method, str(PAYMENT_METHOD_LABELS[method])) for method in offer.methods
    ]
    form.payment_method.data = offer.methods[0]
    form.price_fen.data = repair.price_fen
    form.idempotency_key.data = new_idempotency_key()
    return form


def repair_panel(reader: User, repair: Repair) -> Markup | None:
    """The repair page's part on paying online: the form, the card still to finish, or
    the booking that paid it (the resident's side only)."""
    if repair.price_fen is None or repair.price_accepted_at is None:
        return None
    link = repair_payments.live_booking(repair)
    if link is not None:
        if not on_resident_side(reader, repair, "may_book"):
            return None
        booking = link.booking
        return Markup(
            render_template(
                "property_services/paid.html",
                repair=repair,
                booking=booking,
                pending=booking.status == BookingStatus.PENDING_PAYMENT,
            )
        )
    offer = repair_payments.pay_online_offer(reader, repair)
    if offer is None:
        return None
    return Markup(
        render_template(
            "property_services/pay.html",
            repair=repair,
            offer=offer,
            form=pay_form(offer, repair),
        )
    )


def organisation_panel(reader: User, organisation: Organisation) -> Markup | None:
    """The organisation page's part on its service provider: the street admin links or
    unlinks it; a coordinator reads it."""
    if organisation.kind == "street_department":
        return None
    station = stations.station_of(organisation)
    form = None
    if station is None and reader.role == Role.STREET_ADMIN:
        form = StationForm(formdata=None)
        form.provider.choices = [
            SelectChoice(str(p.id), p.name)
            for p in stations.providers_to_link(reader, organisation)
        ]
    return Markup(
        render_template(
            "property_services/station.html",
            organisation=organisation,
            station=station,
            form=form,
            may_manage=reader.role == Role.STREET_ADMIN,
        )
    )


def services_page(organisation: Organisation) -> str | None:
    """The organisation's provider page, when it is linked to a visible provider."""
    station = stations.station_of(organisation)
    if station is None or not station.provider.is_visible:
        return None
    return url_for("market.provider", provider_id=station.provider_id)


def property_note(provider: Provider) -> list[str]:
    """The provider page's line naming the organisation it is the service station of, and
    the compounds whose property service that is."""
    found = stations.looked_after(provider)
    if found is None:
        return []
    organisation, compounds = found
    if not compounds:
        return [str(_l("The service station of %(organisation)s.", organisation=organisation))]
    return [
        str(
            _l(
                "The service station of %(organisation)s, the property service (物业) of %(compounds)s.",
                organisation=organisation,
                compounds="、".join(compounds),
            )
        )
    ]


def repair_link(reader: User, booking: Booking) -> tuple[str, str] | None:
    """The booking page's link back to the repair the booking pays, for those who see it."""
    if booking.slot_id is not None:  # a booking from the calendar: no query
        return None
    repair = repair_payments.repair_paid_by(booking)
    if repair is None or not sees(reader, repair):
        return None
    return str(_l("Back to the repair")), url_for("repairs.show", repair_id=repair.id)
