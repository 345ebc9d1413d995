"""Repairs (/civic/repairs): residents ask, the organisation sends a worker, the resident
confirms. HTTP only: each view reads a form, calls one service, commits, redirects."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic import repair_hooks, repair_steps, repairs
from civic.clock import local_today, to_local, to_utc
from civic.errors import InvalidInput
from civic.photos import UPLOAD_MAX_BYTES, uploaded
from civic.repair_access import repair_for, resident_phone_for
from civic.repair_forms import (
    AcceptPriceForm,
    AssignForm,
    ConfirmForm,
    NotFixedForm,
    PriceForm,
    RepairForm,
    VisitForm,
    yuan_to_fen,
)
from civic.repair_models import Repair
from civic.repair_photos import photo_for
from community.models import User
from errors import DomainError
from extensions import db
from input_guard import as_id, query_id, uploads
from views_common import commit, form_errors, new_idempotency_key, refuse

bp = Blueprint("repairs", __name__, url_prefix="/civic/repairs")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every repair page is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


@bp.get("/")
def index():
    """A worker's jobs of today first, a manager's repairs to send someone to, then the
    repairs the member sent (or sent for others) and the button to ask for one."""
    me = _me()
    today, later = repairs.todays_jobs(me)
    manages = bool(repairs.managed_organisations(me))
    return render_template(
        "civic/repairs/index.html",
        today=today,
        later=later,
        work=repairs.organisation_work(me) if manages else [],
        manages=manages,
        mine=repairs.repairs_for_residents(me),
    )


def _acting_args(resident: User) -> dict:
    return {} if resident.id == current_user.id else {"for": resident.id}


def _render_new(form: RepairForm, resident: User, status: int = 200):
    page = render_template(
        "civic/repairs/new.html",
        form=form,
        resident=resident,
        acting_args=_acting_args(resident),
        elders=repairs.elders_acted_for(_me()) if resident.id == current_user.id else [],
    )
    return page, status


@bp.route("/new", methods=["GET", "POST"])
@uploads(UPLOAD_MAX_BYTES)
def new():
    """Ask for a repair: for oneself, or (``?for=<member id>``) for someone one may book for."""
    me = _me()
    named = request.args.get("resident", "").strip()
    if named:  # a coordinator names the resident they send it for
        resident = repairs.resident_named(me, named[:60])
        return redirect(url_for("repairs.new", **{"for": resident.id}))
    resident = repairs.resident_for(me, query_id("for"))
    form = RepairForm()
    form.where.choices = [SelectChoice(c.value, c.label) for c in repairs.place_choices(resident)]
    if request.method == "GET":
        form.day.data = local_today() + timedelta(days=1)
        form.start.data, form.end.data = time(9), time(12)
        form.idempotency_key.data = new_idempotency_key()
        return _render_new(form, resident)
    if not form.validate():
        return _render_new(form, resident, 400)
    try:
        repair = repairs.send_repair(
            resident,
            by=me,
            where=form.where.data,
            place_detail=form.place_detail.data or "",
            description=form.description.data,
            day=form.day.data,
            start=form.start.data,
            end=form.end.data,
            idempotency_key=form.idempotency_key.data,
            photos=uploaded(form.photos),
        )
    except DomainError as error:
        return _render_new(form, resident, refuse(error))
    commit()
    flash(
        _("Your repair request is sent. You will get a message when a worker is coming."), "success"
    )
    return redirect(url_for("repairs.show", repair_id=repair.id))


def _assign_form(repair: Repair, form: AssignForm | None = None) -> AssignForm:
    if form is None:
        form = AssignForm(formdata=None)
        form.day.data = to_local(repair.window_start).date()
        form.at.data = to_local(repair.window_start).time()
        if repair.price_fen is not None:
            form.charge.data = "priced"
            form.price_yuan.data = Decimal(repair.price_fen) / 100
    form.worker.choices = [
        SelectChoice(str(p.id), p.display_name) for p in repairs.staff_of(repair.organisation)
    ]
    return form


def _render_repair(repair: Repair, status: int = 200, **forms):
    me = _me()
    steps = repair_steps.open_steps(me, repair)
    page = render_template(
        "civic/repairs/show.html",
        repair=repair,
        steps=steps,
        resident_phone=resident_phone_for(me, repair),
        panels=repair_hooks.repair_panels(me, repair),
        services_url=repair_hooks.services_page(repair.organisation),
        paid_elsewhere=repair_hooks.paid_elsewhere(repair),
        assign_form=forms.get("assign_form")
        or (_assign_form(repair) if "assign" in steps else None),
        price_form=forms.get("price_form") or PriceForm(formdata=None),
        accept_form=AcceptPriceForm(formdata=None),
        visit_form=forms.get("visit_form") or VisitForm(formdata=None),
        confirm_form=forms.get("confirm_form") or ConfirmForm(formdata=None),
        not_fixed_form=forms.get("not_fixed_form") or NotFixedForm(formdata=None),
    )
    return page, status


@bp.get("/<int:repair_id>")
def show(repair_id: int):
    """A repair: where it stands, and the one step the reader may take next."""
    return _render_repair(repair_for(_me(), repair_id))


def _step(repair_id: int, read_form, form_name: str, act, done: str):
    """Read the form (``read_form(repair)``), take the step ``act(repair, form)``, commit
    and go back to the repair; on bad input or a refused step, show the repair again
    with the message."""
    repair = repair_for(_me(), repair_id)
    form = read_form(repair)
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_repair(repair, 400, **{form_name: form})
    try:
        act(repair, form)
    except DomainError as error:
        status = refuse(error)
        repair = repair_for(_me(), repair_id)
        return _render_repair(repair, status, **{form_name: form})
    commit()
    flash(done, "success")
    return redirect(url_for("repairs.show", repair_id=repair_id))


def _price(form) -> int | None:
    if form.charge.data != "priced":
        return None
    if form.price_yuan.data is None:
        raise InvalidInput(_("Enter the price in yuan."))
    return yuan_to_fen(form.price_yuan.data)


@bp.post("/<int:repair_id>/assign")
def assign(repair_id: int):
    """The manager sends a worker at a time (free, or for a price to accept first)."""

    def act(repair: Repair, form: AssignForm) -> None:
        worker_id = as_id(form.worker.data)
        worker = db.session.get(User, worker_id) if worker_id else None
        if worker is None:
            raise InvalidInput(_("Choose one of your organisation's workers."))
        repair_steps.assign(
            repair,
            by=_me(),
            worker=worker,
            appointment_at=to_utc(form.day.data, form.at.data),
            note=form.note.data or "",
            price_fen=_price(form),
        )

    return _step(
        repair_id,
        lambda repair: _assign_form(repair, AssignForm()),
        "assign_form",
        act,
        _("The worker is sent. The resident is told."),
    )


@bp.post("/<int:repair_id>/price")
def price(repair_id: int):
    """The manager changes the price before the resident accepts it."""

    def act(repair: Repair, form: PriceForm) -> None:
        repair_steps.set_price(repair, by=_me(), price_fen=_price(form))

    return _step(
        repair_id,
        lambda _repair: PriceForm(),
        "price_form",
        act,
        _("The price is changed. The resident is told."),
    )


@bp.post("/<int:repair_id>/accept-price")
def accept_price(repair_id: int):
    """The resident's side accepts the price shown."""

    def act(repair: Repair, form: AcceptPriceForm) -> None:
        repair_steps.accept_price(repair, by=_me(), price_fen=form.price_fen.data)

    return _step(
        repair_id,
        lambda _repair: AcceptPriceForm(),
        "accept_form",
        act,
        _("You accepted the price. The work can go ahead."),
    )


@bp.post("/<int:repair_id>/visit")
@uploads(UPLOAD_MAX_BYTES)
def visit(repair_id: int):
    """The worker records the visit and what was done."""

    def act(repair: Repair, form: VisitForm) -> None:
        repair_steps.record_visit(
            repair,
            by=_me(),
            work_done=form.work_done.data,
            paid_on_site=form.paid_on_site.data,
            photos=uploaded(form.photos),
        )

    return _step(
        repair_id,
        lambda _repair: VisitForm(),
        "visit_form",
        act,
        _("The visit is recorded. The resident is asked to confirm."),
    )


@bp.post("/<int:repair_id>/confirm")
def confirm(repair_id: int):
    """The resident's side confirms the repair and rates it."""

    def act(repair: Repair, form: ConfirmForm) -> None:
        repair_steps.confirm(
            repair, by=_me(), rating=int(form.rating.data), comment=form.comment.data or ""
        )

    return _step(
        repair_id,
        lambda _repair: ConfirmForm(),
        "confirm_form",
        act,
        _("Thank you. The repair is finished."),
    )


@bp.post("/<int:repair_id>/not-fixed")
def not_fixed(repair_id: int):
    """The resident's side says it is not fixed: it goes back to the organisation."""

    def act(repair: Repair, form: NotFixedForm) -> None:
        repair_steps.report_not_fixed(repair, by=_me(), comment=form.comment.data)

    return _step(
        repair_id,
        lambda _repair: NotFixedForm(),
        "not_fixed_form",
        act,
        _("The organisation is told it is not fixed and will send someone again."),
    )


@bp.get("/<int:repair_id>/photos/<int:photo_id>")
def photo(repair_id: int, photo_id: int):
    """A photo of the repair, to whoever sees the repair (else 404)."""
    data, content_type = photo_for(_me(), repair_id, photo_id)
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
