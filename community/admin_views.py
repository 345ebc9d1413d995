"""The street admin's pages: the street's communities and their time-bank policies."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from community.admin_forms import PolicyForm
from community.models import Community, Role, User
from community.policies import may_set_policy, update_policy
from errors import DomainError
from extensions import db
from views_common import commit, refuse

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
    return render_template("community/admin/index.html", communities=communities, counts=counts)


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
