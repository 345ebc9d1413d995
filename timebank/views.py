"""The member's time-bank pages: home, logging and answering visits, gifts,
donations and the account statement (HTML and CSV).

Each page reads its form, calls one service, commits, flashes and redirects;
a service's refusal is shown on the form again with the error's 4xx status.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.errors import MemberNotFound
from community.landing import home_endpoint
from community.models import User
from community.reach import find_in_street
from community.services import family_links_of, member_for
from errors import DomainError
from extensions import db
from input_guard import as_id, query_id
from timebank import callbacks, request_lists, statements, take_back, transfers, visits
from timebank.accounts import member_account
from timebank.clock import local_today
from timebank.errors import UnknownMember
from timebank.formatting import format_minutes
from timebank.forms import (
    ConfirmVisitForm,
    DisputeVisitForm,
    DonateForm,
    GiftForm,
    LogVisitForm,
    RejectVisitForm,
    StatementFilterForm,
)
from timebank.models import RecordStatus
from timebank.visit_access import (
    parse_awaiting_cursor,
    visit_for,
    visits_awaiting,
    visits_logged_by,
)
from timebank.waiting import waiting_for
from views_common import commit, new_idempotency_key, refuse

bp = Blueprint("timebank", __name__)


def _me() -> User:
    return current_user._get_current_object()


def _member_from_query(name: str) -> User:
    """The signed-in member, or the one named by ``?<name>=<user id>`` whom they look after.

    Raises MemberNotFound (404) and NotPermitted (403) through member_for.
    """
    member_id = query_id(name)
    if member_id is None:
        return _me()
    return member_for(_me(), member_id, allow_self=True)


def _acting_args(member: User) -> dict:
    """The ``?for=`` argument that keeps acting for ``member`` across links and posts."""
    return {} if member.id == current_user.id else {"for": member.id}


def _recipient_not_found(form, error: DomainError) -> int:
    db.session.rollback()
    form.recipient.errors.append(str(error.message))
    return error.http_status


NEARBY_SHOWN = 3
CONFIRMATIONS_PER_PAGE = 100


@bp.get("/")
@login_required
def home():
    """Where the member lands (community.landing): the desk, their provider dashboard, or
    the time bank's home, shown here without a redirect."""
    endpoint = home_endpoint(_me())
    if endpoint != "timebank.my_hours":
        return redirect(url_for(endpoint))
    return my_hours()


@bp.get("/hours")
@login_required
def my_hours():
    """The balance, what is waiting for the member (and the elders they act for), a
    volunteer's open requests nearby, and the visits they logged."""
    me = _me()
    return render_template(
        "timebank/home.html",
        account=member_account(me),
        waiting=waiting_for(me),
        nearby=request_lists.open_requests(me, limit=NEARBY_SHOWN) if me.is_volunteer else [],
        my_visits=visits_logged_by(me, limit=5),
    )


# --- Visits ---------------------------------------------------------------


def _render_log_visit(form: LogVisitForm, volunteer: User, status: int = 200):
    page = render_template("timebank/log_visit.html", form=form, volunteer=volunteer)
    return page, status


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
def log_visit():
    """A volunteer (or a coordinator for them, with ``?for=``) logs a visit."""
    volunteer = _member_from_query("for")
    form = LogVisitForm()
    if request.method == "GET":
        form.service_date.data = local_today()
        form.recipient.data = request.args.get("to", "")[:40]
        form.idempotency_key.data = new_idempotency_key()
        return _render_log_visit(form, volunteer)
    if not form.validate():
        return _render_log_visit(form, volunteer, 400)
    try:
        recipient = find_in_street(current_user, form.recipient.data)
    except (MemberNotFound, UnknownMember) as error:
        return _render_log_visit(form, volunteer, _recipient_not_found(form, error))
    try:
        record = visits.log_visit(
            volunteer=volunteer,
            recipient=recipient,
            category=form.category.data,
            service_date=form.service_date.data,
            started_at=form.started_at.data,
            ended_at=form.ended_at.data,
            minutes=form.minutes.data,
            note=form.note.data or "",
            entered_by=_me(),
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as error:
        return _render_log_visit(form, volunteer, refuse(error))
    commit()
    flash(_("Visit logged. It is waiting for confirmation."), "success")
    return redirect(url_for("timebank.visit", record_id=record.id))


def _render_visit(record, *, reject_form=None, dispute_form=None, status: int = 200):
    me = _me()
    may_answer = record.status == RecordStatus.PENDING and visits.may_decide(me, record)
    page = render_template(
        "timebank/visit.html",
        record=record,
        may_answer=may_answer,
        may_call_back=may_answer and callbacks.may_call_back(me, record),
        confirm_form=ConfirmVisitForm(prefix="confirm", formdata=None),
        reject_form=reject_form or RejectVisitForm(prefix="reject", formdata=None),
        dispute_form=dispute_form or DisputeVisitForm(prefix="dispute", formdata=None),
    )
    return page, status


@bp.get("/visits/<int:record_id>")
@login_required
def visit(record_id: int):
    return _render_visit(visit_for(_me(), record_id))


@bp.post("/visits/<int:record_id>/confirm")
@login_required
def confirm_visit(record_id: int):
    record = visit_for(_me(), record_id)
    try:
        visits.confirm_visit(record, by=_me())
    except DomainError as error:
        return _render_visit(record, status=refuse(error))
    commit()
    flash(
        _(
            "Confirmed. %(time)s went to %(name)s. Thank you!",
            time=format_minutes(record.minutes),
            name=record.volunteer.display_name,
        ),
        "success",
    )
    return redirect(url_for("timebank.visit", record_id=record.id))


@bp.post("/visits/<int:record_id>/reject")
@login_required
def reject_visit(record_id: int):
    record = visit_for(_me(), record_id)
    form = RejectVisitForm(prefix="reject")
    if not form.validate():
        return _render_visit(record, reject_form=form, status=400)
    try:
        visits.reject_visit(record, by=_me(), reason=form.reason.data or "")
    except DomainError as error:
        return _render_visit(record, reject_form=form, status=refuse(error))
    commit()
    flash(_("You said this visit did not happen as logged. No hours were given."), "success")
    return redirect(url_for("timebank.visit", record_id=record.id))


@bp.post("/visits/<int:record_id>/dispute")
@login_required
def dispute_visit(record_id: int):
    record = visit_for(_me(), record_id)
    form = DisputeVisitForm(prefix="dispute")
    if not form.validate():
        return _render_visit(record, dispute_form=form, status=400)
    try:
        visits.dispute_visit(record, by=_me(), reason=form.reason.data)
    except DomainError as error:
        return _render_visit(record, dispute_form=form, status=refuse(error))
    commit()
    flash(_("Thank you. A coordinator will look at this visit."), "success")
    return redirect(url_for("timebank.visit", record_id=record.id))


@bp.get("/confirmations")
@login_required
def confirmations():
    """Visits waiting for the member's answer (or, for a coordinator, their people's), 100
    a page, oldest first; ``?after=`` a page's cursor shows the next 100."""
    after = parse_awaiting_cursor(request.args.get("after"))
    awaiting = visits_awaiting(_me(), limit=CONFIRMATIONS_PER_PAGE, after=after)
    return render_template(
        "timebank/confirmations.html",
        awaiting=awaiting.shown,
        total=awaiting.total,
        later_page=after is not None,
        next_page=url_for("timebank.confirmations", after=str(awaiting.next_after))
        if awaiting.next_after
        else None,
    )


# --- Gifts and donations ------------------------------------------------------


def _family_choices(member: User) -> list[User]:
    relatives, elders = family_links_of(member)
    return [link.relative for link in relatives] + [link.elder for link in elders]


def _render_gift(form: GiftForm, giver: User, status: int = 200):
    page = render_template(
        "timebank/gift.html",
        form=form,
        giver=giver,
        account=member_account(giver),
        family=_family_choices(giver),
        acting_args=_acting_args(giver),
    )
    return page, status


def _after_moving_hours(member: User, transfer_id: int):
    """The member's own step: its page, where it can be taken back for a while; a
    coordinator's for them: the member's statement."""
    if member.id == current_user.id:
        return redirect(url_for("timebank.sent", transfer_id=transfer_id))
    return redirect(url_for("timebank.statement", member=member.id))


@bp.route("/gift", methods=["GET", "POST"])
@login_required
def gift():
    """Give hours to family (or anyone, by policy); ``?for=`` lets a coordinator act for the giver."""
    giver = _member_from_query("for")
    form = GiftForm()
    if request.method == "GET":
        form.recipient.data = request.args.get("to", "")[:40]
        form.idempotency_key.data = new_idempotency_key()
        return _render_gift(form, giver)
    if not form.validate():
        return _render_gift(form, giver, 400)
    try:
        recipient = find_in_street(current_user, form.recipient.data)
    except (MemberNotFound, UnknownMember) as error:
        return _render_gift(form, giver, _recipient_not_found(form, error))
    try:
        transfer_id = transfers.gift_hours(
            giver=giver,
            recipient=recipient,
            minutes=form.total_minutes,
            by=_me(),
            idempotency_key=form.idempotency_key.data,
            memo=form.memo.data or "",
        )
    except DomainError as error:
        return _render_gift(form, giver, refuse(error))
    commit()
    flash(
        _(
            "%(time)s given to %(name)s.",
            time=format_minutes(form.total_minutes),
            name=recipient.display_name,
        ),
        "success",
    )
    return _after_moving_hours(giver, transfer_id)


def _render_donate(form: DonateForm, member: User, status: int = 200):
    page = render_template(
        "timebank/donate.html", form=form, member=member, account=member_account(member)
    )
    return page, status


@bp.route("/donate", methods=["GET", "POST"])
@login_required
def donate():
    """Donate hours to the community fund (爱心池); ``?for=`` as for gifts."""
    member = _member_from_query("for")
    form = DonateForm()
    if request.method == "GET":
        form.idempotency_key.data = new_idempotency_key()
        return _render_donate(form, member)
    if not form.validate():
        return _render_donate(form, member, 400)
    try:
        transfer_id = transfers.donate_hours(
            member=member,
            minutes=form.total_minutes,
            by=_me(),
            idempotency_key=form.idempotency_key.data,
            memo=form.memo.data or "",
        )
    except DomainError as error:
        return _render_donate(form, member, refuse(error))
    commit()
    flash(
        _(
            "Thank you: %(time)s went to the community fund.",
            time=format_minutes(form.total_minutes),
        ),
        "success",
    )
    return _after_moving_hours(member, transfer_id)


# --- Statement ----------------------------------------------------------------


def _statement_filter(form: StatementFilterForm) -> statements.StatementFilter:
    return statements.StatementFilter(
        start=form.start.data, end=form.end.data, kind=form.kind.data or None
    )


def _filter_args(member: User) -> dict:
    """The query arguments that keep the member and filters across pages and the CSV link."""
    args = {key: request.args[key] for key in ("start", "end", "kind") if request.args.get(key)}
    if member.id != current_user.id:
        args["member"] = member.id
    return args


def _page_cursor() -> statements.PageCursor:
    """The keyset cursor from the query string. Raises InvalidStatementFilter for a bad one."""
    found = {}
    for name in ("older_than", "newer_than"):
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        entry = as_id(raw)
        if entry is None:
            raise statements.InvalidStatementFilter(
                _("That page of the statement does not exist. Here is its newest page.")
            )
        found[name] = entry
    cursor = statements.PageCursor(**found)
    cursor.check()
    return cursor


@bp.get("/statement")
@login_required
def statement():
    """The account's transfers, newest first, 50 to a page, with the balance after each."""
    member = _member_from_query("member")
    account = member_account(member)
    form = StatementFilterForm(formdata=request.args)
    size = current_app.config["STATEMENT_PAGE_SIZE"]
    status = 200
    try:
        cursor = _page_cursor()
    except DomainError as error:  # a made-up page: say so, and show the newest
        status, cursor = refuse(error), statements.PageCursor()
    page = statements.StatementPage([], None, None)
    if form.validate():
        page = statements.statement_page(
            account.id, _statement_filter(form), size=size, cursor=cursor
        )
    else:
        status = 400
    return render_template(
        "timebank/statement.html",
        member=member,
        account=account,
        form=form,
        lines=page.lines,
        older=page.older,
        newer=page.newer,
        paged=cursor != statements.PageCursor(),
        filter_args=_filter_args(member),
        counterparty=statements.counterparty_label,
        memo_text=statements.memo_text,
        entered_label=statements.entered_label,
        take_back=take_back.takeable(_me(), member, page.lines),
    ), status


@bp.get("/statement.csv")
@login_required
def statement_csv():
    """The same statement as a CSV download, streamed as it is read."""
    member = _member_from_query("member")
    account = member_account(member)
    form = StatementFilterForm(formdata=request.args)
    if not form.validate():
        messages = [str(error) for errors in form.errors.values() for error in errors]
        return render_template("error.html", status=400, message=" ".join(messages)), 400
    lines = statements.iter_statement_lines(account.id, _statement_filter(form))
    filename = f"linli-statement-{member.id}-{local_today():%Y%m%d}.csv"
    return Response(
        stream_with_context(statements.statement_csv(lines)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
