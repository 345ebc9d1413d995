"""The page after giving or donating hours, and taking them back (撤回) within the window.

Routes on the time bank's blueprint (timebank.views). The page after a gift is the
giver's own: it says what was sent and, for UNDO_MINUTES, offers to take it back.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.models import User
from errors import DomainError
from timebank.accounts import member_account
from timebank.formatting import format_minutes
from timebank.forms import TakeBackForm
from timebank.take_back import SentHours, sent_hours_for, take_back_hours
from timebank.views import bp
from views_common import commit, refuse


def _me() -> User:
    return current_user._get_current_object()


def _render_sent(sent: SentHours, status: int = 200):
    page = render_template(
        "timebank/sent.html",
        sent=sent,
        transfer=sent.transfer,
        receiver=sent.transfer.to_account.user,
        account=member_account(_me()),
        form=TakeBackForm(formdata=None),
    )
    return page, status


@bp.get("/hours/sent/<int:transfer_id>")
@login_required
def sent(transfer_id: int):
    """What the member just gave, with 撤回 while it may still be taken back."""
    return _render_sent(sent_hours_for(_me(), transfer_id))


@bp.post("/hours/sent/<int:transfer_id>/take-back")
@login_required
def take_back(transfer_id: int):
    """Take back the member's own gift or donation within the window, free."""
    me = _me()
    shown = sent_hours_for(me, transfer_id)
    if not TakeBackForm().validate():
        return _render_sent(shown, 400)
    try:
        take_back_hours(shown.transfer, by=me)
    except DomainError as error:
        return _render_sent(sent_hours_for(me, transfer_id), refuse(error))
    commit()
    flash(
        _(
            "Taken back: %(time)s is in your account again.",
            time=format_minutes(shown.transfer.amount_minutes),
        ),
        "success",
    )
    return redirect(url_for("timebank.sent", transfer_id=transfer_id))
