"""Who reaches what in the marketplace, built on the one rule (community.reach).

A booking belongs to its resident. It is reached by those who reach the
resident with ``may_book``: the resident, family whose link allows booking, a
coordinator of the resident's community and a street admin of its street.
The owner of its provider reaches it too: serving it is their work. A
coordinator of another community the same provider serves reaches nothing of
it: a provider serving several communities has one side per community.

A review, its reports and a dispute follow their booking; staff work on them
only for their own residents, and never on a provider they run. Decisions
about a provider itself (verify, reject, suspend, reinstate) stay with the
coordinators of the communities it serves and the admin of its street.

Phone numbers: a resident's only to their own side, their coordinators and
the provider of a booking still to be served (``may_see_resident_phone``). A
provider's contact phone is its business line, shown on a booking's page to
whoever may open it and to the coordinators deciding about the provider. On
the provider's own page (``may_see_provider_phone``) a company's line is shown
to signed-in members, never to a visitor; an individual's (often their own
mobile) only to those who could read it on a booking's page anyway, its owner
and the staff who decide about it.

Services ask these (and use the SQL conditions for lists); views and
templates never decide reach.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, or_, select

from community.models import Role, User
from community.reach import (
    coordinated_member_condition,
    coordinates,
    coordinates_community,
    family_may,
    member_condition,
    members_reached,
    reaches,
    same_street,
)
from extensions import db
from marketplace.booking_models import Booking, BookingStatus
from marketplace.errors import NotAllowed, NotFound
from marketplace.models import Provider, ProviderKind
from marketplace.review_models import Review

# The family permission that puts someone on a resident's side of a booking.
RESIDENT_SIDE = "may_book"
# A booking the provider still has to serve: the provider may need to call the resident.
LIVE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.ACCEPTED)


# --- the resident's side ------------------------------------------------------------------


def may_book_for(actor: User, resident: User) -> bool:
    """The resident, family whose link allows booking, or the resident's coordinator."""
    return reaches(actor, resident, RESIDENT_SIDE)


def residents_booked_for(actor: User, residents: Iterable[User]) -> set[int]:
    """The ids of ``residents`` that ``actor`` may book for (one family query for them all)."""
    return members_reached(actor, residents, RESIDENT_SIDE)


def acts_as_staff(actor: User, resident: User) -> bool:
    """True if ``actor`` acts for ``resident`` as their coordinator (not as themself or family):
    the staff action the audit log records."""
    return (
        actor.id != resident.id
        and coordinates(actor, resident)
        and not family_may(actor, resident, RESIDENT_SIDE)
    )


def resident_for(actor: User, resident_id: int | None) -> User:
    """Whom ``actor`` books for: themself, or ``resident_id`` if they may book for them.

    Raises NotFound for an unknown id or a member of another street (whose
    existence is not ``actor``'s to learn), NotAllowed when they may not.
    """
    if resident_id is None or resident_id == actor.id:
        return actor
    resident = db.session.get(User, resident_id)
    if resident is None or not same_street(actor, resident):
        raise NotFound(_l("No member found for “%(who)s”.", who="#" + str(resident_id)))
    if not may_book_for(actor, resident):
        raise NotAllowed(_l("You may only book for yourself or for family who agreed."))
    return resident


# --- providers ------------------------------------------------------------------------------


def runs_provider(actor: User, provider: Provider) -> bool:
    """True if ``actor`` is the provider's owner (the account that applied for it)."""
    return actor.id == provider.owner_id


def owned_provider_ids(actor: User) -> Select:
    """A query of the ids of the providers ``actor`` runs."""
    return select(Provider.id).where(Provider.owner_id == actor.id)


def oversees_provider(actor: User, provider: Provider) -> bool:
    """True for a street admin of the provider's street, or a coordinator of a community it serves.

    For decisions about the provider itself only: its bookings and reviews follow
    their residents (``may_view_booking``, ``may_moderate_review``).
    """
    if actor.role == Role.STREET_ADMIN:
        return actor.community.street_id == provider.street_id
    return any(coordinates_community(actor, c) for c in provider.communities)


def check_runs_provider(actor: User, provider: Provider) -> None:
    """Raise NotAllowed unless ``actor`` runs ``provider``."""
    if not runs_provider(actor, provider):
        raise NotAllowed(_l("Only the provider itself may do this."))


def check_oversees_provider(actor: User, provider: Provider) -> None:
    """Raise NotAllowed unless ``actor`` coordinates a community the provider serves."""
    if not oversees_provider(actor, provider):
        raise NotAllowed(_l("Only a coordinator of a community this provider serves may do this."))


def may_see_provider(actor: User | None, provider: Provider) -> bool:
    """Everyone sees a verified provider's page; only its owner and the staff who decide
    about it see one that is not (yet, or any more) verified."""
    if provider.is_visible:
        return True
    return actor is not None and (
        runs_provider(actor, provider) or oversees_provider(actor, provider)
    )


def may_see_provider_phone(actor: User | None, provider: Provider) -> bool:
    """A company's contact phone: any signed-in member who sees its page. An individual's:
    its owner, the staff who decide about it, and members with a booking of it they may
    open (one query)."""
    if actor is None or not may_see_provider(actor, provider):
        return False
    if provider.kind == ProviderKind.COMPANY:
        return True
    if runs_provider(actor, provider) or oversees_provider(actor, provider):
        return True
    booked = select(Booking.id).where(Booking.provider_id == provider.id, booking_condition(actor))
    return db.session.scalar(select(booked.exists())) is True


# --- bookings ---------------------------------------------------------------------------------


def may_view_booking(actor: User, booking: Booking) -> bool:
    """The resident's side (``may_book_for``) and the provider's owner."""
    return runs_provider(actor, booking.provider) or may_book_for(actor, booking.resident)


def booking_condition(actor: User) -> ColumnElement[bool]:
    """SQL on Booking: the bookings ``actor`` may see (as ``may_view_booking``)."""
    return or_(
        Booking.provider_id.in_(owned_provider_ids(actor)),
        member_condition(actor, Booking.resident_id, RESIDENT_SIDE),
    )


def staff_booking_condition(actor: User) -> ColumnElement[bool]:
    """SQL on Booking: the resident is one of ``actor``'s community (their staff queues),
    on a provider ``actor`` does not run."""
    return coordinated_member_condition(actor, Booking.resident_id) & Booking.provider_id.not_in(
        owned_provider_ids(actor)
    )


def may_decide_dispute(actor: User, booking: Booking) -> bool:
    """A coordinator of the resident's community (a street admin of its street), unless they
    are the resident or run the provider (someone else must decide then)."""
    return (
        actor.id != booking.resident_id
        and coordinates(actor, booking.resident)
        and not runs_provider(actor, booking.provider)
    )


def may_see_resident_phone(actor: User, booking: Booking) -> bool:
    """The resident's side, and the provider's owner while the booking is still to be served
    (they may need to call at the door); nobody else, and not the provider afterwards."""
    if may_book_for(actor, booking.resident):
        return True
    return runs_provider(actor, booking.provider) and booking.status in LIVE_STATUSES


# --- reviews ----------------------------------------------------------------------------------


def may_moderate_review(actor: User, review: Review) -> bool:
    """A coordinator of the reviewing resident's community (a street admin of its street)
    who does not run the provider reviewed."""
    booking = review.booking
    return coordinates(actor, booking.resident) and not runs_provider(actor, booking.provider)


def may_read_review(actor: User, review: Review) -> bool:
    """A shown review is read by whoever sees its provider's page; one hidden as abusive by
    the reviewing resident's coordinators alone (``may_moderate_review``), never by the
    provider reviewed: it reads and answers it only once it is shown again."""
    if review.is_hidden:
        return may_moderate_review(actor, review)
    return may_see_provider(actor, review.booking.provider)


def review_staff_condition(actor: User) -> ColumnElement[bool]:
    """SQL on Review: reviews ``actor`` moderates (as ``may_moderate_review``)."""
    staff_bookings = select(Booking.id).where(staff_booking_condition(actor))
    return Review.booking_id.in_(staff_bookings)
