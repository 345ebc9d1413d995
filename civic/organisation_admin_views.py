"""Property organisations (/civic/organisations): the street admin adds them, gives them
compounds and names their staff; coordinators see who serves their compounds."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic import organisation_admin as admin
from civic.organisation_forms import KIND_LABELS, ROLE_LABELS, LinkForm, OrganisationForm, StaffForm
from civic.organisation_models import Organisation
from civic.repair_hooks import organisation_panels
from community.models import Role, User
from errors import DomainError
from input_guard import as_id
from views_common import commit, form_errors, refuse

bp = Blueprint("organisations", __name__, url_prefix="/civic/organisations")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every organisation page is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


def _render_index(form: OrganisationForm | None = None, status: int = 200):
    me = _me()
    organisations = admin.organisations_for(me)
    page = render_template(
        "civic/organisations/index.html",
        organisations=[(o, admin.compounds_served(o)) for o in organisations],
        form=form or OrganisationForm(formdata=None),
        may_manage=me.role == Role.STREET_ADMIN,
        kinds=KIND_LABELS,
    )
    return page, status


@bp.get("/")
def index():
    """The organisations of the street (the admin) or serving one's community (a coordinator)."""
    return _render_index()


@bp.post("/new")
def new():
    """The street admin adds an organisation."""
    form = OrganisationForm()
    admin.organisations_for(_me())  # members are refused before their form is read
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_index(form, 400)
    try:
        organisation = admin.create_organisation(
            by=_me(), name=form.name.data, kind=form.kind.data, phone=form.phone.data or ""
        )
    except DomainError as error:
        return _render_index(form, refuse(error))
    commit()
    flash(_("The organisation is added. Now give it its compounds and staff."), "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


def _link_form(organisation: Organisation, form: LinkForm | None = None) -> LinkForm:
    form = form or LinkForm(formdata=None)
    served = {c.id for c in admin.compounds_served(organisation)}
    form.compound.choices = [
        SelectChoice(str(c.id), f"{c.name} · {c.community.name}")
        for c in admin.street_compounds(_me())
        if c.id not in served
    ]
    return form


def _render_show(organisation: Organisation, status: int = 200, **forms):
    me = _me()
    page = render_template(
        "civic/organisations/show.html",
        organisation=organisation,
        compounds=admin.compounds_served(organisation),
        staff=admin.staff_list(organisation),
        may_manage=me.role == Role.STREET_ADMIN,
        link_form=forms.get("link_form") or _link_form(organisation),
        staff_form=forms.get("staff_form") or StaffForm(formdata=None),
        kinds=KIND_LABELS,
        roles=ROLE_LABELS,
        panels=organisation_panels(me, organisation),
    )
    return page, status


@bp.get("/<int:organisation_id>")
def show(organisation_id: int):
    """One organisation: its compounds and its staff (with the admin's forms)."""
    return _render_show(admin.organisation_for(_me(), organisation_id))


def _step(organisation: Organisation, act, done: str, form_name: str | None = None, form=None):
    try:
        act()
    except DomainError as error:
        status = refuse(error)
        return _render_show(organisation, status, **({form_name: form} if form_name else {}))
    commit()
    flash(done, "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


@bp.post("/<int:organisation_id>/compounds")
def link(organisation_id: int):
    """The street admin gives the organisation a compound to serve."""
    organisation = admin.organisation_for(_me(), organisation_id)
    form = _link_form(organisation, LinkForm())
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_show(organisation, 400, link_form=form)
    compound_id = as_id(form.compound.data) or 0
    return _step(
        organisation,
        lambda: admin.link_compound(organisation, compound_id, by=_me()),
        _("The compound is added. Its repairs now go to this organisation."),
        "link_form",
        form,
    )


@bp.post("/<int:organisation_id>/compounds/<int:compound_id>/unlink")
def unlink(organisation_id: int, compound_id: int):
    """The street admin takes a compound from the organisation."""
    organisation = admin.organisation_for(_me(), organisation_id)
    return _step(
        organisation,
        lambda: admin.unlink_compound(organisation, compound_id, by=_me()),
        _("The compound is taken off this organisation."),
    )


@bp.post("/<int:organisation_id>/staff")
def name_staff(organisation_id: int):
    """The street admin names a member of the street as manager or worker."""
    organisation = admin.organisation_for(_me(), organisation_id)
    form = StaffForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_show(organisation, 400, staff_form=form)
    return _step(
        organisation,
        lambda: admin.name_staff(organisation, form.who.data, form.role.data, by=_me()),
        _("The staff member is named."),
        "staff_form",
        form,
    )


@bp.post("/<int:organisation_id>/staff/<int:staff_id>/remove")
def remove_staff(organisation_id: int, staff_id: int):
    """The street admin takes a member off the organisation's staff."""
    organisation = admin.organisation_for(_me(), organisation_id)
    return _step(
        organisation,
        lambda: admin.remove_staff(organisation, staff_id, by=_me()),
        _("The staff member is removed."),
    )
