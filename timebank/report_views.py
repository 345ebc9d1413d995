"""Figures with charts, CSV reports for funders, and the volunteer service certificate.

Figures and exports are for coordinators (their community) and street admins
(their street); the certificate is for the volunteer and their coordinators.
The services say no (403/404) through the app's DomainError handler.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_skeleton
from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from charts import Bar, Series, bar_chart, stacked_bar_chart
from community.reach import find_in_street
from community.services import member_for
from timebank.categories import category_label
from timebank.clock import local_today
from timebank.figures import BAND_LABELS, Figures, figures_for, figures_scope, first_of_month
from timebank.formatting import format_minutes
from timebank.report_exports import recent_exports, report_file_name
from timebank.report_forms import CertificateLookupForm, ExportForm, PeriodForm
from timebank.reports import (
    REPORT_LABELS,
    ReportPeriod,
    ReportTooLarge,
    certificate_for,
    export_report,
)
from views_common import form_errors

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
@login_required
def signed_in_only():
    """Every report page needs a signed-in member (anonymous → sign in)."""


def month_label(month: date) -> str:
    """ "2026年1月" / "Jan 2026"."""
    return format_skeleton("yMMM", month, locale=get_locale())


def default_period(today: date) -> ReportPeriod:
    """The twelve months the figures show: the first of the month 11 months ago to today."""
    return ReportPeriod(first_of_month(today, 11), today)


def chosen_period(form: PeriodForm, default: ReportPeriod) -> ReportPeriod:
    return ReportPeriod(form.start.data or default.start, form.end.data or default.end)


def monthly_chart(figures: Figures) -> Markup:
    """The hours-per-month stacked bars, one row per month, one series per category."""
    monthly = figures.monthly
    categories = monthly.categories
    return stacked_bar_chart(
        chart_id="chart-monthly",
        title=_("Confirmed hours per month by kind of service"),
        desc=_(
            "%(total)s in the last twelve months. The table below gives every number.",
            total=format_minutes(monthly.total),
        ),
        rows=[
            f"{month_label(m)}: {format_minutes(monthly.month_total(m))}" for m in monthly.months
        ],
        series=[
            Series(
                category_label(code), [monthly.minutes.get((m, code), 0) for m in monthly.months]
            )
            for code in categories
        ],
    )


def liability_chart(figures: Figures) -> Markup:
    """Hours stored by age band, their total, and the guarantee account and fund beside them."""
    owed = figures.liability
    bars = [
        Bar(
            f"{BAND_LABELS[band]}: {format_minutes(owed.stored_by_band.get(band, 0))}",
            owed.stored_by_band.get(band, 0),
        )
        for band in owed.bands
    ]
    bars += [
        Bar(_("All members: %(h)s", h=format_minutes(owed.stored)), owed.stored),
        Bar(_("Guarantee account: %(h)s", h=format_minutes(owed.guarantee)), owed.guarantee),
        Bar(_("Fund: %(h)s", h=format_minutes(owed.fund)), owed.fund),
    ]
    return bar_chart(
        chart_id="chart-liability",
        title=_("Hours stored in members' accounts by age band"),
        desc=_(
            "Members hold %(stored)s; the guarantee account stands at %(guarantee)s.",
            stored=format_minutes(owed.stored),
            guarantee=format_minutes(owed.guarantee),
        ),
        bars=bars,
    )


@bp.get("/")
def index():
    """What the signed-in member may open: their certificate; for coordinators, figures and exports."""
    today = local_today()
    period = default_period(today)
    return render_template(
        "timebank/reports/index.html",
        export_form=ExportForm(formdata=None, start=period.start, end=period.end),
        lookup_form=CertificateLookupForm(formdata=None, start=date(today.year, 1, 1), end=today),
        may_report=current_user.is_coordinator,
        exports=recent_exports(current_user) if current_user.is_coordinator else [],
        report_labels=REPORT_LABELS,
    )


@bp.get("/figures")
def figures():
    """The figures and charts for the coordinator's community or the street admin's street."""
    today = local_today()
    form = PeriodForm(formdata=request.args)
    status = 200
    period = default_period(today)
    if form.validate():
        period = chosen_period(form, period)
    else:
        status = 400
    shown = figures_for(current_user, today=today, served_from=period.start, served_to=period.end)
    return render_template(
        "timebank/reports/figures.html",
        figures=shown,
        form=form,
        monthly_chart=monthly_chart(shown),
        liability_chart=liability_chart(shown),
        month_label=month_label,
        band_labels=BAND_LABELS,
    ), status


@bp.get("/export.csv")
def export():
    """A CSV report (visits, transfers or members) streamed as it is read."""
    figures_scope(current_user)  # members are refused before the form is read
    form = ExportForm(formdata=request.args)
    if not form.validate():
        return render_template("error.html", status=400, message=form_errors(form)), 400
    today = local_today()
    period = chosen_period(form, default_period(today))
    try:
        chunks = export_report(form.report.data, by=current_user, period=period, today=today)
    except ReportTooLarge as too_large:
        # too long for one request: offer to have the worker write it to a file
        return render_template(
            "timebank/reports/export_large.html",
            form=form,
            period=period,
            rows=too_large.rows,
            report_label=REPORT_LABELS[form.report.data],
        )
    filename = report_file_name(form.report.data, period)
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/certificate")
def find_certificate():
    """A coordinator names a volunteer; go to their certificate for the chosen period."""
    if not current_user.is_coordinator:
        abort(403)
    form = CertificateLookupForm(formdata=request.args)
    if not form.validate():
        return render_template("error.html", status=400, message=form_errors(form)), 400
    volunteer = member_for(current_user, find_in_street(current_user, form.volunteer.data).id)
    args = {k: getattr(form, k).data.isoformat() for k in ("start", "end") if getattr(form, k).data}
    return redirect(url_for("reports.certificate", user_id=volunteer.id, **args))


@bp.get("/certificates/<int:user_id>")
def certificate(user_id: int):
    """The printable volunteer service certificate (志愿服务证明) for a period."""
    today = local_today()
    form = PeriodForm(formdata=request.args)
    if not form.validate():
        return render_template("error.html", status=400, message=form_errors(form)), 400
    period = chosen_period(form, ReportPeriod(date(today.year, 1, 1), today))
    shown = certificate_for(user_id, by=current_user, period=period, today=today)
    form.start.data, form.end.data = period.start, period.end
    return render_template("timebank/reports/certificate.html", certificate=shown, form=form)
