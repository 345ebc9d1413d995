"""The inbox: a member's notifications, newest first (the header's count: page_frame.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.notifications import inbox, mark_all_read, open_notification, render
from views_common import commit

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@login_required
def index():
    """The member's notifications, newest first, unread ones marked."""
    notifications = inbox(current_user)
    return render_template(
        "community/inbox/index.html",
        items=[(n, render(n)) for n in notifications],
        any_unread=any(n.is_unread for n in notifications),
    )


@bp.post("/read")
@login_required
def read_all():
    """Mark every message read; CSRFProtect checks the token."""
    mark_all_read(by=current_user)
    commit()
    flash(_("All messages are marked as read."), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/<int:notification_id>/open")
@login_required
def open_message(notification_id: int):
    """Mark one message read and go where it points (only a path on this site)."""
    notification = open_notification(notification_id, by=current_user)
    commit()
    link = notification.link or ""
    if link.startswith("/") and not link.startswith("//"):
        return redirect(link)
    return redirect(url_for("inbox.index"))
