"""Time-bank pages: the member's home (balance and what needs doing)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from timebank.accounts import member_account
from timebank.visits import visits_awaiting, visits_logged_by

bp = Blueprint("timebank", __name__)


@bp.get("/")
@login_required
def home():
    return render_template(
        "timebank/home.html",
        account=member_account(current_user),
        awaiting=visits_awaiting(current_user, limit=10),
        my_visits=visits_logged_by(current_user, limit=5),
    )
