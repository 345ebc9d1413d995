"""Messages to the people of a booking or a provider when something they wait for happens.

The booking steps and the provider decisions call these; the inbox (and mail,
for those with an address) is community.notifications. Elders without a
phone are told through whoever booked for them.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.routing import BuildError

from community.models import User
from community.notifications import notify
from extensions import db
from marketplace.access import may_book_for
from marketplace.booking_models import Booking
from marketplace.booking_models import BookingStatus as S
from marketplace.clock import to_utc
from marketplace.models import Provider
from timebank.formatting import stored_moment
from timebank.notify_receivers import register_reminder, remind_once

# status reached → the message its resident's side gets
TO_RESIDENT = {
    S.ACCEPTED: "booking_accepted",
    S.DECLINED: "booking_declined",
}


def _path(endpoint: str, **values) -> str | None:
    """The site path of ``endpoint`` without a request (the CLI sweeps have none)."""
    try:
        return current_app.url_map.bind("localhost").build(endpoint, values)
    except BuildError:
        return None


def _about(booking: Booking) -> dict:
    return {
        "item": booking.title,
        "when": stored_moment(booking.starts_at),
        "provider": booking.provider.name,
        "resident": booking.resident.display_name,
    }


def _resident_side(booking: Booking) -> list[User]:
    """The resident, and whoever booked for them (family or a coordinator) while they still
    reach the resident: a relative whose link no longer allows booking is not told."""
    people = [booking.resident]
    if booking.booked_by_id != booking.resident_id and may_book_for(
        booking.booked_by, booking.resident
    ):
        people.append(booking.booked_by)
    return people


def _tell(people: list[User], kind: str, booking: Booking) -> None:
    link = _path("bookings.show", booking_id=booking.id)
    for person in people:
        notify(person, kind, link=link, **_about(booking))


def booking_moved(booking: Booking, from_status: str | None, by: User | None) -> None:
    """Tell the side that did not act about a booking's new status (if it waits for it).

    A step that keeps the status (marked done, paid on site) is not a new answer: the
    resident hears of a service marked done through ``service_done``.
    """
    status = booking.status
    if status == from_status:
        return
    if status == S.REQUESTED:
        _tell([booking.provider.owner], "booking_requested", booking)
    elif status in TO_RESIDENT:
        _tell(_resident_side(booking), TO_RESIDENT[status], booking)
    elif status == S.EXPIRED and from_status == S.REQUESTED:
        _tell(_resident_side(booking), "booking_unanswered", booking)
    elif status == S.CANCELLED and by is not None:
        owner = booking.provider.owner
        if by.id == owner.id:
            _tell(_resident_side(booking), "booking_cancelled", booking)
        else:
            _tell([owner], "booking_cancelled", booking)


def service_done(booking: Booking) -> None:
    """The provider marked the service done: ask the resident's side to confirm it."""
    _tell(_resident_side(booking), "booking_delivered", booking)


def card_failed(booking: Booking) -> None:
    """The saved card could not be charged before the service, so the booking was cancelled."""
    _tell(_resident_side(booking), "booking_card_failed", booking)


def provider_decided(provider: Provider) -> None:
    """Tell the owner that a coordinator verified, rejected, suspended or reinstated it."""
    owner = db.session.get(User, provider.owner_id)
    link = _path("catalogue.home")
    if provider.status == "verified":
        notify(owner, "provider_verified", link=link, provider=provider.name)
    else:
        notify(
            owner,
            "provider_stopped",
            link=link,
            provider=provider.name,
            reason=provider.status_reason,
        )


# --- the day before ---------------------------------------------------------------------


def remind_bookings(tomorrow: date) -> int:
    """Remind the resident's side of each accepted booking that starts ``tomorrow`` (local
    date), once per booking and person. Returns how many notifications were made."""
    bookings = db.session.scalars(
        select(Booking)
        .where(
            Booking.status == S.ACCEPTED,
            Booking.starts_at >= to_utc(tomorrow, time.min),
            Booking.starts_at < to_utc(tomorrow + timedelta(days=1), time.min),
        )
        .order_by(Booking.id)
    )
    made = 0
    for booking in bookings:
        for person in _resident_side(booking):
            made += remind_once(
                person,
                "booking_tomorrow",
                about="booking_id",
                about_id=booking.id,
                link=_path("bookings.show", booking_id=booking.id),
                **_about(booking),
            )
    return made


def connect_booking_reminders() -> None:
    """Remind residents of tomorrow's bookings with the evening's reminders (idempotent)."""
    register_reminder("marketplace.bookings", remind_bookings)
