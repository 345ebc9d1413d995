"""Consultation pages: the list, opening a proposal, its page with the discussion and the
ballot, paper ballots, the result, and the community's council.

Each page reads its form, calls one service, commits, flashes and redirects; a
service's refusal is shown on the form again (or the error page) with its 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic import consultation_services as consultations
from civic import vote_services as votes
from civic.clock import to_utc
from civic.consultation_forms import (
    CommentForm,
    CouncilForm,
    HideCommentForm,
    PaperBallotForm,
    ProposalForm,
    VoteForm,
)
from civic.consultation_models import Consultation, Stage
from civic.errors import NotAllowed, NotFound
from civic.vote_rules import HALF
from community.models import User, utcnow
from community.reach import find_in_street
from errors import DomainError
from extensions import db
from form_limits import local_today
from input_guard import as_id
from views_common import commit, form_errors, refuse

bp = Blueprint("consultations", __name__, url_prefix="/consultations")


def _me() -> User:
    return current_user._get_current_object()


@bp.app_template_filter("area_m2")
def area_m2(dm2: int | None) -> str:
    """Square decimetres as square metres with two decimals ("85.50 m²")."""
    dm2 = dm2 or 0
    return f"{dm2 // 100:,}.{dm2 % 100:02d} m²"


@bp.app_template_filter("share")
def share_text(threshold, strictly: bool = False) -> str:
    """A threshold in plain words: "at least 2/3", "more than half"."""
    if strictly and threshold == HALF:
        return _("more than half")
    fraction = f"{threshold.numerator}/{threshold.denominator}"  # outside: not a msgid
    return _("at least %(share)s", share=fraction)


@bp.get("/")
@login_required
def index():
    """The proposals the member may see, newest first, and the button to open one."""
    me = _me()
    return render_template(
        "civic/consultations/index.html",
        consultations=consultations.consultations_for(me),
        may_open=consultations.may_open(me, me.community),
        may_name_council=consultations.moderates_community(me, me.community),
        now=utcnow(),
    )


def _render_new(form: ProposalForm, status: int = 200):
    return render_template("civic/consultations/new.html", form=form), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A coordinator or council member opens a proposal for their community."""
    me = _me()
    if not consultations.may_open(me, me.community):
        raise NotAllowed()
    form = ProposalForm()
    form.scope.choices = [
        SelectChoice(value, label) for value, label in consultations.scope_choices(me.community)
    ]
    if request.method == "GET":
        return _render_new(form)
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_new(form, 400)
    proposal = consultations.Proposal(
        title=form.title.data,
        body=form.body.data,
        links=form.links.data or "",
        scope=form.scope.data,
        electorate=form.electorate.data,
        matter=form.matter.data,
        secret=form.secret.data,
        voting_opens_at=to_utc(form.opens_on.data, form.opens_at.data),
        voting_closes_at=to_utc(form.closes_on.data, form.closes_at.data),
    )
    try:
        consultation = consultations.open_consultation(
            me, me.community, proposal, today=local_today()
        )
    except DomainError as error:
        return _render_new(form, refuse(error))
    commit()
    flash(_("The proposal is open for discussion."), "success")
    return redirect(url_for("consultations.page", consultation_id=consultation.id))


def _page(consultation: Consultation, status: int = 200, vote_form=None, comment_form=None):
    me = _me()
    now = utcnow()
    entry = votes.roll_entry(consultation, me)
    page = render_template(
        "civic/consultations/page.html",
        c=consultation,
        stage=consultation.stage(now),
        Stage=Stage,
        on_roll=entry is not None,
        cast=votes.participation_of(consultation, me),
        result=votes.result_of(consultation),
        comments=consultations.comments_for(me, consultation),
        moderates=consultations.moderates(me, consultation),
        vote_form=vote_form or VoteForm(formdata=None),
        comment_form=comment_form or CommentForm(formdata=None),
        hide_form=HideCommentForm(formdata=None),
    )
    return page, status


@bp.get("/<int:consultation_id>")
@login_required
def page(consultation_id: int):
    """The proposal: what, where, when; the discussion; the member's ballot."""
    return _page(consultations.consultation_for(_me(), consultation_id))


@bp.post("/<int:consultation_id>/comments")
@login_required
def comment(consultation_id: int):
    """Add a comment to the discussion."""
    consultation = consultations.consultation_for(_me(), consultation_id)
    form = CommentForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return _page(consultation, 400, comment_form=form)
    try:
        consultations.add_comment(_me(), consultation, form.body.data)
    except DomainError as error:
        return _page(consultation, refuse(error), comment_form=form)
    commit()
    flash(_("Your comment was added."), "success")
    return redirect(url_for("consultations.page", consultation_id=consultation_id) + "#comments")


def _moderate(consultation_id: int, comment_id: int, *, hidden: bool):
    consultation = consultations.consultation_for(_me(), consultation_id)
    if not consultations.moderates(_me(), consultation):
        raise NotAllowed()
    reason = ""
    if hidden:
        form = HideCommentForm()
        if not form.validate():
            flash(form_errors(form), "error")
            return _page(consultation, 400)
        reason = form.reason.data
    consultations.set_comment_hidden(_me(), consultation, comment_id, hidden=hidden, reason=reason)
    commit()
    flash(_("The comment is hidden.") if hidden else _("The comment is shown again."), "success")
    return redirect(url_for("consultations.page", consultation_id=consultation_id) + "#comments")


@bp.post("/<int:consultation_id>/comments/<int:comment_id>/hide")
@login_required
def hide_comment(consultation_id: int, comment_id: int):
    """A coordinator hides a comment, with a reason (audited)."""
    return _moderate(consultation_id, comment_id, hidden=True)


@bp.post("/<int:consultation_id>/comments/<int:comment_id>/show")
@login_required
def show_comment(consultation_id: int, comment_id: int):
    """A coordinator shows a hidden comment again (audited)."""
    return _moderate(consultation_id, comment_id, hidden=False)


def _ballot_done(consultation_id: int, cast: votes.Cast, changed: bool):
    commit()
    if cast.receipt:
        flash(
            _(
                "Your vote is counted. Your receipt is %(receipt)s — write it down: "
                "you need it to change your secret vote.",
                receipt=cast.receipt,
            ),
            "success",
        )
    else:
        flash(_("Your vote is changed.") if changed else _("Your vote is counted."), "success")
    return redirect(url_for("consultations.page", consultation_id=consultation_id))


@bp.post("/<int:consultation_id>/vote")
@login_required
def vote(consultation_id: int):
    """The voter casts their ballot (once)."""
    consultation = consultations.consultation_for(_me(), consultation_id)
    form = VoteForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return _page(consultation, 400, vote_form=form)
    try:
        cast = votes.cast_ballot(_me(), consultation, form.choice.data)
    except DomainError as error:
        return _page(consultation, refuse(error), vote_form=form)
    return _ballot_done(consultation_id, cast, changed=False)


@bp.post("/<int:consultation_id>/vote/change")
@login_required
def change_vote(consultation_id: int):
    """The voter changes their ballot while the vote is open."""
    consultation = consultations.consultation_for(_me(), consultation_id)
    form = VoteForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return _page(consultation, 400, vote_form=form)
    try:
        cast = votes.change_ballot(
            _me(), consultation, form.choice.data, receipt=form.receipt.data or ""
        )
    except DomainError as error:
        return _page(consultation, refuse(error), vote_form=form)
    return _ballot_done(consultation_id, votes.Cast(cast.participation, None), changed=True)


def _render_paper(consultation: Consultation, form: PaperBallotForm, status: int = 200):
    open_now = consultation.stage(utcnow()) == Stage.VOTING
    page = render_template(
        "civic/consultations/paper.html", c=consultation, form=form, open_now=open_now
    )
    return page, status


@bp.route("/<int:consultation_id>/paper", methods=["GET", "POST"])
@login_required
def paper(consultation_id: int):
    """A coordinator records a paper ballot on a voter's behalf, with its number."""
    me = _me()
    consultation = consultations.consultation_for(me, consultation_id)
    roll = votes.roll_for_paper(me, consultation)
    form = PaperBallotForm()
    form.voter.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(str(e.member_id), e.member.display_name) for e in roll
    ]
    if request.method == "GET":
        return _render_paper(consultation, form)
    if not form.validate():
        flash(form_errors(form), "error")
        return _render_paper(consultation, form, 400)
    voter = db.session.get(User, as_id(form.voter.data) or 0)
    if voter is None:
        raise NotFound()
    try:
        if votes.participation_of(consultation, voter) is None:
            cast = votes.cast_ballot(
                me,
                consultation,
                form.choice.data,
                voter=voter,
                paper_number=form.paper_number.data,
            )
        else:
            cast = votes.change_ballot(
                me,
                consultation,
                form.choice.data,
                voter=voter,
                paper_number=form.paper_number.data,
                receipt=form.receipt.data or "",
            )
    except DomainError as error:
        return _render_paper(consultation, form, refuse(error))
    commit()
    message = _(
        "Paper ballot %(n)s is recorded for %(name)s.",
        n=form.paper_number.data,
        name=voter.display_name,
    )
    if cast.receipt:
        message += " " + _("Write this receipt on their slip: %(receipt)s", receipt=cast.receipt)
    flash(message, "success")
    return redirect(url_for("consultations.paper", consultation_id=consultation_id))


@bp.post("/<int:consultation_id>/start")
@login_required
def start(consultation_id: int):
    """A coordinator ends the discussion and opens the vote now (audited)."""
    consultation = consultations.consultation_for(_me(), consultation_id)
    consultations.start_voting_now(_me(), consultation)
    commit()
    flash(_("The vote is open."), "success")
    return redirect(url_for("consultations.page", consultation_id=consultation_id))


@bp.post("/<int:consultation_id>/close")
@login_required
def close(consultation_id: int):
    """A coordinator closes the vote now (audited); the result is published."""
    consultation = consultations.consultation_for(_me(), consultation_id)
    consultations.close_voting_now(_me(), consultation)
    commit()
    flash(_("The vote is closed and its result is published."), "success")
    return redirect(url_for("consultations.result", consultation_id=consultation_id))


@bp.get("/<int:consultation_id>/result")
@login_required
def result(consultation_id: int):
    """The result with turnout, each count against its threshold (published at close)."""
    consultation = consultations.consultation_for(_me(), consultation_id)
    stage = consultation.stage(utcnow())
    return render_template(
        "civic/consultations/result.html",
        c=consultation,
        closed=stage == Stage.CLOSED,
        result=votes.result_of(consultation),
        ballots=votes.open_ballots(consultation) if stage == Stage.CLOSED else [],
    )


@bp.route("/council", methods=["GET", "POST"])
@login_required
def council():
    """A coordinator's list of their community's council members, and naming one."""
    me = _me()
    seats = consultations.council_of(me, me.community)
    form = CouncilForm()
    if request.method == "GET":
        return render_template("civic/consultations/council.html", seats=seats, form=form)
    if not form.validate():
        flash(form_errors(form), "error")
        page = render_template("civic/consultations/council.html", seats=seats, form=form)
        return page, 400
    try:
        member = find_in_street(me, form.member.data)
        consultations.name_to_council(me, member)
    except DomainError as error:
        status = refuse(error)
        page = render_template("civic/consultations/council.html", seats=seats, form=form)
        return page, status
    commit()
    flash(_("%(name)s is on the council now.", name=member.display_name), "success")
    return redirect(url_for("consultations.council"))


@bp.post("/council/<int:seat_id>/end")
@login_required
def end_seat(seat_id: int):
    """A coordinator removes a member from the council (audited)."""
    consultations.remove_from_council(_me(), seat_id)
    commit()
    flash(_("The council seat has ended."), "success")
    return redirect(url_for("consultations.council"))
