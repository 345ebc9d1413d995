"""Small pieces every blueprint's views share: error pages, the idempotency key, committing."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _

from community.models import Community
from errors import DomainError
from extensions import db
from input_guard import query_id


def http_error_message(status: int) -> str:
    """What an HTTP error status means, in the reader's language."""
    known = {
        400: _("Something in the request was not right."),
        403: _("You may not see or do this."),
        404: _("This page does not exist."),
        405: _("This page cannot be used that way."),
        409: _("This conflicts with something already recorded."),
        413: _(
            "What you sent is too large. Nothing was saved. Please go back and send less at a time."
        ),
        429: _("Too many tries in a short time. Please wait a few minutes and try again."),
    }
    if status in known:
        return known[status]
    if status < 500:
        return known[400]
    return _("Something went wrong on our side. Nothing was changed.")


def form_errors(form) -> str:
    """Every error of ``form``'s fields, in one line of the reader's language."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def render_error(status: int, message) -> tuple[str, int]:
    """An error page (HTML) or ``{"error": ...}`` (JSON) with ``status``."""
    if request.accept_mimetypes.best == "application/json":
        return {"error": str(message)}, status  # type: ignore[return-value]
    page = render_template("error.html", status=status, message=message, back_url=_back_url())
    return page, status


def _back_url() -> str | None:
    """The page of this site the person came from (to go back and try again), else None."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc != request.host or came_from.scheme not in ("http", "https"):
        return None
    back = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    if back == request.full_path.rstrip("?") and request.method == "GET":
        return None  # this very page: going back would only show the error again
    return back


def confirm_page(
    *, question, consequence, action: str, yes, back: str, subject: str = "", danger: bool = True
) -> str:
    """The plain page that asks before a one-tap step changing someone else's plans: what
    will happen, a button that posts ``action``, and a way back (no script, no pop-up)."""
    return render_template(
        "confirm.html",
        question=question,
        consequence=consequence,
        action=action,
        yes=yes,
        back=back,
        subject=subject,
        danger=danger,
    )


def new_idempotency_key() -> str:
    """A fresh key for a form; the same key posted twice posts once."""
    return uuid.uuid4().hex


def commit() -> None:
    """Commit the request's one transaction (views call this once, after the service)."""
    db.session.commit()


def refuse(error: DomainError) -> int:
    """Undo the failed service's work and flash its message; return the status to answer with."""
    db.session.rollback()
    flash(str(error.message), "error")
    return error.http_status


# A number no route's id ever takes (INTEGER's largest), to mark where the id goes.
_ID_SLOT = str(2**31 - 1)


def link_pattern(endpoint: str, key: str, **values) -> str:
    """The link to ``endpoint`` with its ``key`` left open as ``{}``, for a list to
    fill in with ``.format(id)`` on each row: one ``url_for`` (some 10 µs) per list
    instead of one per row."""
    return url_for(endpoint, **{key: _ID_SLOT}, **values).replace(_ID_SLOT, "{}", 1)


def community_from_query(member) -> Community:
    """The signed-in ``member``'s community, or ``?community=<id>`` (a street admin's
    choice). 404 for a community that does not exist; whether ``member`` may act there
    is the service's to say."""
    community_id = query_id("community")
    if community_id is None:
        return member.community
    community = db.session.get(Community, community_id)
    if community is None:
        abort(404)
    return community
