"""Account decisions on a member's page (/members/<id>): lift a sign-in lock, reset the
password in person, suspend and reinstate, change the role.

Each is a POST from a button on the page; a refusal shows the page again with the
reason and a 4xx status. The services decide who may (community.reach).
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from community.account_admin import (
    account_state,
    change_role,
    reinstate_member,
    suspend_member,
)
from community.account_forms import ConfirmForm, SuspendForm
from community.errors import NotPermitted
from community.large_text import set_large_text
from community.models import Role
from community.password_changes import reset_in_person
from community.services import member_for
from community.sign_in_limits import unlock_sign_in
from community.views import bp, member_page
from errors import DomainError
from views_common import commit, refuse


def _back_to(person):
    return redirect(url_for("community.member", user_id=person.id))


@bp.post("/members/<int:user_id>/unlock")
@login_required
def unlock_member_sign_in(user_id: int):
    """Lift the lock that failed tries put on the member's sign-in."""
    person = member_for(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        return member_page(person, 400)
    try:
        unlocked = unlock_sign_in(person, by=current_user)
    except DomainError as error:
        return member_page(person, refuse(error))
    commit()
    if unlocked:
        flash(_("%(name)s can sign in again now.", name=person.display_name), "info")
    else:
        flash(_("Signing in was not locked for %(name)s.", name=person.display_name), "info")
    return _back_to(person)


@bp.post("/members/<int:user_id>/password-reset")
@login_required
def reset_member_password(user_id: int):
    """Give the member, who is here in person, a one-time code to sign in with."""
    person = member_for(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        return member_page(person, 400)
    try:
        code = reset_in_person(person, by=current_user)
    except DomainError as error:
        return member_page(person, refuse(error))
    commit()
    # Shown once, never stored in the clear: the page must not be kept or cached.
    response = make_response(
        render_template("community/account/one_time_code.html", person=person, code=code)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/members/<int:user_id>/suspend", methods=["GET", "POST"])
@login_required
def suspend(user_id: int):
    """Suspend the member's account, saying why."""
    person = member_for(current_user, user_id)
    state = account_state(current_user, person)
    if not (state.may_suspend or state.may_reinstate):  # theirs to decide either way
        raise NotPermitted(_l("Only a coordinator of this member's community may do this."))
    form = SuspendForm()
    status = 200
    if form.validate_on_submit():
        try:
            suspend_member(person, by=current_user, reason=form.reason.data)
        except DomainError as error:
            status = refuse(error)
        else:
            commit()
            flash(_("The account of %(name)s is suspended.", name=person.display_name), "info")
            return _back_to(person)
    elif form.errors:
        status = 400
    page = render_template("community/account/suspend.html", form=form, person=person)
    return page, status


@bp.post("/members/<int:user_id>/reinstate")
@login_required
def reinstate(user_id: int):
    """Lift the member's suspension."""
    person = member_for(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        return member_page(person, 400)
    try:
        reinstate_member(person, by=current_user)
    except DomainError as error:
        return member_page(person, refuse(error))
    commit()
    flash(_("%(name)s can sign in again.", name=person.display_name), "info")
    return _back_to(person)


@bp.post("/members/<int:user_id>/role")
@login_required
def set_role(user_id: int):
    """Make the member a coordinator of their community, or an ordinary member again."""
    person = member_for(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        return member_page(person, 400)
    role = request.form.get("role", "")
    try:
        change_role(person, by=current_user, role=role)
    except DomainError as error:
        return member_page(person, refuse(error))
    commit()
    if role == Role.COORDINATOR:
        flash(_("%(name)s is now a coordinator.", name=person.display_name), "info")
    else:
        flash(_("%(name)s is now an ordinary member.", name=person.display_name), "info")
    return _back_to(person)


@bp.post("/members/<int:user_id>/large-text")
@login_required
def set_member_large_text(user_id: int):
    """Turn large text (长辈版) on or off for the member, on every device they use."""
    person = member_for(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        return member_page(person, 400)
    choice = request.form.get("large_text", "")
    if choice not in ("on", "off"):
        flash(_("Choose large text on or off."), "error")
        return member_page(person, 400)
    try:
        set_large_text(person, choice == "on", by=current_user)
    except DomainError as error:
        return member_page(person, refuse(error))
    commit()
    if choice == "on":
        flash(_("%(name)s now sees every page in large text.", name=person.display_name), "info")
    else:
        flash(_("%(name)s now sees pages in normal text.", name=person.display_name), "info")
    return _back_to(person)
