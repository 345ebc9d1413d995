"""Mutual-aid pages (/aid): posting a need, the open list, a request's page, offers.

Each page reads its form, calls one service, commits, flashes and redirects; a
service's refusal is shown again with the error's 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from community.models import User
from community.reach import street_communities
from errors import DomainError
from input_guard import query_id
from timebank import aid_access, offers, request_lists, requests
from timebank.aid_forms import (
    WEEKDAY_LABELS,
    ActionForm,
    ApproveForm,
    NeedForm,
    OfferForm,
    RequestFilterForm,
)
from timebank.aid_models import AidRequest, Offer, RequestStatus
from timebank.categories import category_label
from timebank.clock import local_today
from timebank.errors import NotAllowed
from views_common import commit, confirm_page, new_idempotency_key, refuse

bp = Blueprint("aid", __name__, url_prefix="/aid")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every aid page is for signed-in members (anonymous → sign in)."""


def _me() -> User:
    return current_user._get_current_object()


def _for_id() -> int | None:
    return query_id("for")


def _acting_args(member: User) -> dict:
    return {} if member.id == current_user.id else {"for": member.id}


# --- requests ----------------------------------------------------------------------


def _render_need(form: NeedForm, requester: User, status: int = 200, offer: Offer | None = None):
    page = render_template(
        "timebank/aid/new_request.html",
        form=form,
        requester=requester,
        offer=offer,
        acting_args=_acting_args(requester),
    )
    return page, status


@bp.route("/requests/new", methods=["GET", "POST"])
def new_request():
    """Post a need: for oneself, or (``?for=<elder id>``) for an elder one may book for."""
    requester = aid_access.requester_for(_me(), _for_id())
    form = NeedForm()
    if request.method == "GET":
        form.idempotency_key.data = new_idempotency_key()
        form.needed_on.data = local_today()
        return _render_need(form, requester)
    if not form.validate():
        return _render_need(form, requester, 400)
    try:
        posted = requests.post_request(
            form.need(), requester=requester, by=_me(), idempotency_key=form.idempotency_key.data
        )
    except DomainError as error:
        return _render_need(form, requester, refuse(error))
    commit()
    flash(_("Your request is posted. Volunteers nearby can see it now."), "success")
    return redirect(url_for("aid.request_page", request_id=posted.id))


def _community_choices(me: User) -> list[SelectChoice]:
    return [SelectChoice("", _("All communities"))] + [
        SelectChoice(str(c.id), c.name) for c in street_communities(me)
    ]


@bp.get("/requests")
def open_list():
    """Open requests in the street, for volunteers and coordinators, with filters."""
    me = _me()
    request_lists.check_may_see_open_requests(me)
    form = RequestFilterForm(formdata=request.args)
    form.community.choices = _community_choices(me)
    found, status = [], 200
    if form.validate():
        found = request_lists.open_requests(
            me,
            category=form.category.data or None,
            community_id=int(form.community.data) if form.community.data else None,
            on_date=form.on_date.data,
        )
    else:
        status = 400
    return render_template("timebank/aid/open_list.html", form=form, found=found), status


def _render_request(req: AidRequest, status: int = 200, approve_form: ApproveForm | None = None):
    me = _me()
    if approve_form is None:
        approve_form = ApproveForm(formdata=None)
        approve_form.scheduled_date.data = req.needed_on
        approve_form.scheduled_time.data = req.window_start
    page = render_template(
        "timebank/aid/request.html",
        req=req,
        notes=aid_access.private_notes_for(me, req),
        may_take=aid_access.may_take(me, req),
        may_approve=aid_access.may_approve(me, req),
        may_decline=_may_decline(me, req),
        may_cancel=aid_access.may_cancel(me, req),
        approve_form=approve_form,
        action_form=ActionForm(formdata=None),
    )
    return page, status


@bp.get("/requests/<int:request_id>")
def request_page(request_id: int):
    return _render_request(aid_access.request_for(_me(), request_id))


@bp.post("/requests/<int:request_id>/take")
def take(request_id: int):
    req = aid_access.request_for(_me(), request_id)
    if not ActionForm().validate():
        abort(400)
    try:
        requests.take_request(req, volunteer=_me())
    except DomainError as error:
        return _render_request(req, refuse(error))
    commit()
    flash(_("You took this request. You will hear when it is approved."), "success")
    return redirect(url_for("aid.request_page", request_id=req.id))


@bp.post("/requests/<int:request_id>/approve")
def approve(request_id: int):
    req = aid_access.request_for(_me(), request_id)
    form = ApproveForm()
    if not form.validate():
        return _render_request(req, 400, approve_form=form)
    try:
        requests.approve_take(
            req,
            by=_me(),
            scheduled_date=form.scheduled_date.data,
            scheduled_time=form.scheduled_time.data,
        )
    except DomainError as error:
        return _render_request(req, refuse(error), approve_form=form)
    commit()
    flash(_("Approved. The visit is scheduled."), "success")
    return redirect(url_for("aid.request_page", request_id=req.id))


def _may_decline(me: User, req: AidRequest) -> bool:
    return req.status == RequestStatus.TAKEN and (
        me.id == req.volunteer_id or aid_access.may_approve(me, req)
    )


@bp.get("/requests/<int:request_id>/decline")
def confirm_decline(request_id: int):
    """Ask before declining a take: it changes the other side's plans."""
    me = _me()
    req = aid_access.request_for(me, request_id)
    if not _may_decline(me, req):
        raise NotAllowed()
    volunteer_declines = me.id == req.volunteer_id
    return confirm_page(
        question=_("You cannot help after all?") if volunteer_declines else _("Find someone else?"),
        subject=category_label(req.category),
        consequence=_(
            "%(name)s is told, and the request is open again for other volunteers.",
            name=(req.requester if volunteer_declines else req.volunteer).display_name,
        ),
        action=url_for("aid.decline", request_id=req.id),
        yes=_("I cannot help after all") if volunteer_declines else _("No, find someone else"),
        back=url_for("aid.request_page", request_id=req.id),
    )


@bp.get("/requests/<int:request_id>/cancel")
def confirm_cancel(request_id: int):
    """Ask before cancelling a request: a volunteer may already plan to come."""
    me = _me()
    req = aid_access.request_for(me, request_id)
    if not aid_access.may_cancel(me, req):
        raise NotAllowed()
    scheduled = req.status == RequestStatus.SCHEDULED
    return confirm_page(
        question=_("Cancel this request?"),
        subject=category_label(req.category),
        consequence=_("The volunteer is told, and the visit is called off.")
        if req.volunteer_id
        else _("Volunteers no longer see it."),
        action=url_for("aid.cancel", request_id=req.id),
        yes=_("Yes, cancel the request and its visit") if scheduled else _("Yes, cancel it"),
        back=url_for("aid.request_page", request_id=req.id),
    )


@bp.post("/requests/<int:request_id>/decline")
def decline(request_id: int):
    req = aid_access.request_for(_me(), request_id)
    if not ActionForm().validate():
        abort(400)
    try:
        requests.decline_take(req, by=_me())
    except DomainError as error:
        return _render_request(req, refuse(error))
    commit()
    flash(_("The request is open again for other volunteers."), "success")
    if aid_access.may_view_request(_me(), req):
        return redirect(url_for("aid.request_page", request_id=req.id))
    return redirect(url_for("aid.my_requests"))


@bp.post("/requests/<int:request_id>/cancel")
def cancel(request_id: int):
    req = aid_access.request_for(_me(), request_id)
    if not ActionForm().validate():
        abort(400)
    try:
        requests.cancel_request(req, by=_me())
    except DomainError as error:
        return _render_request(req, refuse(error))
    commit()
    flash(_("The request is cancelled."), "success")
    return redirect(url_for("aid.request_page", request_id=req.id))


@bp.get("/my")
def my_requests():
    me = _me()
    return render_template(
        "timebank/aid/my.html",
        mine=request_lists.requests_of(me),
        my_offers=offers.offers_of(me) if me.is_volunteer else [],
    )


@bp.get("/unclaimed")
def unclaimed():
    """The coordinator's list of open requests nobody has taken, flagged first."""
    return render_template(
        "timebank/aid/unclaimed.html", waiting=request_lists.unclaimed_requests(_me())
    )


# --- offers -------------------------------------------------------------------------


@bp.get("/offers")
def offer_list():
    me = _me()
    form = RequestFilterForm(formdata=request.args)
    form.community.choices = _community_choices(me)
    found, status = [], 200
    if form.validate():
        found = offers.list_offers(
            me,
            category=form.category.data or None,
            community_id=int(form.community.data) if form.community.data else None,
        )
    else:
        status = 400
    page = render_template(
        "timebank/aid/offers.html", form=form, found=found, weekday_labels=WEEKDAY_LABELS
    )
    return page, status


def _details(form: OfferForm) -> offers.OfferDetails:
    return offers.OfferDetails(
        category=form.category.data,
        description=(form.description.data or "").strip(),
        areas=(form.areas.data or "").strip(),
        weekdays=tuple(form.weekdays.data or ()),
        available_from=form.available_from.data,
        available_until=form.available_until.data,
    )


def _render_offer_form(form: OfferForm, offer: Offer | None = None, status: int = 200):
    return render_template("timebank/aid/offer_form.html", form=form, offer=offer), status


@bp.route("/offers/new", methods=["GET", "POST"])
def new_offer():
    offers.check_may_offer(_me())
    form = OfferForm()
    if request.method == "GET" or not form.validate():
        return _render_offer_form(form, status=200 if request.method == "GET" else 400)
    try:
        offers.publish_offer(_details(form), by=_me())
    except DomainError as error:
        return _render_offer_form(form, status=refuse(error))
    commit()
    flash(_("Your offer is published."), "success")
    return redirect(url_for("aid.my_requests"))


def _my_offer(offer_id: int) -> Offer:
    return offers.own_offer_for(_me(), offer_id)


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
def edit_offer(offer_id: int):
    offer = _my_offer(offer_id)
    if request.method == "GET":
        form = OfferForm(obj=offer)
        form.weekdays.data = offer.weekday_list
        return _render_offer_form(form, offer)
    form = OfferForm()
    if not form.validate():
        return _render_offer_form(form, offer, 400)
    try:
        offers.update_offer(offer, _details(form), by=_me())
    except DomainError as error:
        return _render_offer_form(form, offer, refuse(error))
    commit()
    flash(_("Your offer is saved."), "success")
    return redirect(url_for("aid.my_requests"))


@bp.post("/offers/<int:offer_id>/pause")
def pause_offer(offer_id: int):
    offer = _my_offer(offer_id)
    if not ActionForm().validate():
        abort(400)
    offers.set_offer_active(offer, by=_me(), active=not offer.active)
    commit()
    flash(
        _("Your offer is visible again.") if offer.active else _("Your offer is paused."), "success"
    )
    return redirect(url_for("aid.my_requests"))


@bp.route("/offers/<int:offer_id>/ask", methods=["GET", "POST"])
def ask_offer(offer_id: int):
    """Ask for an offered service, for oneself or (``?for=``) an elder one may book for."""
    me = _me()
    offer = offers.offer_for(me, offer_id)
    requester = aid_access.requester_for(me, _for_id())
    offers.check_may_ask(offer, requester)
    form = NeedForm()
    if request.method == "GET":
        form.idempotency_key.data = new_idempotency_key()
        form.category.data = offer.category
        form.needed_on.data = local_today()
        return _render_need(form, requester, offer=offer)
    form.category.data = offer.category
    if not form.validate():
        return _render_need(form, requester, 400, offer=offer)
    try:
        asked = offers.ask_for_offer(
            offer,
            form.need(),
            requester=requester,
            by=me,
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as error:
        return _render_need(form, requester, refuse(error), offer=offer)
    commit()
    flash(
        _(
            "Your request went to %(name)s, who will answer soon.",
            name=offer.volunteer.display_name,
        ),
        "success",
    )
    return redirect(url_for("aid.request_page", request_id=asked.id))
