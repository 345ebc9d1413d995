"""Language, the elder-mode switch, and coordinators' member pages.

Community pages show people and family links; their hours and the actions
taken for them live on the coordinator's desk (timebank.desk_views). Signing
in and out and passwords are in community.auth_views, account decisions about
a member in community.account_admin_views (both on this blueprint).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.account_admin import account_state
from community.account_forms import ConfirmForm
from community.errors import NotPermitted, PossibleDuplicate
from community.family import link_for
from community.family_views import confirm_end_link
from community.forms import FamilyLinkForm, MemberFlagsForm, NewMemberForm
from community.large_text import device_wants_large_text, remember_on_device, set_large_text
from community.models import FamilyLink, LinkStatus, utcnow
from community.reach import coordinates, find_in_street
from community.services import (
    NEW_MEMBER_DAYS,
    create_member,
    family_links_of,
    link_family,
    member_for,
    new_members,
    revoke_family_link,
    search_members,
    update_member_flags,
)
from config import Config
from errors import DomainError
from extensions import db
from views_common import commit, refuse

RECENT_MEMBERS_LISTED = 200  # a street's busiest fortnight; the search finds anyone else

bp = Blueprint("community", __name__)


def safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("timebank.home")


@bp.post("/language")
def set_language():
    chosen = request.form.get("locale")
    if chosen in Config.LANGUAGES:
        session["locale"] = chosen
    return redirect(safe_next(request.form.get("next")))


@bp.post("/elder-mode")
def toggle_elder_mode():
    """Switch large text (长辈版) on or off: the member's own setting when signed in, and
    this browser's either way."""
    if current_user.is_authenticated:
        on = not current_user.large_text
        set_large_text(current_user, on, by=current_user)
        commit()
    else:
        on = not device_wants_large_text(request)
    response = redirect(safe_next(request.form.get("next")))
    remember_on_device(response, on)
    return response


# --- Coordinators: finding and adding members, their details and family links ---


def _coordinators_only() -> None:
    if not current_user.is_coordinator:
        abort(403)


@bp.get("/members")
@login_required
def members():
    """Search the members of the communities the coordinator looks after; with
    ?joined=recent, those who joined in the last two weeks (the desk shows the newest)."""
    query = request.args.get("q", "").strip()[:60]
    joined = None
    if request.args.get("joined") == "recent" and not query:
        joined = new_members(
            current_user, since=utcnow() - NEW_MEMBER_DAYS, limit=RECENT_MEMBERS_LISTED
        )
        found = joined.shown
    else:
        found = search_members(current_user, query)
    return render_template(
        "community/members.html", query=query, found=found, joined=joined, today=date.today()
    )


@bp.route("/members/new", methods=["GET", "POST"])
@login_required
def new_member():
    """Open an account for a resident, often an elder with no phone who never signs in."""
    _coordinators_only()
    form = NewMemberForm()
    status = 200
    duplicates = None
    if form.validate_on_submit():
        try:
            member = create_member(
                by=current_user,
                community=current_user.community,
                display_name=form.display_name.data,
                birth_date=form.birth_date.data,
                phone=form.phone.data,
                username=form.username.data,
                password=form.password.data,
                is_volunteer=form.is_volunteer.data,
                is_priority=form.is_priority.data,
                has_hardship=form.has_hardship.data,
                different_person=form.different_person.data,
            )
        except PossibleDuplicate as error:
            # shown on the form itself, naming whom, with the box to tick if it may be ticked
            db.session.rollback()
            duplicates, status = error, error.http_status
        except DomainError as error:
            status = refuse(error)
        else:
            commit()
            flash(_("%(name)s now has an account.", name=member.display_name), "info")
            return redirect(url_for("community.member", user_id=member.id))
    elif form.errors:
        status = 400
    page = render_template("community/new_member.html", form=form, duplicates=duplicates)
    return page, status


@bp.get("/members/<int:user_id>")
@login_required
def member(user_id: int):
    """A member's details and family links, for a coordinator of their community."""
    return member_page(member_for(current_user, user_id))


def member_page(person, status: int = 200):
    """The member's page (with ``status``: also the answer to a refused account action)."""
    relatives, elders = family_links_of(person)
    page = render_template(
        "community/member.html",
        person=person,
        relatives=relatives,
        elders=elders,
        account=account_state(current_user, person),
        confirm=ConfirmForm(),
        today=date.today(),
    )
    return page, status


@bp.route("/members/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(user_id: int):
    """Mark a member as volunteer, priority elder (重点关爱对象) or in hardship."""
    person = member_for(current_user, user_id)
    form = MemberFlagsForm(obj=person)
    status = 200
    if form.validate_on_submit():
        try:
            update_member_flags(
                person,
                by=current_user,
                is_volunteer=form.is_volunteer.data,
                is_priority=form.is_priority.data,
                has_hardship=form.has_hardship.data,
                birth_date=form.birth_date.data,
            )
        except DomainError as error:
            status = refuse(error)
        else:
            commit()
            flash(_("The details of %(name)s are saved.", name=person.display_name), "info")
            return redirect(url_for("community.member", user_id=person.id))
    elif form.errors:
        status = 400
    return render_template("community/edit_member.html", form=form, person=person), status


@bp.route("/members/<int:user_id>/family", methods=["GET", "POST"])
@login_required
def family(user_id: int):
    """The elder (or a coordinator who checked in person) links a relative who may act for them."""
    elder = member_for(current_user, user_id, allow_self=True)
    form = FamilyLinkForm()
    status = 200
    if form.validate_on_submit():
        try:
            relative = find_in_street(current_user, form.relative.data)
            link_family(
                by=current_user,
                elder=elder,
                relative=relative,
                relation=(form.relation.data or "").strip(),
                may_book=form.may_book.data,
                may_confirm=form.may_confirm.data,
                may_receive_gifts=form.may_receive_gifts.data,
            )
        except DomainError as error:
            status = refuse(error)
        else:
            commit()
            flash(
                _(
                    "%(relative)s may now act for %(elder)s.",
                    relative=relative.display_name,
                    elder=elder.display_name,
                ),
                "info",
            )
            return redirect(url_for("community.family", user_id=elder.id))
    elif form.errors:
        status = 400
    relatives, elders = family_links_of(elder)
    return render_template(
        "community/family.html",
        form=form,
        elder=elder,
        relatives=relatives,
        elders=elders,
    ), status


@bp.get("/family-links/<int:link_id>/revoke")
@login_required
def confirm_revoke_link(link_id: int):
    """Ask before a family link ends (from the coordinator's family page of an elder)."""
    link = link_for(current_user, link_id)
    if link.status != LinkStatus.ACTIVE:
        raise NotPermitted(_("This family link has already ended."))
    return confirm_end_link(
        link,
        action=url_for("community.revoke_link", link_id=link.id),
        back=url_for("community.family", user_id=link.elder_id),
    )


@bp.post("/family-links/<int:link_id>/revoke")
@login_required
def revoke_link(link_id: int):
    """End a family link (the elder, the relative or a coordinator may); CSRFProtect checks the token."""
    link = db.get_or_404(FamilyLink, link_id)
    elder_id = link.elder_id
    revoke_family_link(link, by=current_user)
    commit()
    flash(_("The family link has ended."), "info")
    if current_user.id == elder_id or coordinates(current_user, link.elder):
        return redirect(url_for("community.family", user_id=elder_id))
    return redirect(url_for("timebank.home"))
