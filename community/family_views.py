"""My family: asking to be linked to an elder, answering such requests, ending links,
and a coordinator's list of requests waiting in their community."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.errors import NotPermitted
from community.family import (
    consent_family_link,
    decline_family_link,
    end_family_link,
    family_overview,
    link_for,
    may_answer,
    pending_link_requests,
    request_family_link,
)
from community.family_forms import FamilyAnswerForm, FamilyRequestForm
from community.models import LinkStatus, User
from community.reach import FAMILY_PERMISSIONS, find_in_street
from errors import DomainError
from views_common import commit, confirm_page, refuse

bp = Blueprint("family", __name__, url_prefix="/family")


def _me() -> User:
    return current_user._get_current_object()


@bp.get("/")
@login_required
def my_family():
    """The member's links both ways, requests waiting for their answer, and their own requests."""
    return render_template("community/family/index.html", overview=family_overview(_me()))


@bp.route("/request", methods=["GET", "POST"])
@login_required
def ask():
    """A relative asks to be linked to an elder; the elder or a coordinator answers."""
    form = FamilyRequestForm()
    status = 200
    if form.validate_on_submit():
        try:
            elder = find_in_street(_me(), form.elder.data)
            request_family_link(
                by=_me(),
                elder=elder,
                relation=form.relation.data or "",
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
                    "Your request was sent. %(name)s or a coordinator will answer.",
                    name=elder.display_name,
                ),
                "info",
            )
            return redirect(url_for("family.my_family"))
    elif form.errors:
        status = 400
    return render_template("community/family/request.html", form=form), status


@bp.route("/requests/<int:link_id>", methods=["GET", "POST"])
@login_required
def answer(link_id: int):
    """The elder (or a coordinator who checked in person) agrees, perhaps to less, or declines."""
    me = _me()
    link = link_for(me, link_id)
    form = FamilyAnswerForm(obj=link if request.method == "GET" else None)
    answering = may_answer(me, link) and link.status == LinkStatus.REQUESTED
    status = 200
    if request.method == "POST":
        decision = request.form.get("decision")
        try:
            if not form.validate_on_submit():
                abort(400)
            if decision == "decline":
                decline_family_link(link, by=me)
                message = _(
                    "You declined the request of %(name)s.", name=link.relative.display_name
                )
            else:
                consent_family_link(
                    link,
                    by=me,
                    may_book=form.may_book.data,
                    may_confirm=form.may_confirm.data,
                    may_receive_gifts=form.may_receive_gifts.data,
                    checked_in_person=form.checked_in_person.data,
                )
                message = _(
                    "%(relative)s may now act for %(elder)s.",
                    relative=link.relative.display_name,
                    elder=link.elder.display_name,
                )
        except DomainError as error:
            status = refuse(error)
            link = link_for(me, link_id)
        else:
            commit()
            flash(message, "info")
            if me.id == link.elder_id:
                return redirect(url_for("family.my_family"))
            return redirect(url_for("family.pending"))
    return render_template(
        "community/family/answer.html",
        link=link,
        form=form,
        answering=answering,
        asked=[right for right in FAMILY_PERMISSIONS if getattr(link, right)],
        for_someone_else=me.id != link.elder_id,
    ), status


def confirm_end_link(link, *, action: str, back: str) -> str:
    """The page that asks before a family link ends (or a request is withdrawn): the
    relative loses what they did for the elder."""
    requested = link.status == LinkStatus.REQUESTED
    return confirm_page(
        question=_("Withdraw this request?") if requested else _("End this family link?"),
        subject=_(
            "%(relative)s, family of %(elder)s",
            relative=link.relative.display_name,
            elder=link.elder.display_name,
        ),
        consequence=_("%(elder)s is no longer asked to agree.", elder=link.elder.display_name)
        if requested
        else _(
            "%(relative)s can no longer book, confirm visits or receive hours for "
            "%(elder)s. They can be linked again later.",
            relative=link.relative.display_name,
            elder=link.elder.display_name,
        ),
        action=action,
        yes=_("Yes, withdraw it") if requested else _("Yes, end the link"),
        back=back,
    )


@bp.get("/links/<int:link_id>/end")
@login_required
def confirm_end(link_id: int):
    """Ask before ending a link or withdrawing a request."""
    me = _me()
    link = link_for(me, link_id)
    if link.status not in (LinkStatus.ACTIVE, LinkStatus.REQUESTED):
        raise NotPermitted(_("This family link has already ended."))
    mine = me.id in (link.elder_id, link.relative_id)
    back = url_for("family.my_family") if mine else url_for("family.pending")
    return confirm_end_link(link, action=url_for("family.end", link_id=link.id), back=back)


@bp.post("/links/<int:link_id>/end")
@login_required
def end(link_id: int):
    """End a link or withdraw a request (the elder, the relative or a coordinator); CSRFProtect checks the token."""
    me = _me()
    link = link_for(me, link_id)
    try:
        end_family_link(link, by=me)
    except DomainError as error:
        refuse(error)
    else:
        commit()
        flash(_("The family link has ended."), "info")
    if me.id in (link.elder_id, link.relative_id):
        return redirect(url_for("family.my_family"))
    return redirect(url_for("family.pending"))


@bp.get("/pending")
@login_required
def pending():
    """Link requests waiting in the coordinator's community, for checking with the elder."""
    return render_template("community/family/pending.html", requests=pending_link_requests(_me()))
