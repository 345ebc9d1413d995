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
from marketplace import moderation, reviews
from marketplace.booking_models import Booking
from marketplace.errors import Conflict
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


@bp.app_template_filter("reviewer_name")
def reviewer_name(review: Review) -> str:
    """The reviewer as pages show them to others (王**); see reviews.reviewer_name."""
    return reviews.reviewer_name(review)


@bp.route("/new/<int:booking_id>", methods=["GET", "POST"])
def new(booking_id: int):
    """Rate a completed booking: stars as big radio buttons, and optional text.

    Whoever does not reach the booking gets the error page before anything of the
    booking is read into a page, whatever they post.
    """
    me = _me()
    booking = reviews.booking_to_rate(me, booking_id)
    form = ReviewForm()
    try:
        reviews.check_open_for_rating(booking)
    except Conflict as error:
        return _render_new(form, booking, refuse(error), closed=True)
    if not form.is_submitted():
        return _render_new(form, booking)
    if not form.validate():
        return _render_new(form, booking, 400)
    try:
        review = reviews.create_review(
            by=me, booking_id=booking_id, stars=form.stars.data, text=form.text.data or ""
        )
    except DomainError as error:
        status = refuse(error)
        return _render_new(form, reviews.booking_to_rate(me, booking_id), status, status != 400)
    provider_id = review.provider_id
    commit()
    flash(_("Thank you. Your rating helps your neighbours choose."), "success")
    return redirect(_provider_page(provider_id))


def _render_new(form: ReviewForm, booking: Booking, status: int = 200, closed: bool = False):
    page = render_template(
        "marketplace/reviews/new.html", form=form, booking=booking, closed=closed
    )
    return page, status


@bp.route("/<int:review_id>/reply", methods=["GET", "POST"])
def reply(review_id: int):
    """The provider's reply (one; posting again edits it)."""
    review = reviews.review_to_reply(_me(), review_id)
    provider_id = review.provider_id
    form = ReplyForm()
    template = "marketplace/reviews/reply.html"
    if not form.is_submitted():
        form.text.data = review.reply_text
        return render_template(template, form=form, review=review)
    if not form.validate():
        return render_template(template, form=form, review=review), 400
    try:
        reviews.reply_to_review(by=_me(), review_id=review_id, text=form.text.data)
    except DomainError as error:
        status = refuse(error)
        return render_template(
            template, form=form, review=reviews.review_to_reply(_me(), review_id)
        ), status
    commit()
    flash(_("Your reply is shown under the review."), "success")
    return redirect(_provider_page(provider_id))


@bp.route("/<int:review_id>/report", methods=["GET", "POST"])
def report(review_id: int):
    """Report a review as abusive (once per person)."""
    review = reviews.reportable_review(_me(), review_id)
    provider_id = review.provider_id
    form = ReportForm()
    template = "marketplace/reviews/report.html"
    if not form.is_submitted():
        return render_template(template, form=form, review=review)
    if not form.validate():
        return render_template(template, form=form, review=review), 400
    try:
        reviews.report_review(by=_me(), review_id=review_id, reason=form.reason.data)
    except DomainError as error:
        status = refuse(error)
        return render_template(
            template, form=form, review=reviews.reportable_review(_me(), review_id)
        ), status
    commit()
    flash(_("Thank you. A coordinator will look at this review."), "success")
    return redirect(_provider_page(provider_id))


@bp.get("/moderation")
def queue():
    """Reported reviews by the coordinator's residents (a street admin: of their street)."""
    reported = moderation.moderation_queue(_me())
    return render_template(
        "marketplace/reviews/queue.html", reported=reported, action_form=ActionForm(formdata=None)
    )


@bp.route("/<int:review_id>/hide", methods=["GET", "POST"])
def hide(review_id: int):
    """Hide an abusive review with a reason (never an honest negative one)."""
    review = moderation.review_to_moderate(_me(), review_id)
    provider = review.booking.provider
    form = HideForm()
    template = "marketplace/reviews/hide.html"
    if not form.is_submitted():
        return render_template(template, form=form, review=review, provider=provider)
    if not form.validate():
        return render_template(template, form=form, review=review, provider=provider), 400
    provider_id = provider.id
    try:
        moderation.hide_review(by=_me(), review_id=review_id, reason=form.reason.data)
    except DomainError as error:
        status = refuse(error)
        review = moderation.review_to_moderate(_me(), review_id)
        return render_template(
            template, form=form, review=review, provider=review.booking.provider
        ), status
    commit()
    flash(_("The review is hidden and no longer counts in the rating."), "success")
    return redirect(_provider_page(provider_id))


@bp.post("/<int:review_id>/unhide")
def unhide(review_id: int):
    """Show a hidden review again (a refusal renders the error page with its status)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    review = moderation.unhide_review(by=_me(), review_id=review_id)
    provider_id = review.provider_id
    commit()
    flash(_("The review is shown again and counts in the rating."), "success")
    return redirect(_provider_page(provider_id))


@bp.post("/<int:review_id>/keep")
def keep(review_id: int):
    """Close a review's reports and keep it shown."""
    if not ActionForm().validate_on_submit():
        abort(400)
    moderation.keep_review(by=_me(), review_id=review_id)
    commit()
    flash(_("The review stays; its reports are closed."), "success")
    return redirect(url_for("reviews.queue"))
