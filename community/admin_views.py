"""The street admin's pages: the street's communities and their time-bank policies, and
the street's audit log (a page and a CSV)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from community import audit_labels, audit_queries
from community.admin_forms import AuditFilterForm, PolicyForm
from community.models import Community, Role, User
from community.outbox import failing_mail
from community.policies import may_set_policy, update_policy
from errors import DomainError
from extensions import db
from form_limits import local_today
from views_common import commit, form_errors, refuse

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def street_admins_only():
    if current_user.role != Role.STREET_ADMIN:
        abort(403)


@bp.get("/")
def index():
    counts = dict(
        db.session.execute(
            select(User.community_id, func.count(User.id)).group_by(User.community_id)
        ).all()
    )
    communities = db.session.scalars(
        select(Community)
        .where(Community.street_id == current_user.community.street_id)
        .order_by(Community.name)
    ).all()
    failing, _rows = failing_mail(current_user.community.street_id, limit=0)
    return render_template(
        "community/admin/index.html", communities=communities, counts=counts, failing=failing
    )


@bp.get("/outbox")
def outbox():
    """Mail to the street's members that could not be sent after several tries."""
    failing, rows = failing_mail(current_user.community.street_id)
    return render_template("community/admin/outbox.html", failing=failing, rows=rows)


@bp.route("/communities/<int:community_id>/policy", methods=["GET", "POST"])
def policy(community_id: int):
    community = db.get_or_404(Community, community_id)
    if not may_set_policy(current_user, community):
        abort(403)
    form = PolicyForm(
        data={
            "floor_hours": -community.floor_minutes // 60,
            "storage_cap_hours": community.storage_cap_minutes // 60,
            "daily_cap_hours": community.daily_earning_cap_minutes // 60,
            "redeem_min_age": community.redeem_min_age,
            "hardship_redeem_min_age": community.hardship_redeem_min_age,
            "elder_services_paid_by": community.elder_services_paid_by,
            "gift_recipients": community.gift_recipients,
        }
    )
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                update_policy(
                    community,
                    by=current_user,
                    floor_minutes=-form.floor_hours.data * 60,
                    storage_cap_minutes=form.storage_cap_hours.data * 60,
                    daily_earning_cap_minutes=form.daily_cap_hours.data * 60,
                    redeem_min_age=form.redeem_min_age.data,
                    hardship_redeem_min_age=form.hardship_redeem_min_age.data,
                    elder_services_paid_by=form.elder_services_paid_by.data,
                    gift_recipients=form.gift_recipients.data,
                )
            except DomainError as error:
                status = refuse(error)
            else:
                commit()
                flash(_("The rules of %(name)s are saved.", name=community.name), "info")
                return redirect(url_for("admin.index"))
    return render_template("community/admin/policy.html", form=form, community=community), status


# --- the audit log -----------------------------------------------------------------------

FILTER_ARGS = ("start", "end", "action", "actor", "subject", "community")
# the service's names for the filters, to the form's fields
AUDIT_FIELDS = {
    "start": "start",
    "end": "end",
    "action": "action",
    "actor": "actor",
    "subject": "subject",
    "community_id": "community",
}


def _audit_form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.set_choices(
        audit_labels.action_choices(), audit_queries.street_community_choices(current_user)
    )
    return form


def _audit_filter(form: AuditFilterForm) -> audit_queries.AuditFilter:
    return audit_queries.AuditFilter(
        start=form.start.data,
        end=form.end.data,
        action=form.action.data or None,
        actor=form.actor.data or "",
        subject=form.subject.data or "",
        community_id=form.community_id,
    )


@bp.get("/audit")
def audit():
    """The street's audit log, newest first, a page at a time, with filters."""
    form = _audit_form()
    filter_args = {key: request.args[key] for key in FILTER_ARGS if request.args.get(key)}
    page, problem, status = None, None, 200
    if not form.validate():
        problem, status = form_errors(form), 400
    else:
        try:
            scope = audit_queries.audit_scope(current_user, _audit_filter(form))
            page = audit_queries.audit_page(scope, older_than=form.older_than_id)
        except audit_queries.InvalidAuditFilter as error:
            problem, status = str(error.message), error.http_status
            field = AUDIT_FIELDS.get(error.field or "")
            if field is not None:  # marked beside the field too, where the eye is
                form[field].errors = [*form[field].errors, problem]
    return render_template(
        "community/admin/audit.html",
        form=form,
        page=page,
        problem=problem,
        filter_args=filter_args,
        paged=bool(form.older_than.data),
        labels=audit_labels,
    ), status


@bp.get("/audit.csv")
def audit_csv():
    """The same entries (every page) as a CSV download, streamed as it is read."""
    form = _audit_form()
    if not form.validate():
        return render_template("error.html", status=400, message=form_errors(form)), 400
    # a refused filter answers through the app's DomainError handler (400, or 403)
    scope = audit_queries.audit_scope(current_user, _audit_filter(form))
    filename = f"linli-audit-{local_today():%Y%m%d}.csv"
    return Response(
        stream_with_context(audit_queries.audit_csv(scope)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
