"""Care plans: an elder's, a volunteer's and a community's plans, creating one, and a plan's
page with its upcoming visits (each skipped with one click), pause, resume and end.

Each page reads its form, calls one service, commits, flashes and redirects; a
service's refusal is shown again with the error's 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from community.errors import MemberNotFound
from community.models import User
from community.reach import find_in_street
from errors import DomainError
from extensions import db
from timebank import care_plans, scheduling, visit_access
from timebank.care_plan_forms import WEEKDAY_LABELS, CarePlanForm, PlanActionForm
from timebank.care_plan_models import CarePlan
from timebank.clock import local_today
from timebank.errors import NotAllowed, NotFound
from timebank.formatting import format_date
from views_common import commit, confirm_page, refuse

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _me() -> User:
    return current_user._get_current_object()


def _render_list(title: str, plans: list[CarePlan], status: int = 200):
    page = render_template(
        "timebank/plans/list.html", title=title, plans=plans, weekday_labels=WEEKDAY_LABELS
    )
    return page, status


@bp.get("/")
@login_required
def my_plans():
    """The plans I receive help from and the plans I help with."""
    me = _me()
    return render_template(
        "timebank/plans/mine.html",
        received=care_plans.plans_of_elder(me, by=me),
        helping=care_plans.plans_of_volunteer(me, by=me),
        weekday_labels=WEEKDAY_LABELS,
    )


@bp.get("/elder/<int:member_id>")
@login_required
def of_elder(member_id: int):
    elder = care_plans.member_for_plans(member_id)
    plans = care_plans.plans_of_elder(elder, by=_me())
    return _render_list(_("Care plans for %(name)s", name=elder.display_name), plans)


@bp.get("/volunteer/<int:member_id>")
@login_required
def of_volunteer(member_id: int):
    volunteer = care_plans.member_for_plans(member_id)
    plans = care_plans.plans_of_volunteer(volunteer, by=_me())
    return _render_list(_("Care plans of %(name)s", name=volunteer.display_name), plans)


@bp.get("/community")
@login_required
def of_community():
    return _render_list(_("Care plans in my community"), care_plans.plans_of_community(by=_me()))


def _render_new(form: CarePlanForm, status: int = 200):
    return render_template("timebank/plans/new.html", form=form), status


def _find(field) -> User | None:
    """The member a form field names, or None with the error on the field."""
    try:
        return find_in_street(current_user, field.data)
    except MemberNotFound as error:
        field.errors = [*field.errors, str(error.message)]
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Set up recurring visits: the elder, their family or a coordinator."""
    form = CarePlanForm()
    if not form.is_submitted():
        form.start_date.data = local_today()
        return _render_new(form)
    if not form.validate():
        return _render_new(form, 400)
    elder, volunteer = _find(form.elder), _find(form.volunteer)
    if elder is None or volunteer is None:
        db.session.rollback()
        return _render_new(form, 404)
    details = care_plans.PlanDetails(
        category=form.category.data,
        weekdays=tuple(form.weekdays.data or ()),
        time_of_day=form.time_of_day.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        note=form.note.data or "",
    )
    try:
        plan, generated = care_plans.create_plan(
            elder=elder, volunteer=volunteer, details=details, by=_me()
        )
    except DomainError as error:
        return _render_new(form, refuse(error))
    commit()
    _flash_generated(generated, _("The care plan is set up."))
    return redirect(url_for("plans.plan", plan_id=plan.id))


def _flash_generated(generated: care_plans.Generated, done: str) -> None:
    count = len(generated.created)
    flash(
        done + " " + ngettext("%(num)d visit is planned.", "%(num)d visits are planned.", count),
        "success",
    )
    for day, reason in generated.skipped:
        flash(
            _("Not planned on %(day)s: %(reason)s", day=format_date(day), reason=reason),
            "error",
        )


def _render_plan(plan: CarePlan, status: int = 200):
    me = _me()
    page = render_template(
        "timebank/plans/plan.html",
        plan=plan,
        visits=care_plans.upcoming_visits(plan),
        may_manage=care_plans.may_manage(me, plan.elder),
        may_call_off=care_plans.may_skip_visits(me, plan),
        weekday_labels=WEEKDAY_LABELS,
        form=PlanActionForm(formdata=None),
    )
    return page, status


@bp.get("/<int:plan_id>")
@login_required
def plan(plan_id: int):
    return _render_plan(care_plans.plan_for(_me(), plan_id))


def _act(plan_id: int, service, message: str):
    plan = care_plans.plan_for(_me(), plan_id)
    if not PlanActionForm().validate():
        return _render_plan(plan, 400)
    try:
        result = service(plan, by=_me())
    except DomainError as error:
        return _render_plan(plan, refuse(error))
    commit()
    if isinstance(result, care_plans.Generated):
        _flash_generated(result, message)
    else:
        flash(message, "success")
    return redirect(url_for("plans.plan", plan_id=plan.id))


@bp.post("/<int:plan_id>/pause")
@login_required
def pause(plan_id: int):
    return _act(plan_id, care_plans.pause_plan, _("The care plan is paused."))


@bp.post("/<int:plan_id>/resume")
@login_required
def resume(plan_id: int):
    return _act(plan_id, care_plans.resume_plan, _("The care plan is running again."))


@bp.get("/<int:plan_id>/end")
@login_required
def confirm_end(plan_id: int):
    """Ask before ending a plan: its volunteer's coming visits are called off."""
    me = _me()
    plan = care_plans.plan_for(me, plan_id)
    if plan.status == "ended" or not care_plans.may_manage(me, plan.elder):
        raise NotAllowed()
    return confirm_page(
        question=_("End this care plan?"),
        subject=_("Visits to %(name)s", name=plan.elder.display_name),
        consequence=_(
            "Its visits still to come are called off, for %(name)s too. "
            "Visits already made stay on record.",
            name=plan.volunteer.display_name,
        ),
        action=url_for("plans.end", plan_id=plan.id),
        yes=_("Yes, end the care plan"),
        back=url_for("plans.plan", plan_id=plan.id),
    )


@bp.post("/<int:plan_id>/end")
@login_required
def end(plan_id: int):
    return _act(plan_id, care_plans.end_plan, _("The care plan has ended."))


@bp.get("/<int:plan_id>/visits/<int:visit_id>/skip")
@login_required
def confirm_skip_visit(plan_id: int, visit_id: int):
    """Ask before skipping one of the plan's visits: the other side plans around it."""
    me = _me()
    plan = care_plans.plan_for(me, plan_id)
    visit = visit_access.scheduled_visit_for(me, visit_id)
    if visit.care_plan_id != plan.id:
        raise NotFound(_("This visit is not part of this care plan."))
    if visit.status != "scheduled" or not care_plans.may_skip_visits(me, plan):
        raise NotAllowed()
    return confirm_page(
        question=_("Skip the visit on %(day)s?", day=format_date(visit.scheduled_date, "full")),
        subject=_("Visits to %(name)s", name=plan.elder.display_name),
        consequence=_("Only this one visit is left out; the care plan goes on."),
        action=url_for("plans.skip_visit", plan_id=plan.id, visit_id=visit.id),
        yes=_("Yes, skip this visit"),
        back=url_for("plans.plan", plan_id=plan.id),
    )


@bp.post("/<int:plan_id>/visits/<int:visit_id>/skip")
@login_required
def skip_visit(plan_id: int, visit_id: int):
    """Skip one visit of the plan; the others stay."""
    plan = care_plans.plan_for(_me(), plan_id)
    visit = visit_access.scheduled_visit_for(_me(), visit_id)
    if visit.care_plan_id != plan.id:
        raise NotFound(_("This visit is not part of this care plan."))
    if not PlanActionForm().validate():
        return _render_plan(plan, 400)
    try:
        scheduling.skip_visit(visit, by=_me())
    except DomainError as error:
        return _render_plan(plan, refuse(error))
    commit()
    flash(
        _("The visit on %(day)s is skipped.", day=format_date(visit.scheduled_date)),
        "success",
    )
    return redirect(url_for("plans.plan", plan_id=plan.id))
