"""Group-session pages: a coordinator logs one activity for many volunteers, lists the
community's sessions, and opens one to see its participants and their transfers.

Each page reads its form, calls one service, commits, flashes and redirects; a
service's refusal is shown on the form again with the error's 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.models import Community, User
from errors import DomainError
from timebank import group_sessions
from timebank.clock import local_today
from timebank.group_session_forms import GroupSessionForm
from views_common import commit, community_from_query, new_idempotency_key, refuse

bp = Blueprint("groups", __name__, url_prefix="/groups")


def _me() -> User:
    return current_user._get_current_object()


@bp.get("/")
@login_required
def index():
    """The group sessions of the communities the coordinator looks after, newest first."""
    return render_template(
        "timebank/groups/index.html", sessions=group_sessions.sessions_for(_me())
    )


def _render_new(form: GroupSessionForm, community: Community, status: int = 200):
    page = render_template("timebank/groups/new.html", form=form, community=community)
    return page, status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A coordinator logs a community activity once; every participant is credited."""
    community = community_from_query(_me())
    group_sessions.check_may_log(_me(), community)
    form = GroupSessionForm()
    if request.method == "GET":
        form.held_on.data = local_today()
        form.idempotency_key.data = new_idempotency_key()
        return _render_new(form, community)
    if not form.validate():
        return _render_new(form, community, 400)
    try:
        session = group_sessions.log_group_session(
            community=community,
            title=form.title.data,
            category=form.category.data,
            held_on=form.held_on.data,
            minutes=form.minutes.data,
            participant_lines=form.participants.data.splitlines(),
            note=form.note.data or "",
            by=_me(),
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as error:
        return _render_new(form, community, refuse(error))
    commit()
    flash(
        _(
            "Group session logged: %(n)s participants were credited.",
            n=len(session.participants),
        ),
        "success",
    )
    return redirect(url_for("groups.session_page", session_id=session.id))


@bp.get("/<int:session_id>")
@login_required
def session_page(session_id: int):
    """One session: what, when, who entered it, and each participant's credited transfer."""
    session = group_sessions.session_for(_me(), session_id)
    return render_template(
        "timebank/groups/session.html",
        session=session,
        may_log=group_sessions.may_log_for(_me(), session.community),
    )
