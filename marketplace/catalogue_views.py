"""A provider's own pages (apply, menu, meal menus, calendar, settings) and coordinators'
verification (/provider).

Each POST reads its form, calls one service, commits, flashes and redirects; a
service's refusal is shown again on the same page with the error's 4xx status.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from community.models import Community, User
from errors import DomainError
from extensions import db
from marketplace import menu, provider_checks, providers, schedule
from marketplace.catalogue_forms import (
    ActionForm,
    ApplyForm,
    ChecksForm,
    ExceptionForm,
    ItemForm,
    MealMenuForm,
    ReasonForm,
    SettingsForm,
    SlotForm,
    category_choices,
)
from marketplace.clock import local_today
from marketplace.errors import InvalidInput, NotFound
from marketplace.models import Provider, ServiceCategory
from timebank.aid_forms import WEEKDAY_LABELS
from views_common import commit, confirm_page, refuse

bp = Blueprint("catalogue", __name__, url_prefix="/provider")

MEAL_MENU_DAYS = 14


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every provider page is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


def _street_choices(street_id: int) -> list[SelectChoice]:
    communities = db.session.scalars(
        select(Community).where(Community.street_id == street_id).order_by(Community.name)
    )
    return [SelectChoice(c.id, c.name) for c in communities]


# --- applying and the owner's area -----------------------------------------------------


def _render_apply(form: ApplyForm, status: int = 200):
    return render_template("marketplace/catalogue/apply.html", form=form), status


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    """Apply as a provider (one at a time; a rejected applicant may apply again)."""
    me = _me()
    if providers.current_provider(me) is not None:
        flash(_("You already have a provider. Here it is."), "success")
        return redirect(url_for("catalogue.home"))
    form = ApplyForm()
    form.communities.choices = _street_choices(me.community.street_id)
    if request.method == "GET":
        form.communities.data = [me.community_id]
        return _render_apply(form)
    if not form.validate():
        return _render_apply(form, 400)
    try:
        providers.apply_provider(
            by=me,
            name=form.name.data,
            kind=form.kind.data,
            categories=form.categories.data,
            community_ids=form.communities.data,
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            address=form.address.data or "",
            licence_number=form.licence_number.data or "",
            licence_details=form.licence_details.data or "",
            description=form.description.data or "",
        )
    except DomainError as error:
        return _render_apply(form, refuse(error))
    commit()
    flash(_("Thank you. A coordinator will check your application."), "success")
    return redirect(url_for("catalogue.home"))


@bp.get("/")
def home():
    """The owner's provider area: status, reason, and links to everything they keep."""
    provider = providers.latest_provider(_me())
    return render_template("marketplace/catalogue/home.html", provider=provider)


def _mine() -> Provider:
    return providers.owned_provider(_me())


# --- the menu ------------------------------------------------------------------------


def _item_form(provider: Provider, **kwargs) -> ItemForm:
    form = ItemForm(**kwargs)
    form.category.choices = category_choices(provider.category_codes)
    return form


def _render_menu(provider: Provider, form: ItemForm, status: int = 200):
    page = render_template(
        "marketplace/catalogue/menu.html",
        provider=provider,
        items=menu.menu_items(provider.id),
        form=form,
    )
    return page, status


@bp.get("/menu")
def menu_page():
    """The menu: every item with pause/resume and edit, and a form to add one."""
    provider = _mine()
    form = _item_form(provider, formdata=None)
    form.cancel_fee_percent.data = 0
    return _render_menu(provider, form)


@bp.post("/menu/items")
def add_item():
    provider = _mine()
    form = _item_form(provider)
    if not form.validate():
        return _render_menu(provider, form, 400)
    try:
        item = menu.add_item(provider.id, form.item_input(), by=_me())
    except DomainError as error:
        return _render_menu(provider, form, refuse(error))
    commit()
    flash(_("“%(title)s” is on your menu.", title=item.title), "success")
    return redirect(url_for("catalogue.menu_page"))


def _render_edit(item, form: ItemForm, status: int = 200):
    return render_template("marketplace/catalogue/item_edit.html", item=item, form=form), status


@bp.route("/menu/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id: int):
    """Change an item; bookings already made keep their price."""
    item = menu.owned_item(item_id, by=_me())
    if not _is_post():
        form = _item_form(item.provider, obj=item)
        form.price_yuan.data = _yuan_text(item.price_fen)
        form.price_hours.data = _hours_text(item.price_minutes)
        return _render_edit(item, form)
    form = _item_form(item.provider)
    if not form.validate():
        return _render_edit(item, form, 400)
    try:
        menu.update_item(item.id, form.item_input(), by=_me())
    except DomainError as error:
        return _render_edit(item, form, refuse(error))
    commit()
    flash(_("The item is saved. Bookings already made keep their price."), "success")
    return redirect(url_for("catalogue.menu_page"))


def _is_post() -> bool:
    return request.method == "POST"


def _yuan_text(fen: int) -> str:
    yuan, cents = divmod(fen, 100)
    return str(yuan) if cents == 0 else f"{yuan}.{cents:02d}"


def _hours_text(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    return str(hours) if rest == 0 else f"{minutes / 60:g}"


def _check_action_form() -> None:
    form = ActionForm()
    if not form.validate():  # only the CSRF token; the CSRF handler answers first in practice
        raise NotFound()


@bp.post("/menu/items/<int:item_id>/pause")
def pause_item(item_id: int):
    _check_action_form()
    item = menu.pause_item(item_id, by=_me())
    commit()
    flash(_("“%(title)s” is paused: nobody can book it now.", title=item.title), "success")
    return redirect(url_for("catalogue.menu_page"))


@bp.post("/menu/items/<int:item_id>/resume")
def resume_item(item_id: int):
    _check_action_form()
    item = menu.resume_item(item_id, by=_me())
    commit()
    flash(_("“%(title)s” can be booked again.", title=item.title), "success")
    return redirect(url_for("catalogue.menu_page"))


# --- meal menus ----------------------------------------------------------------------


def _meal_form(provider: Provider, **kwargs) -> MealMenuForm:
    form = MealMenuForm(**kwargs)
    form.item.choices = [
        SelectChoice(item.id, item.title)
        for item in menu.menu_items(provider.id)
        if item.category == ServiceCategory.MEALS
    ]
    return form


def _render_meals(provider: Provider, form: MealMenuForm, status: int = 200):
    today = local_today()
    page = render_template(
        "marketplace/catalogue/meals.html",
        provider=provider,
        menus=menu.upcoming_meal_menus(provider.id, today, MEAL_MENU_DAYS),
        last_day=today + timedelta(days=MEAL_MENU_DAYS - 1),
        form=form,
    )
    return page, status


@bp.get("/meals")
def meals():
    """The meal menus of the next 14 days, and a form to publish one."""
    provider = _mine()
    form = _meal_form(provider, formdata=None)
    form.served_on.data = local_today() + timedelta(days=1)
    return _render_meals(provider, form)


@bp.post("/meals")
def publish_meal_menu():
    provider = _mine()
    form = _meal_form(provider)
    if not form.validate():
        return _render_meals(provider, form, 400)
    try:
        menu.publish_meal_menu(
            form.item.data,
            by=_me(),
            served_on=form.served_on.data,
            dishes=form.dishes.data,
            portions=form.portions.data,
            offers_pickup=form.offers_pickup.data,
            offers_delivery=form.offers_delivery.data,
        )
    except DomainError as error:
        return _render_meals(provider, form, refuse(error))
    commit()
    flash(_("The menu for %(day)s is published.", day=form.served_on.data.isoformat()), "success")
    return redirect(url_for("catalogue.meals"))


# --- the calendar --------------------------------------------------------------------


def _render_calendar(provider, slot_form=None, exception_form=None, status: int = 200):
    if exception_form is None:
        exception_form = ExceptionForm(formdata=None, prefix="day")
        exception_form.on_date.data = local_today()
    page = render_template(
        "marketplace/catalogue/calendar.html",
        provider=provider,
        slots=schedule.weekly_slots(provider.id),
        exceptions=schedule.exceptions_from(provider.id, local_today()),
        slot_form=slot_form or SlotForm(formdata=None, prefix="slot"),
        exception_form=exception_form,
    )
    return page, status


@bp.get("/calendar")
def calendar():
    """Weekly slots and the days that differ, each with its form."""
    return _render_calendar(_mine())


@bp.post("/calendar/slots")
def add_slot():
    provider = _mine()
    form = SlotForm(prefix="slot")
    if not form.validate():
        return _render_calendar(provider, slot_form=form, status=400)
    try:
        schedule.add_weekly_slot(
            provider.id,
            by=_me(),
            weekday=form.weekday.data,
            starts_at=form.starts_at.data,
            ends_at=form.ends_at.data,
            capacity=form.capacity.data,
        )
    except DomainError as error:
        return _render_calendar(provider, slot_form=form, status=refuse(error))
    commit()
    flash(_("The slot is added to every week."), "success")
    return redirect(url_for("catalogue.calendar"))


@bp.get("/calendar/slots/<int:slot_id>/remove")
def confirm_remove_slot(slot_id: int):
    """Ask before removing a weekly slot: residents plan around the provider's times."""
    slot = schedule.slot_to_remove(slot_id, by=_me())
    day = WEEKDAY_LABELS[slot.weekday]
    return confirm_page(
        question=_("Remove %(day)s %(time)s?", day=day, time=slot.starts_at.strftime("%H:%M")),
        consequence=_(
            "Residents can no longer book this time. Bookings still to come at this time "
            "must be answered or cancelled first."
        ),
        action=url_for("catalogue.remove_slot", slot_id=slot.id),
        yes=_("Yes, remove this time"),
        back=url_for("catalogue.calendar"),
    )


@bp.post("/calendar/slots/<int:slot_id>/remove")
def remove_slot(slot_id: int):
    _check_action_form()
    schedule.remove_weekly_slot(slot_id, by=_me())
    commit()
    flash(_("The slot is removed."), "success")
    return redirect(url_for("catalogue.calendar"))


@bp.post("/calendar/days")
def set_day():
    provider = _mine()
    form = ExceptionForm(prefix="day")
    if not form.validate():
        return _render_calendar(provider, exception_form=form, status=400)
    try:
        schedule.set_exception(
            provider.id,
            by=_me(),
            on_date=form.on_date.data,
            is_closed=form.state.data == "closed",
            capacity=form.capacity.data,
            note=form.note.data or "",
        )
    except DomainError as error:
        return _render_calendar(provider, exception_form=form, status=refuse(error))
    commit()
    flash(_("The day is saved."), "success")
    return redirect(url_for("catalogue.calendar"))


@bp.post("/calendar/days/<int:exception_id>/clear")
def clear_day(exception_id: int):
    _check_action_form()
    schedule.clear_exception(exception_id, by=_me())
    commit()
    flash(_("That day follows the weekly schedule again."), "success")
    return redirect(url_for("catalogue.calendar"))


# --- settings ------------------------------------------------------------------------


def _render_settings(provider, form, status: int = 200):
    page = render_template("marketplace/catalogue/settings.html", provider=provider, form=form)
    return page, status


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Description, contact, notice, time to answer and communities served."""
    provider = _mine()
    if not _is_post():
        form = SettingsForm(formdata=None, obj=provider)
        form.communities.data = [c.id for c in provider.communities]
    else:
        form = SettingsForm()
    form.communities.choices = _street_choices(provider.street_id)
    if not _is_post():
        return _render_settings(provider, form)
    if not form.validate():
        return _render_settings(provider, form, 400)
    try:
        providers.update_provider_settings(
            provider.id,
            by=_me(),
            description=form.description.data or "",
            contact_name=form.contact_name.data,
            contact_phone=form.contact_phone.data,
            address=form.address.data or "",
            min_notice_hours=form.min_notice_hours.data,
            response_hours=form.response_hours.data,
            community_ids=form.communities.data,
        )
    except DomainError as error:
        return _render_settings(provider, form, refuse(error))
    commit()
    flash(_("Your settings are saved."), "success")
    return redirect(url_for("catalogue.home"))


# --- coordinators --------------------------------------------------------------------


@bp.get("/applications")
def applications():
    """Applications waiting, and suspended and verified providers, that the coordinator oversees."""
    queues = providers.overseen_providers(_me())
    return render_template("marketplace/catalogue/applications.html", queues=queues)


def _render_review(
    provider: Provider,
    form: ReasonForm | None = None,
    status: int = 200,
    checks_form: ChecksForm | None = None,
    checks_error: str = "",
):
    page = render_template(
        "marketplace/catalogue/review.html",
        provider=provider,
        items=menu.menu_items(provider.id),
        reason_form=form or ReasonForm(formdata=None),
        checks_form=checks_form or ChecksForm(formdata=None),
        checks_error=checks_error,  # said again beside the checklist, where the eye is
        needs_checks=provider_checks.needs_checks(provider),
        latest_check=provider_checks.latest_check(provider),
        own=providers.runs_own(_me(), provider),
    )
    return page, status


@bp.get("/review/<int:provider_id>")
def review(provider_id: int):
    """A provider's details and licence for a coordinator, with the decisions its status allows."""
    return _render_review(providers.provider_for_review(provider_id, by=_me()))


# action → (service, what its form asks: a reason, or the checks in person)
DECISIONS = {
    "verify": (providers.verify_provider, "checks"),
    "reject": (providers.reject_provider, "reason"),
    "suspend": (providers.suspend_provider, "reason"),
    "reinstate": (providers.reinstate_provider, "checks"),
}


def _checks(form: ChecksForm) -> provider_checks.ProviderChecks:
    return provider_checks.ProviderChecks(
        licence_number=form.licence_number.data or "",
        licence_seen=bool(form.licence_seen.data),
        health_certificates_seen=bool(form.health_certificates_seen.data),
        premises_checked=bool(form.premises_checked.data),
    )


@bp.post("/review/<int:provider_id>/<action>")
def decide(provider_id: int, action: str):
    """verify (checks), reject (reason), suspend (reason) or reinstate (checks) a provider."""
    if action not in DECISIONS:
        raise NotFound()
    provider = providers.provider_for_review(provider_id, by=_me())
    decision, asks = DECISIONS[action]
    form = ReasonForm() if asks == "reason" else ChecksForm()
    shown = {
        "form": form if asks == "reason" else None,
        "checks_form": form if asks == "checks" else None,
    }
    if not form.validate():
        return _render_review(provider, status=400, **shown)
    try:
        if asks == "reason":
            decision(provider.id, by=_me(), reason=form.reason.data)
        else:
            decision(provider.id, by=_me(), checks=_checks(form))
    except DomainError as error:
        status = refuse(error)
        provider = providers.provider_for_review(provider_id, by=_me())
        said = str(error.message) if isinstance(error, InvalidInput) else ""
        return _render_review(provider, status=status, checks_error=said, **shown)
    commit()
    flash(
        {
            "verify": _("The provider is verified: residents can book it now."),
            "reject": _("The application is turned down. The applicant sees your reason."),
            "suspend": _("The provider is suspended: residents no longer see it."),
            "reinstate": _("The provider is visible to residents again."),
        }[action],
        "success",
    )
    return redirect(url_for("catalogue.review", provider_id=provider_id))
