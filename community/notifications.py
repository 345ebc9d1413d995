"""Notifications: the in-app inbox, email through the outbox, and the weekly digest.

``notify`` stores what happened (a kind and its parameters) and, for members
with an email, queues a mail and the worker's job that sends it in the same
transaction (community.outbox); nothing is sent inside the request. Messages are rendered when
read, in the reader's language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from community.errors import NotPermitted
from community.models import User, utcnow
from community.notification_models import Notification, OutboxEmail
from extensions import db
from jobs.queue import SEND_MAIL, enqueue

MESSAGES = {
    "request_nearby": _l("A new request near you: %(category)s, %(day)s."),
    # kept for messages stored before a take said that it waits for an answer
    "request_taken": _l("%(volunteer)s will help with your request: %(category)s, %(day)s."),
    "help_offered": _l(
        "%(volunteer)s would like to help you: %(category)s, %(day)s. Please agree."
    ),
    "help_offered_for": _l(
        "%(volunteer)s would like to help %(requester)s: %(category)s, %(day)s. Please agree."
    ),
    "offer_asked": _l("%(requester)s asked you for help: %(category)s, %(day)s. Please answer."),
    "visit_tomorrow": _l("Reminder: a visit tomorrow, %(day)s at %(time)s (%(category)s)."),
    "confirmation_needed": _l(
        "%(volunteer)s logged a visit to %(recipient)s (%(category)s, %(day)s). Please confirm it."
    ),
    "gift_received": _l("%(giver)s gave you %(amount)s."),
    "gift_taken_back": _l("%(giver)s took back the %(amount)s they gave you."),
    "low_balance": _l("Your hour account is low: %(left)s left."),
    "link_requested": _l(
        "%(relative)s asks to be linked to %(elder)s as family (%(relation)s). Please answer."
    ),
    "link_answered": _l("%(elder)s answered your family link request: %(answer)s."),
    # the marketplace's bookings and providers (marketplace/notices.py)
    "booking_requested": _l("New booking to answer: %(item)s, %(when)s, for %(resident)s."),
    "booking_accepted": _l("%(provider)s accepted your booking: %(item)s, %(when)s."),
    "booking_delivered": _l("%(provider)s says %(item)s (%(when)s) is done. Please confirm it."),
    "booking_declined": _l(
        "%(provider)s cannot take your booking: %(item)s, %(when)s. Nothing was charged."
    ),
    "booking_unanswered": _l(
        "%(provider)s did not answer your booking in time: %(item)s, %(when)s. Nothing was charged."
    ),
    "booking_tomorrow": _l("Reminder: %(item)s from %(provider)s tomorrow, %(when)s."),
    "booking_cancelled": _l("A booking was cancelled: %(item)s, %(when)s, for %(resident)s."),
    "booking_card_failed": _l(
        "The card could not be charged for %(item)s, %(when)s, so the booking is cancelled. "
        "Please book again and pay another way."
    ),
    # civic's problems (civic/problem_notices.py)
    "problem_received": _l("Your report was received: %(problem_category)s at %(place)s."),
    "problem_accepted": _l(
        "Your report (%(problem_category)s at %(place)s) was accepted: %(holder)s will deal with it by %(day)s."
    ),
    "problem_declined": _l(
        "Your report (%(problem_category)s at %(place)s) was not taken up: %(reason)s"
    ),
    "problem_merged": _l(
        "Your report (%(problem_category)s at %(place)s) is the same as one already reported; it is followed there."
    ),
    "problem_answered": _l(
        "%(holder)s is working on your report (%(problem_category)s at %(place)s): %(note)s"
    ),
    "problem_closed": _l(
        "%(holder)s says your report is dealt with (%(problem_category)s at %(place)s). Please confirm it, or say it is not fixed."
    ),
    "problem_assigned": _l(
        "A problem was given to %(holder)s: %(problem_category)s at %(place)s, by %(day)s."
    ),
    "problem_reopened": _l(
        "A problem is not fixed, says its reporter: %(problem_category)s at %(place)s: %(reason)s"
    ),
    "provider_verified": _l("%(provider)s is checked: residents can now find and book it."),
    "provider_stopped": _l("%(provider)s is not shown to residents: %(reason)s"),
    # civic's contact days (civic/contact_days.py)
    "contact_day_answered": _l(
        "Your topic “%(topic)s” was answered at the contact day: %(answer)s"
    ),
    "contact_day_cancelled": _l("The contact day of %(day)s is cancelled: %(reason)s"),
    # civic: repair requests (civic/repair_notices.py)
    "repair_received": _l("A new repair request for %(place)s: %(what)s. Please send someone."),
    "repair_assigned": _l("%(worker)s will come to repair %(place)s on %(when)s."),
    "repair_job": _l("A repair job for you: %(place)s, %(when)s."),
    "repair_priced": _l(
        "The repair at %(place)s costs %(price)s. Please accept the price before the work."
    ),
    "repair_price_accepted": _l("The price of the repair at %(place)s was accepted."),
    "repair_visited": _l(
        "%(worker)s says the repair at %(place)s is done. Please confirm it and rate it."
    ),
    "repair_confirmed": _l("The repair at %(place)s is confirmed: %(rating)s of 5."),
    "repair_not_fixed": _l(
        "The repair at %(place)s is not fixed, the resident says. Please send someone again."
    ),
}
KINDS = frozenset(MESSAGES)
DEV_BASE_URL = "http://127.0.0.1:5000"
DIGEST_DAYS = 7

# Other packages register how to show a stored value (e.g. timebank: a category code → its name).
_param_formatters: dict[str, Callable[[str], str]] = {}


def register_param_formatter(name: str, formatter: Callable[[str], str]) -> None:
    """Show the parameter ``name`` through ``formatter`` when a message is rendered."""
    _param_formatters[name] = formatter


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "…"


def _shown(name: str, value) -> str:
    if name in _param_formatters:
        return _param_formatters[name](value)
    if name == "answer":
        return _("agreed") if value == "yes" else _("declined")
    if name == "day" and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    return str(value)


def render(notification: Notification) -> str:
    """The notification's message in the current language."""
    message = MESSAGES.get(notification.kind)
    if message is None:
        return _("You have a new message.")
    values = {k: _shown(k, v) for k, v in notification.param_values.items()}
    return str(message) % _Params(values)


def absolute_url(path: str) -> str:
    """``path`` on this site as a whole address, for mail (read away from the site).

    PUBLIC_BASE_URL (production requires it); without it, the address ``make run`` serves.
    Never the request's Host header, which the requester controls.
    """
    base = current_app.config.get("PUBLIC_BASE_URL") or DEV_BASE_URL
    return base.rstrip("/") + path


def _email_for(user: User, notification: Notification) -> tuple[str, str]:
    """Subject and body of the mail for ``notification``, in the default language."""
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        text = render(notification)
        subject = _("Linli: %(message)s", message=text)[:200]
        lines = [_("Dear %(name)s,", name=user.display_name), "", text, ""]
        if notification.link:
            lines.append(_("Read more: %(url)s", url=absolute_url(notification.link)))
        lines.append(_("— Linli, your community time bank"))
    return subject, "\n".join(lines)


def notify(user: User, kind: str, *, link: str | None = None, **params) -> Notification:
    """Put a message in ``user``'s inbox and, if they have an email, queue a mail.

    ``params`` must be JSON values. The mail leaves only after the
    transaction commits. Raises ValueError for an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    notification = Notification(
        user_id=user.id,
        kind=kind,
        params=json.dumps(params, ensure_ascii=False, default=str),
        link=(link or None) and link[:200],
    )
    db.session.add(notification)
    db.session.flush()
    if user.email and has_app_context():
        subject, body = _email_for(user, notification)
        enqueue_email(user, subject=subject, body=body)
    return notification


def enqueue_email(
    user: User, *, subject: str, body: str, dedupe_key: str | None = None
) -> OutboxEmail | None:
    """Queue a mail to ``user`` and the job that sends it (both only if this transaction
    commits); None if they have no email or a mail with ``dedupe_key`` was already queued."""
    if not user.email:
        return None
    if dedupe_key and db.session.scalar(
        select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)
    ):
        return None
    mail = OutboxEmail(
        user_id=user.id,
        to_address=user.email,
        subject=subject[:200],
        body=body,
        dedupe_key=dedupe_key,
    )
    db.session.add(mail)
    db.session.flush()
    enqueue(SEND_MAIL, outbox_id=mail.id)
    return mail


# --- the inbox ------------------------------------------------------------


def inbox(user: User, limit: int = 100) -> list[Notification]:
    """``user``'s notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count(user: User) -> int:
    """How many of ``user``'s notifications are unread (one COUNT query)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_all_read(*, by: User) -> int:
    """Mark every unread notification of ``by`` read; return how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == by.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.flush()
    return result.rowcount or 0


def open_notification(notification_id: int, *, by: User) -> Notification:
    """Mark one of ``by``'s notifications read and return it (its link is where to go).

    Raises NotPermitted for someone else's (or an unknown) notification.
    """
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != by.id:
        raise NotPermitted(_l("This message is not yours."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification


# --- the weekly digest ----------------------------------------------------


def digest_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def queue_weekly_digest(now: datetime | None = None) -> int:
    """Queue one mail per member with an email summing up their unread notifications
    of the last 7 days; a member gets at most one digest per ISO week.

    Returns how many digests were queued.
    """
    now = now or utcnow()
    since = now - timedelta(days=DIGEST_DAYS)
    week = digest_week(now.date())
    unread = (
        select(Notification)
        .join(User, User.id == Notification.user_id)
        .where(
            User.email.is_not(None),
            User.is_active_member.is_(True),
            Notification.read_at.is_(None),
            Notification.created_at >= since,
        )
        .order_by(Notification.user_id, Notification.created_at.desc())
    )
    by_user: dict[int, list[Notification]] = {}
    for notification in db.session.scalars(unread):
        by_user.setdefault(notification.user_id, []).append(notification)
    queued = 0
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    for user_id, notifications in by_user.items():
        user = db.session.get(User, user_id)
        with force_locale(locale):
            subject = ngettext(
                "Linli: your week — %(num)s unread message",
                "Linli: your week — %(num)s unread messages",
                len(notifications),
            )
            lines = [_("Dear %(name)s,", name=user.display_name), ""]
            lines += [f"- {render(n)}" for n in notifications]
            lines += ["", _("— Linli, your community time bank")]
        mail = enqueue_email(
            user, subject=subject, body="\n".join(lines), dedupe_key=f"digest:{user_id}:{week}"
        )
        queued += mail is not None
    return queued
