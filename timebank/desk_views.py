"""The coordinator's desk: members' accounts, grants, reversals and disputes.

People (details, family links) are on community's pages; hours and what a
coordinator does for a member — often an elder with no phone — are here.
Everything done for someone is recorded by the services as "entered by X on
behalf of Y" and shown on these pages.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from community.models import utcnow
from community.services import NEW_MEMBER_DAYS, member_for, new_members
from errors import DomainError
from extensions import db
from timebank.accounts import community_account, member_account, pool_accounts
from timebank.cards import cards_running_low
from timebank.desk_forms import (
    SETTLE_POST_FEWER,
    SETTLE_REJECT,
    GrantForm,
    IdempotentForm,
    ReverseForm,
    SettleForm,
)
from timebank.models import AccountKind, ServiceRecord, Transfer
from timebank.statements import (
    StatementFilter,
    counterparty_label,
    entered_label,
    statement_lines,
)
from timebank.transfers import grant_hours, may_reverse, reverse_transfer, transfer_for
from timebank.visit_access import (
    count_disputes,
    disputed_visit_for,
    disputes_for,
    pending_visits_to,
    visits_awaiting,
)
from timebank.visits import settle_dispute
from views_common import commit, new_idempotency_key, refuse

bp = Blueprint("desk", __name__, url_prefix="/desk")

RECENT_TRANSFERS = 10
DESK_NEW_MEMBERS = 10  # the newest shown on the desk; the members page lists the rest
DESK_AWAITING = 10  # the oldest shown on the desk; the confirmations page lists the rest


@bp.before_request
@login_required
def coordinators_only():
    """Every desk page is for coordinators and street admins (anonymous → sign in)."""
    if not current_user.is_coordinator:
        abort(403)


def _with_fresh_key(form: IdempotentForm) -> IdempotentForm:
    """Give a new form its idempotency key; a re-shown form keeps the one it was sent with."""
    if not form.idempotency_key.data:
        form.idempotency_key.data = new_idempotency_key()
    return form


@bp.get("/")
def index():
    """The desk home: what waits, the community's pools, finding and adding members."""
    fund, guarantee = pool_accounts(current_user.community_id)
    return render_template(
        "timebank/desk/index.html",
        awaiting=visits_awaiting(current_user, limit=DESK_AWAITING),
        dispute_count=count_disputes(current_user),
        fund=fund,
        guarantee=guarantee,
        new_members=new_members(
            current_user, since=utcnow() - NEW_MEMBER_DAYS, limit=DESK_NEW_MEMBERS
        ),
        low_cards=cards_running_low(current_user),
    )


@bp.get("/members/<int:user_id>")
def member(user_id: int):
    """A member's hours and the things a coordinator can do for them."""
    person = member_for(current_user, user_id)
    account = member_account(person)
    return render_template(
        "timebank/desk/member.html",
        person=person,
        account=account,
        lines=statement_lines(account.id, StatementFilter(), limit=RECENT_TRANSFERS),
        pending=pending_visits_to(person, by=current_user),
        counterparty=counterparty_label,
        entered=entered_label,
    )


@bp.route("/members/<int:user_id>/grant", methods=["GET", "POST"])
def grant(user_id: int):
    """Grant hours from the fund or the guarantee account to a priority elder."""
    elder = member_for(current_user, user_id)
    form = GrantForm()
    status = 200
    if form.validate_on_submit():
        try:
            transfer_id = grant_hours(
                elder=elder,
                minutes=form.total_minutes(),
                source=form.source.data,
                by=current_user,
                memo=form.reason.data.strip(),
                idempotency_key=form.idempotency_key.data,
            )
        except DomainError as error:
            status = refuse(error)
        else:
            commit()
            flash(_("The hours were granted to %(name)s.", name=elder.display_name), "info")
            return redirect(url_for("desk.transfer", transfer_id=transfer_id))
    elif form.errors:
        status = 400
    return render_template(
        "timebank/desk/grant.html",
        form=_with_fresh_key(form),
        elder=elder,
        fund=community_account(elder.community_id, AccountKind.FUND),
    ), status


@bp.get("/transfers/<int:transfer_id>")
def transfer(transfer_id: int):
    """One transfer: who entered it for whom, what it reverses or was reversed by."""
    shown = transfer_for(current_user, transfer_id)
    return _render_transfer(shown, ReverseForm(), 200)


def _render_transfer(shown: Transfer, form: ReverseForm, status: int):
    reversed_by = db.session.scalar(select(Transfer).where(Transfer.reverses_id == shown.id))
    original = db.session.get(Transfer, shown.reverses_id) if shown.reverses_id else None
    return render_template(
        "timebank/desk/transfer.html",
        transfer=shown,
        reversed_by=reversed_by,
        original=original,
        may_reverse=may_reverse(current_user, shown),
        form=_with_fresh_key(form),
    ), status


@bp.post("/transfers/<int:transfer_id>/reverse")
def reverse(transfer_id: int):
    """Undo a mistaken transfer with a reversal naming it, and a reason."""
    original = transfer_for(current_user, transfer_id)
    form = ReverseForm()
    if not form.validate_on_submit():
        return _render_transfer(original, form, 400)
    try:
        reversal_id = reverse_transfer(
            original,
            by=current_user,
            reason=form.reason.data.strip(),
            idempotency_key=form.idempotency_key.data,
        )
    except DomainError as error:
        status = refuse(error)
        return _render_transfer(db.session.get(Transfer, transfer_id), form, status)
    commit()
    flash(_("The transfer was reversed. Nothing was deleted."), "info")
    return redirect(url_for("desk.transfer", transfer_id=reversal_id))


@bp.get("/disputes")
def disputes():
    """Disputed visits in the communities the coordinator looks after."""
    return render_template("timebank/desk/disputes.html", records=disputes_for(current_user))


@bp.route("/disputes/<int:record_id>", methods=["GET", "POST"])
def settle(record_id: int):
    """Decide a disputed visit: post all, post fewer minutes, or reject — with a note."""
    record = disputed_visit_for(current_user, record_id)
    form = SettleForm()
    status = 200
    if form.validate_on_submit():
        decision = form.decision.data
        try:
            settle_dispute(
                record,
                by=current_user,
                accept=decision != SETTLE_REJECT,
                note=form.note.data.strip(),
                minutes=form.total_minutes() if decision == SETTLE_POST_FEWER else None,
            )
        except DomainError as error:
            status = refuse(error)
            record = db.session.get(ServiceRecord, record_id)
        else:
            commit()
            flash(_("The dispute is settled."), "info")
            return redirect(url_for("desk.disputes"))
    elif form.errors:
        status = 400
    return render_template("timebank/desk/settle.html", record=record, form=form), status
