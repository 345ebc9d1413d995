"""Rounds: a volunteer's scheduled visits (check in, check out, the elder's card), and the
coordinator's pages for recording visits, confirmation cards and call-backs.

Each page reads its form, calls one service, commits, flashes and redirects; a
service's refusal is shown again with the error's 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.errors import MemberNotFound
from community.models import User
from community.reach import find_in_street
from errors import DomainError
from extensions import db
from storage import writes_on_get
from timebank import callbacks, cards, scheduling, visit_access
from timebank.card_qr import card_qr_svg
from timebank.clock import local_today
from timebank.errors import AlreadySettled, NotAllowed
from timebank.formatting import format_minutes
from timebank.visit_forms import (
    CallbackForm,
    CardCodeForm,
    RecordVisitForm,
    ScheduleVisitForm,
    VisitActionForm,
)
from timebank.visit_models import Visit, VisitStatus
from views_common import commit, confirm_page, refuse

bp = Blueprint("visits", __name__, url_prefix="/rounds")


def _me() -> User:
    return current_user._get_current_object()


# --- a volunteer's rounds -----------------------------------------------------------------


@bp.get("/")
@login_required
def rounds():
    """The signed-in volunteer's visits today and ahead, each with its one next step."""
    return render_template(
        "timebank/rounds/index.html",
        visits=visit_access.rounds_of(_me()),
        today=local_today(),
        form=VisitActionForm(formdata=None),
    )


def _render_schedule(form: ScheduleVisitForm, status: int = 200):
    return render_template("timebank/rounds/schedule.html", form=form), status


def _find(field) -> User | None:
    """The member a form field names, or None with the error on the field."""
    try:
        return find_in_street(current_user, field.data)
    except MemberNotFound as error:
        field.errors = [*field.errors, str(error.message)]
        return None


@bp.route("/schedule", methods=["GET", "POST"])
@login_required
def schedule():
    """Plan a visit: the person visited, family allowed to book for them, or their coordinator."""
    form = ScheduleVisitForm()
    if not form.is_submitted():
        # the visited person's side plans: a member plans for themself by default
        form.recipient.data = "" if current_user.is_coordinator else current_user.login_name
        form.scheduled_date.data = local_today()
        return _render_schedule(form)
    if not form.validate():
        return _render_schedule(form, 400)
    volunteer, recipient = _find(form.volunteer), _find(form.recipient)
    if volunteer is None or recipient is None:
        db.session.rollback()
        return _render_schedule(form, 404)
    try:
        visit = scheduling.schedule_visit(
            volunteer=volunteer,
            recipient=recipient,
            category=form.category.data,
            scheduled_date=form.scheduled_date.data,
            scheduled_time=form.scheduled_time.data,
            by=_me(),
            note=form.note.data or "",
        )
    except DomainError as error:
        return _render_schedule(form, refuse(error))
    commit()
    flash(_("The visit is planned."), "success")
    return redirect(url_for("visits.visit", visit_id=visit.id))


def _render_visit(visit: Visit, status: int = 200):
    me = _me()
    page = render_template(
        "timebank/rounds/visit.html",
        visit=visit,
        today=local_today(),
        is_volunteer=me.id == visit.volunteer_id,
        may_call_off=scheduling.may_call_off(me, visit),
        recipient_phone=visit_access.recipient_phone_for(me, visit),
        may_record=scheduling.may_record(me, visit),
        form=VisitActionForm(formdata=None),
    )
    return page, status


@bp.get("/visits/<int:visit_id>")
@login_required
def visit(visit_id: int):
    return _render_visit(visit_access.scheduled_visit_for(_me(), visit_id))


@bp.post("/visits/<int:visit_id>/check-in")
@login_required
def check_in(visit_id: int):
    visit = visit_access.scheduled_visit_for(_me(), visit_id)
    if not VisitActionForm().validate():
        return _render_visit(visit, 400)
    try:
        scheduling.check_in(visit, by=_me())
    except DomainError as error:
        return _render_visit(visit, refuse(error))
    commit()
    flash(_("Checked in. Check out when you leave."), "success")
    return redirect(url_for("visits.visit", visit_id=visit.id))


@bp.post("/visits/<int:visit_id>/check-out")
@login_required
def check_out(visit_id: int):
    visit = visit_access.scheduled_visit_for(_me(), visit_id)
    if not VisitActionForm().validate():
        return _render_visit(visit, 400)
    try:
        scheduling.check_out(visit, by=_me())
    except DomainError as error:
        return _render_visit(visit, refuse(error))
    commit()
    flash(
        _("Checked out: %(time)s.", time=format_minutes(visit.service_record.minutes)),
        "success",
    )
    if visit.volunteer_id == current_user.id:
        return redirect(url_for("visits.card_code", visit_id=visit.id))
    return redirect(url_for("visits.visit", visit_id=visit.id))


def _call_off(visit_id: int, service, message: str):
    visit = visit_access.scheduled_visit_for(_me(), visit_id)
    form = VisitActionForm()
    if not form.validate():
        return _render_visit(visit, 400)
    try:
        service(visit, by=_me(), reason=form.reason.data or "")
    except DomainError as error:
        return _render_visit(visit, refuse(error))
    commit()
    flash(message, "success")
    return redirect(url_for("visits.visit", visit_id=visit.id))


def _confirm_call_off(visit_id: int, *, skip: bool):
    """Ask before calling a visit off: the other side plans their day around it."""
    me = _me()
    visit = visit_access.scheduled_visit_for(me, visit_id)
    if visit.status != VisitStatus.SCHEDULED or not scheduling.may_call_off(me, visit):
        raise NotAllowed()
    other = visit.recipient if me.id == visit.volunteer_id else visit.volunteer
    return confirm_page(
        question=_("Skip this visit?") if skip else _("Cancel this visit?"),
        subject=_(
            "%(name)s, %(day)s",
            name=other.display_name,
            day=format_date(visit.scheduled_date, "full"),
        ),
        consequence=_("Only this one visit is left out; the care plan goes on.")
        if skip
        else _("%(name)s is told that the visit will not happen.", name=other.display_name),
        action=url_for("visits.skip" if skip else "visits.cancel", visit_id=visit.id),
        yes=_("Yes, skip this visit") if skip else _("Yes, cancel this visit"),
        back=url_for("visits.visit", visit_id=visit.id),
    )


@bp.get("/visits/<int:visit_id>/skip")
@login_required
def confirm_skip(visit_id: int):
    return _confirm_call_off(visit_id, skip=True)


@bp.get("/visits/<int:visit_id>/cancel")
@login_required
def confirm_cancel(visit_id: int):
    return _confirm_call_off(visit_id, skip=False)


@bp.post("/visits/<int:visit_id>/skip")
@login_required
def skip(visit_id: int):
    return _call_off(visit_id, scheduling.skip_visit, _("This visit is skipped."))


@bp.post("/visits/<int:visit_id>/cancel")
@login_required
def cancel(visit_id: int):
    return _call_off(visit_id, scheduling.cancel_visit, _("This visit is cancelled."))


# --- the elder's card code at the end of a visit -----------------------------------------


def _render_card_code(entry, form: CardCodeForm, status: int = 200, *, visit=None, problem=None):
    if entry is not None:
        form.code.label.text = _("The number in box %(box)s", box=entry.position)
    page = render_template(
        "timebank/rounds/card_code.html",
        entry=entry,
        visit=visit or entry.visit,
        form=form,
        problem=problem,
    )
    return page, status


@bp.route("/visits/<int:visit_id>/card", methods=["GET", "POST"])
@writes_on_get  # the first look chooses the box of the card this visit asks for
@login_required
def card_code(visit_id: int):
    """After check-out the volunteer asks the elder to read out one box of their card."""
    visit = visit_access.scheduled_visit_for(_me(), visit_id)
    form = CardCodeForm()
    try:
        entry = cards.card_entry_for(_me(), visit)
    except AlreadySettled:
        db.session.rollback()
        return redirect(url_for("timebank.visit", record_id=visit.service_record_id))
    except cards.CardNotUsable as error:
        db.session.rollback()
        status = error.http_status if form.is_submitted() else 200
        return _render_card_code(None, form, status, visit=visit, problem=error.message)
    commit()  # the box asked for is kept: a reload asks for the same one
    if not form.is_submitted():
        return _render_card_code(entry, form)
    if not form.validate():
        return _render_card_code(entry, form, 400)
    try:
        cards.confirm_with_card(visit, form.code.data, by=_me())
    except cards.CountedCardTry as error:
        commit()  # only the counted try was written: it must count against the hourly limit
        flash(str(error.message), "error")
        form.code.data = ""
        return _render_card_code(entry, form, error.http_status)
    except DomainError as error:
        return _render_card_code(entry, form, refuse(error))
    commit()
    record = entry.record
    flash(
        _(
            "Confirmed with %(name)s's card. %(time)s are yours. Thank you!",
            name=record.recipient.display_name,
            time=format_minutes(record.minutes),
        ),
        "success",
    )
    return redirect(url_for("timebank.visit", record_id=record.id))


@bp.get("/scan/<public_id>")
@login_required
def scanned_card(public_id: str):
    """Where the QR code on an elder's card leads the phone's camera: the signed-in
    volunteer's card page for their visit to that elder (or the visit, to check out first)."""
    scanned = cards.visit_for_scanned_card(_me(), public_id[:40])
    if scanned.ready:
        return redirect(url_for("visits.card_code", visit_id=scanned.visit.id))
    flash(_("Check out of the visit first; then the card page opens."), "info")
    return redirect(url_for("visits.visit", visit_id=scanned.visit.id))


# --- the coordinator: recording, cards, call-backs ----------------------------------------


def _render_record(visit: Visit, form: RecordVisitForm, status: int = 200):
    return render_template("timebank/rounds/record.html", visit=visit, form=form), status


@bp.route("/visits/<int:visit_id>/record", methods=["GET", "POST"])
@login_required
def record(visit_id: int):
    """A coordinator records a planned visit's times afterwards, for the volunteer."""
    visit = visit_access.scheduled_visit_for(_me(), visit_id)
    scheduling.check_may_record(_me(), visit)
    form = RecordVisitForm()
    if not form.is_submitted():
        return _render_record(visit, form)
    if not form.validate():
        return _render_record(visit, form, 400)
    try:
        scheduling.record_visit(
            visit, by=_me(), started_at=form.started_at.data, ended_at=form.ended_at.data
        )
    except DomainError as error:
        return _render_record(visit, form, refuse(error))
    commit()
    flash(_("Visit recorded. It is waiting for confirmation."), "success")
    return redirect(url_for("timebank.visit", record_id=visit.service_record_id))


def _render_card_admin(elder: User, status: int = 200):
    card = cards.active_card(elder)
    page = render_template(
        "timebank/rounds/card_admin.html",
        elder=elder,
        card=card,
        boxes_left=cards.boxes_left(card) if card else 0,
        low=cards.LOW_CODES,
        form=VisitActionForm(formdata=None),
    )
    return page, status


@bp.get("/cards/<int:elder_id>")
@login_required
def card_admin(elder_id: int):
    """A coordinator sees whether an elder has a card in use, and issues or revokes one."""
    return _render_card_admin(cards.elder_for_cards(_me(), elder_id))


@bp.post("/cards/<int:elder_id>/issue")
@login_required
def issue_card(elder_id: int):
    """Issue (or reissue) a card and show it once, ready to print; its codes are never shown
    again."""
    elder = cards.elder_for_cards(_me(), elder_id)
    if not VisitActionForm().validate():
        return _render_card_admin(elder, 400)
    try:
        printed = cards.issue_card(elder, by=_me())
    except DomainError as error:
        return _render_card_admin(elder, refuse(error))
    commit()
    # Rendered in this response, not after a redirect: the codes are stored only hashed.
    return render_template(
        "timebank/rounds/card_print.html",
        elder=elder,
        printed=printed,
        qr_svg=card_qr_svg(printed.card),
    )


@bp.post("/cards/<int:elder_id>/revoke")
@login_required
def revoke_card(elder_id: int):
    elder = cards.elder_for_cards(_me(), elder_id)
    card = cards.active_card(elder)
    if not VisitActionForm().validate() or card is None:
        return _render_card_admin(elder, 400)
    try:
        cards.revoke_card(card, by=_me())
    except DomainError as error:
        return _render_card_admin(elder, refuse(error))
    commit()
    flash(_("The card is revoked. Its codes no longer confirm visits."), "success")
    return redirect(url_for("visits.card_admin", elder_id=elder.id))


def _render_callback(record, form: CallbackForm, status: int = 200):
    return render_template("timebank/rounds/callback.html", record=record, form=form), status


@bp.route("/callback/<int:record_id>", methods=["GET", "POST"])
@login_required
def callback(record_id: int):
    """A coordinator phoned the elder and confirms the visit for them."""
    record = callbacks.record_for_callback(_me(), record_id)
    form = CallbackForm()
    if not form.is_submitted():
        return _render_callback(record, form)
    if not form.validate():
        return _render_callback(record, form, 400)
    try:
        callbacks.confirm_by_callback(record, by=_me(), note=form.note.data)
    except DomainError as error:
        return _render_callback(record, form, refuse(error))
    commit()
    flash(_("Confirmed by call-back. The hours are posted."), "success")
    return redirect(url_for("timebank.visit", record_id=record.id))
