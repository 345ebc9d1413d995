"""Community subsidy rules and what they paid, for coordinators (/subsidies).

Coordinators manage their community's rules; a street admin those of every
community in the street. The monthly report can be downloaded as CSV.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from community.csv_export import csv_chunks
from community.models import Community, User
from errors import DomainError
from marketplace import subsidies
from marketplace.clock import local_today, month_start
from marketplace.errors import NotAllowed
from marketplace.formatting import CATEGORY_LABELS
from marketplace.subsidy_forms import BudgetForm, ReportForm, RuleForm, StopForm, yuan_to_fen
from views_common import commit, new_idempotency_key, refuse

bp = Blueprint("subsidies", __name__, url_prefix="/subsidies")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every subsidy page is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


def _communities() -> list[Community]:
    """The communities the signed-in member manages; members are refused."""
    communities = subsidies.manageable_communities(_me())
    if not communities:
        raise NotAllowed(_l("Only coordinators manage community subsidies."))
    return communities


@bp.get("/")
def index():
    """Each community's rules, with their budgets, and buttons to add, stop or change them."""
    communities = _communities()
    return render_template(
        "marketplace/subsidies/index.html",
        rules=[(c, subsidies.rules_of(c, by=_me())) for c in communities],
        stop_form=StopForm(formdata=None),
    )


def _render_new(form: RuleForm, status: int = 200):
    return render_template("marketplace/subsidies/new.html", form=form), status


@bp.route("/new", methods=["GET", "POST"])
def new_rule():
    """Start a subsidy: a community, a kind of service, an age, yuan off each unit, a budget."""
    communities = _communities()
    form = RuleForm()
    form.community.choices = [SelectChoice(str(c.id), c.name) for c in communities]
    if request.method == "GET":
        form.idempotency_key.data = new_idempotency_key()
        return _render_new(form)
    if not form.validate():
        return _render_new(form, 400)
    community = next((c for c in communities if str(c.id) == form.community.data), None)
    if community is None:
        abort(400)
    try:
        subsidies.create_rule(
            community,
            name=form.name.data,
            category=form.category.data or None,
            min_age=form.min_age.data,
            fen_per_unit=yuan_to_fen(form.yuan_per_unit.data),
            monthly_budget_fen=yuan_to_fen(form.monthly_budget_yuan.data),
            by=_me(),
        )
    except DomainError as error:
        return _render_new(form, refuse(error))
    commit()
    flash(_("The subsidy is in force for new bookings."), "success")
    return redirect(url_for("subsidies.index"))


@bp.post("/<int:rule_id>/stop")
def stop(rule_id: int):
    """Stop a subsidy for new bookings; open bookings keep what they reserved."""
    rule = subsidies.rule_for(_me(), rule_id)
    if not StopForm().validate():
        abort(400)
    subsidies.deactivate_rule(rule, by=_me())
    commit()
    flash(_("The subsidy is stopped. Bookings already made keep it."), "success")
    return redirect(url_for("subsidies.index"))


@bp.route("/<int:rule_id>/budget", methods=["GET", "POST"])
def budget(rule_id: int):
    """Change a rule's monthly budget from this month on (never below what is spent)."""
    rule = subsidies.rule_for(_me(), rule_id)
    form = BudgetForm()
    status = 200
    if request.method == "GET":
        form = BudgetForm(formdata=None)
        form.monthly_budget_yuan.data = Decimal(rule.monthly_budget_fen) / 100
    elif form.validate():
        try:
            subsidies.change_budget(rule, yuan_to_fen(form.monthly_budget_yuan.data), by=_me())
        except DomainError as error:
            status = refuse(error)
        else:
            commit()
            flash(_("The budget is changed."), "success")
            return redirect(url_for("subsidies.index"))
    else:
        status = 400
    return render_template("marketplace/subsidies/budget.html", form=form, rule=rule), status


def _report_args() -> tuple[list[Community], date, ReportForm]:
    communities = _communities()
    form = ReportForm(formdata=request.args)
    form.community.choices = [SelectChoice("", _("All communities"))] + [
        SelectChoice(str(c.id), c.name) for c in communities
    ]
    if not form.validate():
        abort(400)
    month = month_start(form.month.data or local_today())
    if form.community.data:
        communities = [c for c in communities if str(c.id) == form.community.data]
    return communities, month, form


@bp.get("/report")
def report():
    """What each rule spent in a month, per community (a street admin sees every community)."""
    communities, month, form = _report_args()
    if not form.month.data:
        form.month.data = month
    lines = [(c, subsidies.report(c, month, by=_me())) for c in communities]
    return render_template(
        "marketplace/subsidies/report.html",
        form=form,
        month=month,
        lines=lines,
        csv_args={"community": form.community.data or "", "month": f"{month:%Y-%m}"},
    )


@bp.get("/report.csv")
def report_csv():
    """The month's report as CSV (UTF-8 with BOM, text cells safe from spreadsheet formulas)."""
    communities, month, _form = _report_args()
    header = [
        _("Community"),
        _("Subsidy"),
        _("Kind of service"),
        _("Minimum age"),
        _("Yuan off each unit"),
        _("Month"),
        _("Budget (yuan)"),
        _("Spent or promised (yuan)"),
        _("Left (yuan)"),
        _("Bookings"),
        _("Residents"),
    ]
    rows = [
        [
            community.name,
            line.rule.name,
            str(CATEGORY_LABELS.get(line.rule.category, _("All kinds"))),
            line.rule.min_age if line.rule.min_age is not None else "",
            _plain_yuan(line.rule.fen_per_unit),
            f"{month:%Y-%m}",
            _plain_yuan(line.budget_fen),
            _plain_yuan(line.spent_fen),
            _plain_yuan(line.left_fen),
            line.bookings,
            line.residents,
        ]
        for community in communities
        for line in subsidies.report(community, month, by=_me())
    ]
    return Response(
        csv_chunks(header, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="linli-subsidies-{month:%Y-%m}.csv"'
        },
    )


def _plain_yuan(fen: int) -> str:
    """Fen as a yuan number for a spreadsheet ("1250" → "12.50"), without the ¥ sign."""
    yuan, cents = divmod(fen, 100)
    return f"{yuan}.{cents:02d}"
