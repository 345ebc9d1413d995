"""Compounds and homes (/civic/compounds): a coordinator keeps their community's
compounds, buildings, homes and owners (a street admin those of the whole street)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic import compound_admin as places
from civic.compound_forms import BuildingForm, CompoundForm, HomeForm, OwnerForm
from civic.place_models import Compound
from community.models import User
from errors import DomainError
from input_guard import as_id
from views_common import commit, form_errors, refuse

bp = Blueprint("compounds", __name__, url_prefix="/civic/compounds")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every page here is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


def _compound_form(form: CompoundForm | None = None) -> CompoundForm:
    form = form or CompoundForm(formdata=None)
    form.community.choices = [
        SelectChoice(str(c.id), c.name) for c in places.communities_kept(_me())
    ]
    return form


def _render_index(form: CompoundForm | None = None, status: int = 200):
    page = render_template(
        "civic/compounds/index.html",
        compounds=places.compounds_kept(_me()),
        form=_compound_form(form),
    )
    return page, status


@bp.get("/")
def index():
    """The compounds of the communities one coordinates, with their number of homes."""
    return _render_index()


@bp.post("/new")
def new():
    """Add a compound to a community one coordinates."""
    form = _compound_form(CompoundForm())
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_index(form, 400)
    community = next(c for c in places.communities_kept(_me()) if str(c.id) == form.community.data)
    try:
        compound = places.add_compound(
            community, by=_me(), name=form.name.data, address=form.address.data or ""
        )
    except DomainError as error:
        return _render_index(form, refuse(error))
    commit()
    flash(_("The compound is added. Now add its buildings and homes."), "success")
    return redirect(url_for("compounds.show", compound_id=compound.id))


def _forms(compound: Compound, **given) -> dict:
    home_form = given.get("home_form") or HomeForm(formdata=None)
    home_form.building.choices = [SelectChoice(str(b.id), b.name) for b in compound.buildings]
    owner_form = given.get("owner_form") or OwnerForm(formdata=None)
    owner_form.home.choices = [
        SelectChoice(str(h.id), f"{b.name} {h.unit}") for b in compound.buildings for h in b.homes
    ]
    return {
        "building_form": given.get("building_form") or BuildingForm(formdata=None),
        "home_form": home_form,
        "owner_form": owner_form,
    }


def _render_show(compound: Compound, status: int = 200, **given):
    page = render_template(
        "civic/compounds/show.html", compound=compound, **_forms(compound, **given)
    )
    return page, status


@bp.get("/<int:compound_id>")
def show(compound_id: int):
    """A compound's buildings, homes and owners, with forms to add to them."""
    return _render_show(places.compound_kept(_me(), compound_id))


def _step(compound_id: int, form_class, form_name: str, act, done: str):
    compound = places.compound_kept(_me(), compound_id)
    form = _forms(compound, **{form_name: form_class()})[form_name]
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_show(compound, 400, **{form_name: form})
    try:
        act(compound, form)
    except DomainError as error:
        status = refuse(error)
        return _render_show(places.compound_kept(_me(), compound_id), status, **{form_name: form})
    commit()
    flash(done, "success")
    return redirect(url_for("compounds.show", compound_id=compound_id))


@bp.post("/<int:compound_id>/buildings")
def add_building(compound_id: int):
    """Add a building to the compound."""

    def act(compound: Compound, form: BuildingForm) -> None:
        places.add_building(compound, by=_me(), name=form.name.data)

    return _step(compound_id, BuildingForm, "building_form", act, _("The building is added."))


@bp.post("/<int:compound_id>/homes")
def add_home(compound_id: int):
    """Add a home to one of the compound's buildings."""

    def act(compound: Compound, form: HomeForm) -> None:
        area_dm2 = int((form.area_m2.data * 100).to_integral_value())  # the form keeps it ≥ 1
        places.add_home(
            compound,
            by=_me(),
            building_id=as_id(form.building.data) or 0,
            unit=form.unit.data,
            area_dm2=area_dm2,
        )

    return _step(compound_id, HomeForm, "home_form", act, _("The home is added."))


@bp.post("/<int:compound_id>/owners")
def record_owner(compound_id: int):
    """Record a member as an owner of one of the compound's homes."""

    def act(compound: Compound, form: OwnerForm) -> None:
        places.record_owner(
            compound, by=_me(), home_id=as_id(form.home.data) or 0, who=form.who.data
        )

    return _step(compound_id, OwnerForm, "owner_form", act, _("The owner is recorded."))
