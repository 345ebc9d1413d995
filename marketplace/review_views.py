"""Rating a completed booking, replies, reports and moderation (/reviews).

Each page reads its form, calls one service, commits, flashes and redirects;
a refusal is shown with its 4xx status. Re-posting a form posts nothing twice:
a booking has one review, a person one report per review, and hiding an
already hidden review is refused.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.models import User
from errors import DomainError
from extensions import db
from marketplace import reviews
from marketplace.access import runs_provider
from marketplace.booking_models import Booking
from marketplace.errors import NotFound
from marketplace.models import Provider
from marketplace.review_forms import ActionForm, HideForm, ReplyForm, ReportForm, ReviewForm
from marketplace.review_models import Review
from views_common import commit, refuse

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every review page is for signed-in members."""


def _me() -> User:
    return current_user._get_current_object()


def _provider_page(provider_id: int, anchor: str = "reviews") -> str:
    return url_for("market.provider", provider_id=provider_id, _anchor=anchor)


@bp.route("/new/<int:booking_id>", methods=["GET", "POST"])
def new(booking_id: int):
    """Rate a completed booking: stars as big radio buttons, and optional text."""
    form = ReviewForm()
    if form.is_submitted():
        if not form.validate():
            booking = db.session.get(Booking, booking_id)
            if booking is None:
                abort(404)
            return _render_new(form, booking, 400)
        try:
            review = reviews.create_review(
                by=_me(), booking_id=booking_id, stars=form.stars.data, text=form.text.data or ""
            )
        except DomainError as error:
            status = refuse(error)
            booking = db.session.get(Booking, booking_id)
            if booking is None:
                abort(404)
            return _render_new(form, booking, status, closed=status != 400)
        provider_id = review.provider_id
        commit()
        flash(_("Thank you. Your rating helps your neighbours choose."), "success")
        return redirect(_provider_page(provider_id))
    booking = reviews.booking_to_review(_me(), booking_id)
    return _render_new(form, booking)


def _render_new(form: ReviewForm, booking: Booking, status: int = 200, closed: bool = False):
    page = render_template(
        "marketplace/reviews/new.html", form=form, booking=booking, closed=closed
    )
    return page, status


def _review(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound(_("No such review."))
    return review


@bp.route("/<int:review_id>/reply", methods=["GET", "POST"])
def reply(review_id: int):
    """The provider's reply (one; posting again edits it)."""
    review = _review(review_id)
    provider = db.session.get(Provider, review.provider_id)
    if not runs_provider(_me(), provider):
        abort(403)
    form = ReplyForm()
    if not form.is_submitted():
        form.text.data = review.reply_text
        return render_template("marketplace/reviews/reply.html", form=form, review=review)
    if not form.validate():
        return render_template("marketplace/reviews/reply.html", form=form, review=review), 400
    try:
        reviews.reply_to_review(by=_me(), review_id=review_id, text=form.text.data)
    except DomainError as error:
        status = refuse(error)
        return render_template(
            "marketplace/reviews/reply.html", form=form, review=_review(review_id)
        ), status
    commit()
    flash(_("Your reply is shown under the review."), "success")
    return redirect(_provider_page(provider.id))


@bp.route("/<int:review_id>/report", methods=["GET", "POST"])
def report(review_id: int):
    """Report a review as abusive (once per person)."""
    review = _review(review_id)
    if review.is_hidden:
        abort(404)
    form = ReportForm()
    if not form.is_submitted():
        return render_template("marketplace/reviews/report.html", form=form, review=review)
    if not form.validate():
        return render_template("marketplace/reviews/report.html", form=form, review=review), 400
    provider_id = review.provider_id
    try:
        reviews.report_review(by=_me(), review_id=review_id, reason=form.reason.data)
    except DomainError as error:
        status = refuse(error)
        return render_template(
            "marketplace/reviews/report.html", form=form, review=_review(review_id)
        ), status
    commit()
    flash(_("Thank you. A coordinator will look at this review."), "success")
    return redirect(_provider_page(provider_id))


@bp.get("/moderation")
def queue():
    """Reported reviews of the providers this coordinator oversees."""
    reported = reviews.moderation_queue(_me())
    return render_template(
        "marketplace/reviews/queue.html", reported=reported, action_form=ActionForm(formdata=None)
    )


@bp.route("/<int:review_id>/hide", methods=["GET", "POST"])
def hide(review_id: int):
    """Hide an abusive review with a reason (never an honest negative one)."""
    review = _review(review_id)
    provider = db.session.get(Provider, review.provider_id)
    reviews.check_may_moderate(_me(), provider)
    form = HideForm()
    template = "marketplace/reviews/hide.html"
    if not form.is_submitted():
        return render_template(template, form=form, review=review, provider=provider)
    if not form.validate():
        return render_template(template, form=form, review=review, provider=provider), 400
    try:
        reviews.hide_review(by=_me(), review_id=review_id, reason=form.reason.data)
    except DomainError as error:
        status = refuse(error)
        review = _review(review_id)
        provider = db.session.get(Provider, review.provider_id)
        return render_template(template, form=form, review=review, provider=provider), status
    commit()
    flash(_("The review is hidden and no longer counts in the rating."), "success")
    return redirect(_provider_page(provider.id))


@bp.post("/<int:review_id>/unhide")
def unhide(review_id: int):
    """Show a hidden review again (a refusal renders the error page with its status)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    review = reviews.unhide_review(by=_me(), review_id=review_id)
    provider_id = review.provider_id
    commit()
    flash(_("The review is shown again and counts in the rating."), "success")
    return redirect(_provider_page(provider_id))


@bp.post("/<int:review_id>/keep")
def keep(review_id: int):
    """Close a review's reports and keep it shown."""
    if not ActionForm().validate_on_submit():
        abort(400)
    reviews.keep_review(by=_me(), review_id=review_id)
    commit()
    flash(_("The review stays; its reports are closed."), "success")
    return redirect(url_for("reviews.queue"))
