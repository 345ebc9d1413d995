"""The problem pages (/problems): reporting, "my problems", the community's board with
"我也遇到了", a problem's page and its photos, and each step of its follow-through.

Each page reads its form, calls one service, commits, flashes and redirects; a refusal
is shown with its 4xx status and nothing written.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic import problem_flow as flow
from civic import problems
from civic.photos import UPLOAD_MAX_BYTES, uploaded
from civic.problem_forms import (
    AcceptForm,
    AnswerForm,
    CloseForm,
    ConfirmForm,
    DeclineForm,
    MergeForm,
    MeTooForm,
    ReopenForm,
    ReportForm,
)
from civic.problem_labels import CATEGORY_LABELS
from civic.problem_models import Problem, ProblemCategory
from civic.problem_photos import photo_for
from community.models import User
from errors import DomainError
from input_guard import as_id, query_id, uploads
from views_common import commit, form_errors, new_idempotency_key, refuse

bp = Blueprint("problems", __name__, url_prefix="/problems")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Every problem page is for signed-in members."""


def _me() -> User:
    return current_user._get_current_object()


def _show(problem_id: int) -> Response:
    return redirect(url_for("problems.show", problem_id=problem_id))


# --- the resident's pages ---------------------------------------------------------------------


@bp.route("/")
def mine():
    """My problems: those I reported, entered for someone, or follow for an elder."""
    me = _me()
    return render_template(
        "civic/problems/mine.html",
        problems=problems.followed_problems(me),
        works=flow.works_on_problems(me),
    )


@bp.route("/board")
def board():
    """The open problems of my community, without who reported them."""
    return _board_page()


def _board_page(status: int = 200):
    me = _me()
    page = query_id("page") or 1
    shown, more = problems.board(me, page=page)
    return render_template(
        "civic/problems/board.html",
        problems=shown,
        more=more,
        page=page,
        supported=problems.supported_ids(me, shown),
        me_too_form=MeTooForm(),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@uploads(UPLOAD_MAX_BYTES)
def new():
    """Report a problem: first its kind and compound (and for whom), then, after any
    likely duplicates are offered with "我也遇到了", what is wrong and photos."""
    me = _me()
    named = request.args.get("who", "").strip()
    if named and me.is_coordinator:
        # a coordinator or grid worker names the resident they report for: go on as for them
        reporter = problems.reporter_named(me, named)
        values = {k: v for k, v in request.args.items() if k not in ("who", "for")}
        return redirect(url_for("problems.new", **values, **{"for": reporter.id}))
    reporter = problems.reporter_for(me, query_id("for"))
    category = request.args.get("category", "")
    compound_id = query_id("compound")
    places = problems.community_places(reporter)
    if category not in set(ProblemCategory) or compound_id is None:
        return render_template(
            "civic/problems/choose.html",
            reporter=reporter,
            choices=problems.reporting_for_choices(me),
            categories=CATEGORY_LABELS,
            places=places,
            chosen_category=category,
            incomplete="category" in request.args or "compound" in request.args,
            names_residents=me.is_coordinator,
        )
    compound = problems.compound_of_community(reporter, compound_id)
    form = ReportForm()
    form.building.choices = [("", _("Not in a building"))] + [
        (str(b.id), b.name) for b in compound.buildings
    ]
    duplicates = problems.likely_duplicates(reporter, compound.id, category)

    def page(status: int = 200):
        return render_template(
            "civic/problems/new.html",
            form=form,
            reporter=reporter,
            compound=compound,
            category=category,
            duplicates=duplicates,
            supported=problems.supported_ids(me, duplicates),
            me_too_form=MeTooForm(),
        ), status

    if not form.is_submitted():
        form.idempotency_key.data = new_idempotency_key()
        return page()
    if not form.validate():
        flash(form_errors(form), "error")
        return page(400)
    try:
        problem = problems.report_problem(
            by=me,
            reporter=reporter,
            report=problems.NewProblem(
                category=category,
                compound_id=compound.id,
                description=form.description.data,
                urgency=form.urgency.data,
                # a building that cannot be one is refused by the service, never ignored
                building_id=(as_id(form.building.data) or 0) if form.building.data else None,
                spot=form.spot.data or "",
            ),
            photos=uploaded(form.photos),
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as error:
        return page(refuse(error))
    problem_id = problem.id
    commit()
    flash(_("Your report is sent. The community will look at it and tell you."), "success")
    return _show(problem_id)


@bp.route("/<int:problem_id>/me-too", methods=["POST"])
def me_too(problem_id: int):
    """ "我也遇到了": count me once on an open problem of my community (a problem of
    another community is not found, whatever the form says)."""
    me = _me()
    problems.problem_on_board(me, problem_id)
    form = MeTooForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return _board_page(400)
    try:
        problems.me_too(by=me, problem_id=problem_id)
    except DomainError as error:
        return _board_page(refuse(error))
    commit()
    flash(_("Counted: you have this problem too. It is followed as one."), "success")
    return redirect(url_for("problems.board", _anchor=f"problem-{problem_id}"))


@bp.route("/<int:problem_id>")
def show(problem_id: int):
    """A problem whole: where it stands, its history and photos, and my next step."""
    me = _me()
    problem = problems.problem_page(me, problem_id)
    return render_template(
        "civic/problems/show.html",
        problem=problem,
        steps_open=flow.steps_open_to(me, problem),
        holder=flow.holder_name(problem) if problem.was_accepted else None,
        overdue=flow.is_overdue(problem),
        same=flow.merged_into(me, problem),
    )


@bp.route("/<int:problem_id>/photos/<int:photo_id>")
def photo(problem_id: int, photo_id: int):
    """A photo of the problem, to whoever may see the problem whole (else 404)."""
    data, content_type = photo_for(_me(), problem_id, photo_id)
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# --- triage --------------------------------------------------------------------------------------


def _triage_page(problem: Problem, status: int = 200, **forms):
    accept = forms.get("accept") or AcceptForm()
    accept.holder.choices = _holder_choices(problem)
    if not accept.is_submitted():
        accept.holder.data = accept.holder.data or "office"
        accept.due_on.data = accept.due_on.data or flow.default_deadline(problem)
    merge = forms.get("merge") or MergeForm()
    merge.into.choices = [
        (
            str(p.id),
            f"#{p.id} · {CATEGORY_LABELS[p.category]} · {p.compound.name}: {p.description[:30]}",
        )
        for p in flow.merge_choices(problem)
    ]
    page = render_template(
        "civic/problems/triage.html",
        problem=problem,
        accept=accept,
        decline=forms.get("decline") or DeclineForm(),
        merge=merge,
    )
    return page, status


def _holder_choices(problem: Problem) -> list[tuple[str, str]]:
    office = (flow.COMMUNITY_OFFICE, _("The community office itself"))
    return [office] + [(str(o.id), o.name) for o in flow.holder_choices(problem)]


@bp.route("/<int:problem_id>/triage")
def triage(problem_id: int):
    """The coordinator's choice: accept (with who and by when), merge, or decline."""
    return _triage_page(flow.triage_target(_me(), problem_id))


def _triage_step(problem_id: int, form, name: str, act):
    problem = flow.triage_target(_me(), problem_id)
    if not form.validate():
        flash(form_errors(form), "error")
        return _triage_page(problem, 400, **{name: form})
    try:
        act(form)
    except DomainError as error:
        status = refuse(error)
        return _triage_page(flow.triage_target(_me(), problem_id), status, **{name: form})
    commit()
    return _show(problem_id)


@bp.route("/<int:problem_id>/accept", methods=["POST"])
def accept(problem_id: int):
    def act(form):
        flow.accept_problem(
            by=_me(), problem_id=problem_id, holder=form.holder.data, due_on=form.due_on.data
        )
        flash(_("Accepted. Who deals with it, and the reporter, are told."), "success")

    return _triage_step(problem_id, AcceptForm(), "accept", act)


@bp.route("/<int:problem_id>/decline", methods=["POST"])
def decline(problem_id: int):
    def act(form):
        flow.decline_problem(by=_me(), problem_id=problem_id, reason=form.reason.data)
        flash(_("Declined. The reporter is told why."), "success")

    return _triage_step(problem_id, DeclineForm(), "decline", act)


@bp.route("/<int:problem_id>/merge", methods=["POST"])
def merge(problem_id: int):
    def act(form):
        flow.merge_problem(by=_me(), problem_id=problem_id, into_id=as_id(form.into.data) or 0)
        flash(_("Merged. The reporter follows the other report now."), "success")

    return _triage_step(problem_id, MergeForm(), "merge", act)


# --- the holder ------------------------------------------------------------------------------------


@bp.route("/<int:problem_id>/answer", methods=["GET", "POST"])
def answer(problem_id: int):
    """The holder answers the reporter and starts work."""
    me = _me()
    problem = flow.held_target(me, problem_id)
    form = AnswerForm()
    template = "civic/problems/answer.html"
    if not form.is_submitted():
        return render_template(template, problem=problem, form=form)
    if not form.validate():
        return render_template(template, problem=problem, form=form), 400
    try:
        flow.answer_problem(by=me, problem_id=problem_id, note=form.note.data)
    except DomainError as error:
        status = refuse(error)
        return render_template(
            template, problem=flow.held_target(me, problem_id), form=form
        ), status
    commit()
    flash(_("Your answer is sent to the reporter."), "success")
    return _show(problem_id)


@bp.route("/<int:problem_id>/close", methods=["GET", "POST"])
@uploads(UPLOAD_MAX_BYTES)
def close(problem_id: int):
    """The holder says it is dealt with, with a note and photos."""
    me = _me()
    problem = flow.held_target(me, problem_id)
    form = CloseForm()
    template = "civic/problems/close.html"
    if not form.is_submitted():
        return render_template(template, problem=problem, form=form)
    if not form.validate():
        return render_template(template, problem=problem, form=form), 400
    try:
        flow.close_problem(
            by=me, problem_id=problem_id, note=form.note.data, photos=uploaded(form.photos)
        )
    except DomainError as error:
        status = refuse(error)
        return render_template(
            template, problem=flow.held_target(me, problem_id), form=form
        ), status
    commit()
    flash(_("Closed. The reporter is asked to confirm it."), "success")
    return _show(problem_id)


# --- the reporter ------------------------------------------------------------------------------------


@bp.route("/<int:problem_id>/confirm", methods=["GET", "POST"])
def confirm(problem_id: int):
    """The reporter's side confirms it is fixed and rates the handling (or reopens it)."""
    me = _me()
    problem = flow.reporter_target(me, problem_id)
    form = ConfirmForm()
    template = "civic/problems/confirm.html"

    def page(status: int = 200, shown=problem):
        return render_template(template, problem=shown, form=form, reopen=ReopenForm()), status

    if not form.is_submitted():
        return page()
    if not form.validate():
        flash(form_errors(form), "error")
        return page(400)
    try:
        flow.confirm_fixed(
            by=me, problem_id=problem_id, rating=form.rating.data, note=form.note.data or ""
        )
    except DomainError as error:
        status = refuse(error)
        return page(status, flow.reporter_target(me, problem_id))
    commit()
    flash(_("Thank you. Your rating is recorded."), "success")
    return _show(problem_id)


@bp.route("/<int:problem_id>/reopen", methods=["POST"])
def reopen(problem_id: int):
    """The reporter's side says it is not fixed."""
    me = _me()
    problem = flow.reporter_target(me, problem_id)
    form = ReopenForm()
    template = "civic/problems/confirm.html"
    if not form.validate():
        flash(form_errors(form), "error")
        return render_template(template, problem=problem, form=ConfirmForm(), reopen=form), 400
    try:
        flow.reopen_problem(by=me, problem_id=problem_id, reason=form.reason.data)
    except DomainError as error:
        status = refuse(error)
        shown = flow.reporter_target(me, problem_id)
        return render_template(template, problem=shown, form=ConfirmForm(), reopen=form), status
    commit()
    flash(_("Reopened. Who deals with it is told it is not fixed."), "success")
    return _show(problem_id)


# --- staff ------------------------------------------------------------------------------------------------


@bp.route("/work")
def work():
    """What waits for me as staff: reports to triage, problems my party holds, the overdue."""
    me = _me()
    return render_template(
        "civic/problems/work.html", work=flow.work_list(me), today=flow.local_today()
    )
