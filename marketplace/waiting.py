"""The marketplace's part of a member's home: what waits for them, and where providers land.

The time bank's home gathers "等您办的事" (timebank.waiting) without importing the
marketplace; this module adds the bookings that wait for the resident's side: a
service the provider marked done, to confirm, and a completed booking not yet rated
(待评价) while it may still be rated. It also lands a provider's owner on their
dashboard after signing in (community.landing).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload

from community.landing import register_home
from community.models import User, utcnow
from community.waiting_items import register_waiting_kind
from extensions import db
from marketplace.access import RESIDENT_SIDE
from marketplace.booking_models import Booking
from marketplace.booking_models import BookingStatus as S
from marketplace.formatting import local_time
from marketplace.models import Provider, ProviderStatus
from marketplace.review_models import Review
from marketplace.reviews import REVIEW_WINDOW
from timebank.waiting import ITEMS_PER_SOURCE, WaitingItem, WaitingScope, register_waiting_source

# After the coordinator desk (no query), before the time bank's home.
PROVIDER_HOME_RANK = 20


# Built once (every member's home runs them): a statement made anew on each request
# costs more to build and look up in SQLAlchemy's cache than it takes to run.
_RUNS_A_PROVIDER = (
    select(Provider.id)
    .where(Provider.owner_id == bindparam("member_id"), Provider.status != ProviderStatus.REJECTED)
    .limit(1)
)
_WAITING = (
    select(Booking)
    .outerjoin(Review, Review.booking_id == Booking.id)
    .where(
        Booking.resident_id.in_(bindparam("member_ids", expanding=True)),
        or_(
            and_(Booking.status == S.ACCEPTED, Booking.delivered_at.is_not(None)),
            and_(
                Booking.status == S.COMPLETED,
                Booking.completed_at >= bindparam("completed_since"),
                Review.id.is_(None),
            ),
        ),
    )
    .order_by(Booking.starts_at, Booking.id)
    .limit(ITEMS_PER_SOURCE)
    .options(joinedload(Booking.provider))
)


def runs_a_provider(member: User) -> bool:
    """True if ``member`` owns a provider that was not turned down (one small query)."""
    return db.session.scalar(_RUNS_A_PROVIDER, {"member_id": member.id}) is not None


def bookings_waiting(scope: WaitingScope) -> list[WaitingItem]:
    """Bookings of the viewer (or of an elder whose link lets them book) that wait for the
    resident's side: marked done by the provider (to confirm), or completed within the
    rating window and not rated yet."""
    bookings = db.session.scalars(
        _WAITING,
        {
            "member_ids": scope.member_ids(RESIDENT_SIDE),
            "completed_since": utcnow() - REVIEW_WINDOW,
        },
    )
    items = []
    for booking in bookings:
        facts = {
            "item": booking.title,
            "provider": booking.provider.name,
            "when": LazyString(local_time, booking.starts_at),
        }
        day = booking.starts_at.date()
        if booking.status == S.ACCEPTED:
            items.append(
                WaitingItem(
                    kind="service_to_confirm",
                    member_id=booking.resident_id,
                    text=_l(
                        "%(provider)s says %(item)s (%(when)s) is done. Please confirm it.",
                        **facts,
                    ),
                    button=_l("Confirm the service"),
                    endpoint="bookings.show",
                    values={"booking_id": booking.id},
                    day=day,
                )
            )
        else:
            items.append(
                WaitingItem(
                    kind="booking_to_rate",
                    member_id=booking.resident_id,
                    text=_l("%(item)s (%(provider)s, %(when)s): how was it?", **facts),
                    button=_l("Rate the service"),
                    endpoint="reviews.new",
                    values={"booking_id": booking.id},
                    tag=_l("To rate"),
                    day=day,
                )
            )
    return items


def connect_waiting_items() -> None:
    """Add the bookings to members' waiting lists and land providers on their dashboard
    (idempotent)."""
    register_waiting_kind("service_to_confirm", 3)
    register_waiting_kind("booking_to_rate", 4)
    register_waiting_source("marketplace.bookings", bookings_waiting)
    register_home("provider_dashboard.index", runs_a_provider, rank=PROVIDER_HOME_RANK)
