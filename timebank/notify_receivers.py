"""Turn mutual-aid signals into notifications, and `flask notifications remind`.

Receivers run inside the sender's transaction and only flush (notify does),
so a notification and its mail exist only if the change they report commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import click
from flask import current_app
from sqlalchemy import select
from werkzeug.routing import BuildError

from community.models import FamilyLink, LinkStatus, User
from community.notification_cli import notifications_cli
from community.notification_models import Notification
from community.notifications import notify, register_param_formatter
from extensions import db
from timebank.categories import category_label
from timebank.clock import local_today
from timebank.formatting import format_minutes
from timebank.models import Account, AccountKind, Transfer
from timebank.signals import (
    gift_received,
    gift_taken_back,
    request_posted,
    request_taken,
    visit_confirmed,
    visit_logged,
)
from timebank.visit_models import Visit, VisitStatus

LOW_BALANCE_MINUTES = 2 * 60
NEARBY_LIMIT = 50


def _path(endpoint: str, **values) -> str | None:
    """The site path of ``endpoint`` (None if no such page), without a request."""
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None


def family_who_may_confirm(elder_id: int) -> list[User]:
    """Relatives with an active link to the elder that lets them confirm visits."""
    return list(
        db.session.scalars(
            select(User)
            .join(FamilyLink, FamilyLink.relative_id == User.id)
            .where(
                FamilyLink.elder_id == elder_id,
                FamilyLink.status == LinkStatus.ACTIVE,
                FamilyLink.may_confirm.is_(True),
                User.is_active_member.is_(True),
            )
            .order_by(User.id)
        )
    )


def on_visit_logged(record, **_facts) -> None:
    """Ask the person served, and family who may confirm, to confirm the visit."""
    recipient = _user(record.recipient_id)
    volunteer = _user(record.volunteer_id)
    if recipient is None or volunteer is None:
        return
    for person in [recipient, *family_who_may_confirm(recipient.id)]:
        notify(
            person,
            "confirmation_needed",
            link=_path("timebank.visit", record_id=record.id),
            volunteer=volunteer.display_name,
            recipient=recipient.display_name,
            category=record.category,
            day=_day(record.service_date),
        )


def on_visit_confirmed(record, *, transfer_id: int, **_facts) -> None:
    """Warn the payer when a visit's payment takes their member account below two hours."""
    row = db.session.execute(
        select(Account.kind, Account.user_id, Account.balance_minutes, Account.held_minutes)
        .join(Transfer, Transfer.from_account_id == Account.id)
        .where(Transfer.id == transfer_id)
        .add_columns(Transfer.amount_minutes)
    ).first()
    if row is None or row.kind != AccountKind.MEMBER or row.user_id is None:
        return  # the guarantee account paid: nobody to warn
    after = row.balance_minutes - row.held_minutes
    before = after + row.amount_minutes
    if after < LOW_BALANCE_MINUTES <= before:
        payer = _user(row.user_id)
        notify(payer, "low_balance", link=_path("timebank.statement"), left=after)


def on_gift_received(recipient: User, *, giver: User, minutes: int, **_facts) -> None:
    """Tell the recipient who gave them how much."""
    notify(
        recipient,
        "gift_received",
        link=_path("timebank.statement"),
        giver=giver.display_name,
        amount=minutes,
    )


def on_gift_taken_back(recipient: User, *, giver: User, minutes: int, **_facts) -> None:
    """Tell the recipient that the giver took their gift back (within the undo window)."""
    notify(
        recipient,
        "gift_taken_back",
        link=_path("timebank.statement"),
        giver=giver.display_name,
        amount=minutes,
    )


def _request_link(request) -> str | None:
    return _path("aid.request_page", request_id=request.id)


def _answer_link(request) -> str | None:
    """The request's page at its answer (approve or decline a take)."""
    link = _request_link(request)
    return link and f"{link}#approve-title"


def on_request_posted(request, **_facts) -> None:
    """Tell the community's volunteers (at most 50) — or, for an offer, ask its volunteer
    to answer."""
    volunteer_id = getattr(request, "volunteer_id", None)
    if volunteer_id:
        volunteer, requester = _user(volunteer_id), _user(request.requester_id)
        if volunteer is not None and requester is not None:
            notify(
                volunteer,
                "offer_asked",
                link=_answer_link(request),
                requester=requester.display_name,
                category=request.category,
                day=_day(getattr(request, "needed_on", None)),
            )
        return
    volunteers = db.session.scalars(
        select(User)
        .where(
            User.community_id == request.community_id,
            User.is_volunteer.is_(True),
            User.is_active_member.is_(True),
            User.id != request.requester_id,
        )
        .order_by(User.id)
        .limit(NEARBY_LIMIT)
    )
    for volunteer in volunteers:
        notify(
            volunteer,
            "request_nearby",
            link=_request_link(request),
            category=request.category,
            day=_day(getattr(request, "needed_on", None)),
        )


def on_request_taken(request, **_facts) -> None:
    """Ask the requester (and whoever posted it for them) to agree to the volunteer who
    took it: the take waits for their answer."""
    volunteer, requester = _user(request.volunteer_id), _user(request.requester_id)
    if volunteer is None or requester is None:
        return
    told = {request.requester_id, getattr(request, "entered_by_id", None)} - {None, volunteer.id}
    for user_id in sorted(told):
        notify(
            _user(user_id),
            "help_offered" if user_id == requester.id else "help_offered_for",
            link=_answer_link(request),
            volunteer=volunteer.display_name,
            requester=requester.display_name,
            category=request.category,
            day=_day(getattr(request, "needed_on", None)),
        )


def connect_notify_receivers() -> None:
    """Subscribe to timebank's signals and show timebank values in messages (idempotent)."""
    register_param_formatter("category", category_label)
    register_param_formatter("amount", format_minutes)
    register_param_formatter("left", format_minutes)
    visit_logged.connect(on_visit_logged)
    visit_confirmed.connect(on_visit_confirmed)
    gift_received.connect(on_gift_received)
    gift_taken_back.connect(on_gift_taken_back)
    request_posted.connect(on_request_posted)
    request_taken.connect(on_request_taken)


# --- reminders ------------------------------------------------------------

# Reminders of other packages for tomorrow (the marketplace's bookings): each gets
# tomorrow's local date and returns how many notifications it made. The time bank's
# own (visits) runs first; all run in the one periodic job, notifications_remind.
_reminders: dict[str, Callable[[date], int]] = {}


def register_reminder(name: str, remind: Callable[[date], int]) -> None:
    """Run ``remind(tomorrow)`` with the day-before reminders (idempotent by name)."""
    _reminders[name] = remind


def remind_once(person: User, kind: str, *, about: str, about_id: int, **params) -> bool:
    """Notify ``person`` of ``kind`` about one thing (``about``=``about_id``, e.g. a visit)
    unless they already were; True if a notification was made. ``params`` as for notify,
    with ``link``."""
    marker = f'"{about}": {about_id}}}'  # the id is the last parameter stored (below)
    if db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == person.id,
            Notification.kind == kind,
            Notification.params.contains(marker),
        )
    ):
        return False
    notify(person, kind, **params, **{about: about_id})
    return True


def _remind_visits(tomorrow: date) -> int:
    """The volunteer and the person served of each visit scheduled for ``tomorrow``."""
    visits = db.session.scalars(
        select(Visit)
        .where(Visit.scheduled_date == tomorrow, Visit.status == VisitStatus.SCHEDULED)
        .order_by(Visit.id)
    )
    made = 0
    for visit in visits:
        for person in (visit.volunteer, visit.recipient):
            made += remind_once(
                person,
                "visit_tomorrow",
                about="visit_id",
                about_id=visit.id,
                link=_path("visits.index"),
                day=_day(visit.scheduled_date),
                time=visit.scheduled_time.strftime("%H:%M") if visit.scheduled_time else "—",
                category=visit.category,
            )
    return made


def remind_tomorrow() -> int:
    """Remind people of what is on tomorrow (local date): each visit's volunteer and the
    person served, and whatever other packages registered (bookings), once per thing and
    person. Returns how many notifications were made."""
    tomorrow = local_today() + timedelta(days=1)
    made = _remind_visits(tomorrow)
    for remind in _reminders.values():
        made += remind(tomorrow)
    return made


@notifications_cli.command("remind")
def remind_command() -> None:
    """Remind people of tomorrow's visits and bookings (safe to run more than once a day)."""
    made = remind_tomorrow()
    db.session.commit()
    click.echo(f"{made} reminder(s)")
