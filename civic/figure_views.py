"""Civic figures (/civic/figures): problems, closing times, satisfaction, repairs and
contact days per community and month, as charts with tables and as CSV.

For coordinators (their community) and street admins (their street); anyone else 403.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_skeleton
from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from charts import Series, stacked_bar_chart
from civic.figures import CivicFigures, MonthFigures, civic_figures
from civic.problem_labels import category_label
from community.csv_export import csv_chunks
from form_limits import local_today
from period_form import PeriodForm
from views_common import form_errors, render_error

bp = Blueprint("civic_figures", __name__, url_prefix="/civic/figures")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """The figures are for signed-in staff."""


def month_label(month: date) -> str:
    """ "2026年1月" / "Jan 2026"."""
    return format_skeleton("yMMM", month, locale=get_locale())


def _period(form: PeriodForm) -> tuple[date, date]:
    """The chosen local days, or the twelve months up to today (this month and the
    eleven before it)."""
    today = local_today()
    year, index = divmod(today.year * 12 + today.month - 1 - 11, 12)
    return form.start.data or date(year, index + 1, 1), form.end.data or today


def problems_chart(figures: CivicFigures) -> Markup:
    """Problems reported per month, stacked by category."""
    return stacked_bar_chart(
        chart_id="chart-problems",
        title=_("Problems reported per month, by kind"),
        desc=_(
            "%(n)s problems reported in the period. The table below gives every number.",
            n=figures.total().reported_total,
        ),
        rows=[
            _("%(month)s: %(n)s", month=month_label(m), n=figures.month_total(m).reported_total)
            for m in figures.months
        ],
        row_names=[month_label(m) for m in figures.months],
        series=[
            Series(
                category_label(code),
                [figures.month_total(m).reported.get(code, 0) for m in figures.months],
            )
            for code in figures.categories()
        ],
    )


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _percent(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _chosen() -> tuple[PeriodForm, date, date, int]:
    """The period form read from the query string, the period it gives (the default
    where it is wrong) and the status to answer with."""
    form = PeriodForm(formdata=request.args)
    if form.validate():
        start, end = _period(form)
        return form, start, end, 200
    start, end = _period(PeriodForm(formdata=None))
    return form, start, end, 400


@bp.get("/")
def index():
    """The figures page for the chosen period (twelve months by default)."""
    form, start, end, status = _chosen()
    figures = civic_figures(current_user, start=start, end=end)
    if status == 200:
        form.start.data, form.end.data = start, end
    page = render_template(
        "civic/figures.html",
        form=form,
        figures=figures,
        start=start,
        end=end,
        chart=problems_chart(figures),
        month_label=month_label,
        number=_number,
        percent=_percent,
    )
    return page, status


# The CSV's columns, in the reader's language.
CSV_HEADER = (
    _l("Community"),
    _l("Month"),
    _l("Problems reported"),
    _l("Problems closed"),
    _l("Median days to close"),
    _l("Closed in time (%)"),
    _l("Satisfaction (1–5)"),
    _l("Repairs done"),
    _l("Contact days held"),
)


def _csv_row(community: str, month: date, cell: MonthFigures) -> list:
    return [
        community,
        month.strftime("%Y-%m"),
        cell.reported_total,
        cell.closed,
        _number(cell.median_days),
        _percent(cell.in_time_percent),
        _number(cell.satisfaction, 2),
        cell.repairs_done,
        cell.contact_days,
    ]


@bp.get("/figures.csv")
def csv():
    """The same figures per community and month, for Excel (UTF-8 with BOM). A wrong
    period is refused with 400 (a file of the default period would mislead)."""
    form, start, end, status = _chosen()
    figures = civic_figures(current_user, start=start, end=end)
    if status != 200:
        return render_error(400, form_errors(form))
    rows = [
        _csv_row(community.name, month, figures.cell(community.id, month))
        for community in figures.communities
        for month in figures.months
    ]
    filename = f"linli-civic-figures-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return Response(
        stream_with_context(csv_chunks([str(c) for c in CSV_HEADER], rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
