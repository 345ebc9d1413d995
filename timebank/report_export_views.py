"""Big report exports: ask for one, watch its progress, download its file.

A report of more rows than one request streams (EXPORT_STREAM_MAX_ROWS) is
written by the worker (timebank/report_exports.py). Its page refreshes itself
every few seconds while the file is written (a meta refresh: no JavaScript) and
shows the download when it is done. Only the member who asked sees it.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from timebank.clock import local_today
from timebank.report_exports import (
    export_file,
    export_for,
    export_period,
    kept_until,
    report_file_name,
    request_export,
)
from timebank.report_forms import ExportForm
from timebank.report_views import chosen_period, default_period
from timebank.reports import REPORT_LABELS
from views_common import commit, form_errors

bp = Blueprint("report_exports", __name__, url_prefix="/reports/exports")

REFRESH_SECONDS = 3


@bp.before_request
@login_required
def signed_in_only():
    """Every export page needs a signed-in member (anonymous → sign in)."""


@bp.post("/")
def start():
    """Ask the worker to write the chosen report to a file; go to its page."""
    form = ExportForm(formdata=request.form)
    if not form.validate():
        return render_template("error.html", status=400, message=form_errors(form)), 400
    today = local_today()
    period = chosen_period(form, default_period(today))
    export = request_export(form.report.data, by=current_user, period=period, today=today)
    commit()
    return redirect(url_for("report_exports.show", export_id=export.id), 303)


@bp.get("/<int:export_id>")
def show(export_id: int):
    """How far the export has got; its download once it is written."""
    export = export_for(export_id, by=current_user)
    return render_template(
        "timebank/reports/export.html",
        export=export,
        report_label=REPORT_LABELS[export.report],
        period=export_period(export),
        kept_until=kept_until(export),
        refresh_seconds=REFRESH_SECONDS if export.in_flight else None,
    )


@bp.get("/<int:export_id>/file")
def download(export_id: int):
    """The written CSV file, as an attachment named after the report and period."""
    export = export_for(export_id, by=current_user)
    return send_file(
        export_file(export),
        mimetype="text/csv",
        as_attachment=True,
        download_name=report_file_name(export.report, export_period(export)),
        max_age=0,
    )
