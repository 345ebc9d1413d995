"""Contact-day pages (/civic/contact-days): the list, scheduling, one day with its sign-ups,
recording each topic's answer, closing or cancelling the day, and the printable record.

Each page reads its form, calls one service, commits, flashes and redirects; a
service's refusal is flashed and answered with the error's 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from civic import contact_days
from civic.contact_day_forms import (
    CancelForm,
    HeldForm,
    ScheduleForm,
    SignUpForm,
    TopicOutcomeForm,
)
from civic.contact_day_models import ContactDay, TopicOutcome
from civic.errors import InvalidInput, NotAllowed
from civic.places import community_compounds
from civic.problem_flow import COMMUNITY_OFFICE
from civic.problem_labels import CATEGORY_LABELS
from community.models import Community, User
from community.reach import find_in_street
from errors import DomainError
from extensions import db
from form_limits import local_today
from input_guard import as_id
from views_common import commit, community_from_query, form_errors, refuse

bp = Blueprint("contact_days", __name__, url_prefix="/civic/contact-days")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """Contact days are for signed-in members."""


def _me() -> User:
    return current_user._get_current_object()


@bp.get("/")
def index():
    """The coming contact days (soonest first) and the past ones."""
    coming, past = contact_days.contact_days_for(_me())
    return render_template(
        "civic/contact_days/index.html",
        coming=coming,
        past=past,
        may_schedule=contact_days.may_run(_me(), _me().community),
    )


def _schedule_form(community: Community) -> ScheduleForm:
    form = ScheduleForm()
    form.organisations.choices = [
        SelectChoice(o.id, o.name) for o in contact_days.organisations_to_invite(community)
    ]
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    """A coordinator schedules a contact day for their community."""
    community = community_from_query(_me())
    if not contact_days.may_run(_me(), community):
        raise NotAllowed()
    form = _schedule_form(community)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                day = contact_days.schedule(
                    by=_me(),
                    community=community,
                    held_on=form.held_on.data,
                    starts_at=form.starts_at.data,
                    place=form.place.data,
                    guests=form.guests.data or "",
                    organisation_ids=form.organisations.data or [],
                )
            except DomainError as error:
                status = refuse(error)
            else:
                commit()
                flash(_("The contact day is scheduled. Residents can now sign up."), "success")
                return redirect(url_for("contact_days.show", contact_day_id=day.id))
        else:
            status = 400
    page = render_template("civic/contact_days/new.html", form=form, community=community)
    return page, status


def _sign_up_form(day: ContactDay, *, signed_up_too: bool = False) -> SignUpForm:
    """The sign-up form offering whom the member may sign up (on a post, also those
    signed up already: the service then says so)."""
    form = SignUpForm()
    candidates = contact_days.sign_up_candidates(_me(), day, signed_up_too=signed_up_too)
    form.resident.choices = [SelectChoice(p.id, p.display_name) for p in candidates]
    return form


def _show(day: ContactDay, sign_up_form: SignUpForm | None = None, status: int = 200):
    runs = contact_days.may_run(_me(), day.community)
    page = render_template(
        "civic/contact_days/show.html",
        day=day,
        runs=runs,
        # topics are recorded, and the record closed, from the day of the meeting
        met=day.held_on <= local_today(),
        topics=contact_days.my_topics(_me(), day),
        all_topics=day.topics,
        sign_up_form=sign_up_form or _sign_up_form(day),
        held_form=HeldForm(),
        cancel_form=CancelForm(),
    )
    return page, status


@bp.get("/<int:contact_day_id>")
def show(contact_day_id: int):
    """One contact day: when and where, who attends, the topics, and the sign-up form."""
    return _show(contact_days.contact_day_for(_me(), contact_day_id))


@bp.post("/<int:contact_day_id>/sign-up")
def sign_up(contact_day_id: int):
    """Sign oneself, a linked elder, or (a coordinator) a resident up with a topic."""
    day = contact_days.contact_day_for(_me(), contact_day_id)
    form = _sign_up_form(day, signed_up_too=True)
    if not form.validate():
        flash(form_errors(form), "error")
        return _show(day, form, 400)
    try:
        resident = _resident_named(day, form)
        contact_days.sign_up(by=_me(), contact_day=day, resident=resident, topic=form.topic.data)
    except DomainError as error:
        return _show(day, form, refuse(error))
    commit()
    flash(_("Signed up. The topic will be heard at the contact day."), "success")
    return redirect(url_for("contact_days.show", contact_day_id=day.id))


def _resident_named(day: ContactDay, form: SignUpForm) -> User:
    """The resident the form names: typed by a coordinator, else chosen from the list."""
    if form.who.data and contact_days.may_run(_me(), day.community):
        return find_in_street(_me(), form.who.data)
    chosen = {choice.value for choice in form.resident.choices or []}
    resident_id = as_id(form.resident.data)
    if resident_id not in chosen:
        raise NotAllowed(_("Choose who raises the topic."))
    return db.session.get(User, resident_id)


@bp.post("/<int:contact_day_id>/topics/<int:topic_id>/withdraw")
def withdraw(contact_day_id: int, topic_id: int):
    """Take a sign-up back before the day."""
    day = contact_days.contact_day_for(_me(), contact_day_id)
    topic = contact_days.topic_for(_me(), day, topic_id)
    try:
        contact_days.withdraw(by=_me(), topic=topic)
    except DomainError as error:
        return _show(day, status=refuse(error))
    commit()
    flash(_("The sign-up is taken back."), "success")
    return redirect(url_for("contact_days.show", contact_day_id=day.id))


def _outcome_form(day: ContactDay) -> TopicOutcomeForm:
    form = TopicOutcomeForm()
    form.category.choices = [
        SelectChoice(code, str(name)) for code, name in CATEGORY_LABELS.items()
    ]
    form.compound.choices = [
        SelectChoice(c.id, c.name) for c in community_compounds(day.community_id)
    ]
    form.holder.choices = [SelectChoice(COMMUNITY_OFFICE, _("The community office"))] + [
        SelectChoice(str(o.id), o.name) for o in contact_days.organisations_to_invite(day.community)
    ]
    return form


@bp.route("/<int:contact_day_id>/topics/<int:topic_id>", methods=["GET", "POST"])
def record_topic(contact_day_id: int, topic_id: int):
    """A coordinator records what the meeting did with one topic."""
    day = contact_days.contact_day_for(_me(), contact_day_id)
    topic = contact_days.topic_for(_me(), day, topic_id)
    if not contact_days.may_run(_me(), day.community):
        raise NotAllowed()
    form = _outcome_form(day)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                _save_outcome(topic, form)
            except DomainError as error:
                status = refuse(error)
            else:
                commit()
                flash(_("Recorded. The resident is told."), "success")
                return redirect(url_for("contact_days.show", contact_day_id=day.id))
        else:
            status = 400
    elif topic.outcome != TopicOutcome.WAITING:
        form.outcome.data = topic.outcome
        form.answer.data = topic.answer
    page = render_template("civic/contact_days/topic.html", day=day, topic=topic, form=form)
    return page, status


def _save_outcome(topic, form: TopicOutcomeForm) -> None:
    if form.outcome.data == TopicOutcome.ANSWERED:
        contact_days.answer_on_the_spot(by=_me(), topic=topic, answer=form.answer.data)
        return
    if form.due_on.data is None:
        raise InvalidInput(_("Enter the date by which it must be answered."))
    compound_id = as_id(form.compound.data)
    if compound_id is None:
        raise InvalidInput(_("Choose where the problem is."))
    contact_days.hand_over(
        by=_me(),
        topic=topic,
        agreed=form.answer.data,
        category=form.category.data or "",
        compound_id=compound_id,
        holder=form.holder.data or "",
        due_on=form.due_on.data,
    )


@bp.post("/<int:contact_day_id>/held")
def held(contact_day_id: int):
    """Close the day's record with a summary (every topic must be recorded first)."""
    day = contact_days.contact_day_for(_me(), contact_day_id)
    form = HeldForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return _show(day, status=400)
    try:
        contact_days.mark_held(by=_me(), contact_day=day, summary=form.summary.data or "")
    except DomainError as error:
        return _show(day, status=refuse(error))
    commit()
    flash(_("The record is closed. It can be printed."), "success")
    return redirect(url_for("contact_days.record", contact_day_id=day.id))


@bp.post("/<int:contact_day_id>/cancel")
def cancel(contact_day_id: int):
    """Cancel a coming day; residents who signed up are told why."""
    day = contact_days.contact_day_for(_me(), contact_day_id)
    form = CancelForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return _show(day, status=400)
    try:
        contact_days.cancel(by=_me(), contact_day=day, reason=form.reason.data)
    except DomainError as error:
        return _show(day, status=refuse(error))
    commit()
    flash(_("The contact day is cancelled. Residents who signed up are told."), "success")
    return redirect(url_for("contact_days.show", contact_day_id=day.id))


@bp.get("/<int:contact_day_id>/record")
def record(contact_day_id: int):
    """The meeting's record, to print: each topic with its answer or who answers by when.
    Residents' names show only to the community's coordinators."""
    day = contact_days.contact_day_for(_me(), contact_day_id)
    return render_template(
        "civic/contact_days/record.html",
        day=day,
        runs=contact_days.may_run(_me(), day.community),
    )
