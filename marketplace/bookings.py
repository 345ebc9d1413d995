"""Making a booking, and who may see one.

A booking is made by its resident, by family whose link allows booking, or
by the resident's coordinator (recorded in the audit log). Its places are counted and taken under a lock
on the provider's row, in the transaction that inserts it, so two residents
can never take the last place. Every later change of state belongs to
marketplace.transitions.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from math import ceil

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from community import audit
from community.audit import Action
from community.models import User, utcnow
from community.reach import family_elder_ids, member_condition
from extensions import db
from marketplace import notices, signals, subsidies
from marketplace.access import (
    RESIDENT_SIDE,
    acts_as_staff,
    may_see_resident_phone,
    may_view_booking,
    resident_for,
)
from marketplace.booking_models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Fulfilment,
    PaymentMethod,
)
from marketplace.card import card_payments_enabled
from marketplace.errors import (
    Conflict,
    InvalidInput,
    NotAllowed,
    NotAvailable,
    NotFound,
    PriceChanged,
)
from marketplace.keyset import Cursor, Page, earlier_than, page_of
from marketplace.models import Provider, ProviderStatus, ServiceCategory, ServiceItem
from marketplace.openings import Opening, day_plan, openings
from marketplace.states import OCCUPYING
from timebank.accounts import member_account
from timebank.ledger import place_hold
from timebank.visits import payer_account_id

MAX_QUANTITY = 10
EARLIER_SHOWN = 20  # earlier bookings on a page of my bookings


class AlreadyBooked(Conflict):
    """The idempotency key was used before: the form was double-clicked or replayed."""

    def __init__(self) -> None:
        super().__init__(_l("This booking was already made. Nothing was booked twice."))


def payment_hold_minutes() -> int:
    """How long a pending card payment holds its places."""
    return current_app.config["MARKETPLACE_PAYMENT_HOLD_MINUTES"]


# The provider answers at least this long before the start, so the resident still has
# time to find another way; at shorter notice, by halfway between booking and start.
ANSWER_BEFORE_START = timedelta(hours=1)


def answer_deadline(now: datetime, starts_at: datetime, response_hours: int) -> datetime:
    """When the provider must answer a booking made at ``now`` for ``starts_at``.

    Their usual response time, but never later than an hour before the start; a booking
    made at shorter notice is answered by halfway to the start (always before it).
    """
    usual = now + timedelta(hours=response_hours)
    halfway = now + (starts_at - now) / 2
    latest = max(starts_at - ANSWER_BEFORE_START, halfway)
    return min(usual, latest)


def bookable_item(item_id: int) -> ServiceItem:
    """The item, if its provider is verified. Raises NotFound otherwise (residents must not
    learn that an unverified provider exists)."""
    item = db.session.get(ServiceItem, item_id)
    if item is None or item.provider.status != ProviderStatus.VERIFIED:
        raise NotFound(_l("This service is not available."))
    return item


def check_serves(provider: Provider, resident: User) -> None:
    """Raise NotAllowed unless ``provider`` serves ``resident``'s community."""
    if resident.community_id not in {c.id for c in provider.communities}:
        raise NotAllowed(
            _l(
                "This provider does not serve %(community)s.",
                community=resident.community.name,
            )
        )


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            _l("Book between %(min)s and %(max)s at a time.", min=1, max=MAX_QUANTITY)
        )


def _check_payment(item: ServiceItem, payment_method: str) -> None:
    if payment_method not in tuple(PaymentMethod):
        raise InvalidInput(_l("Choose how to pay."))
    if payment_method == PaymentMethod.HOURS and item.price_minutes is None:
        raise InvalidInput(_l("This service cannot be paid in time-bank hours."))
    if payment_method == PaymentMethod.CARD and not card_payments_enabled():
        raise InvalidInput(_l("Paying by card is not available. Please choose another way."))


def _check_price(
    item: ServiceItem, payment_method: str, expected_fen: int, expected_minutes: int | None
) -> None:
    if expected_fen != item.price_fen:
        raise PriceChanged()
    if payment_method == PaymentMethod.HOURS and expected_minutes != item.price_minutes:
        raise PriceChanged()


def _check_child(item: ServiceItem, child_age_months: int | None) -> None:
    if item.category != ServiceCategory.CHILDCARE:
        return
    if child_age_months is None or child_age_months < 0:
        raise InvalidInput(_l("Enter the child's age in months."))
    low, high = item.min_age_months, item.max_age_months
    if (low is not None and child_age_months < low) or (
        high is not None and child_age_months > high
    ):
        raise InvalidInput(
            _l(
                "This service is for children from %(min)s to %(max)s months old.",
                min=low if low is not None else 0,
                max=high if high is not None else "…",
            )
        )


def _check_opening(item: ServiceItem, opening: Opening | None, quantity: int, now: datetime):
    if opening is None:
        raise NotAvailable(_l("This time is not offered on that day. Please choose another."))
    if opening.starts_at <= now:
        raise NotAvailable(_l("This time has already passed. Please choose a later one."))
    if opening.too_soon:
        raise NotAvailable(
            _l(
                "Please book at least %(hours)s hours ahead.",
                hours=item.provider.min_notice_hours,
            )
        )
    if opening.places_left <= 0:
        raise NotAvailable(_l("This time is full. Please choose another time."))
    if opening.places_left < quantity:
        raise NotAvailable(
            _l(
                "Only %(left)s places are left at this time. Please book fewer.",
                left=opening.places_left,
            )
        )


def _check_fulfilment(menu, fulfilment: str | None, address: str) -> str:
    if fulfilment == Fulfilment.PICKUP and menu.offers_pickup:
        return fulfilment
    if fulfilment == Fulfilment.DELIVERY and menu.offers_delivery:
        if not address:
            raise InvalidInput(_l("Enter the address to deliver the meal to."))
        return fulfilment
    raise InvalidInput(_l("Choose pickup or delivery as offered on that day's menu."))


def create_booking(
    *,
    by: User,
    item_id: int,
    day: date,
    slot_id: int,
    quantity: int,
    payment_method: str,
    expected_price_fen: int,
    expected_price_minutes: int | None,
    idempotency_key: str,
    resident_id: int | None = None,
    fulfilment: str | None = None,
    child_age_months: int | None = None,
    address: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book ``quantity`` places of an item at one slot of the Shanghai date ``day``.

    The resident is ``by`` or ``resident_id`` (family with may_book, or their
    coordinator). Places are counted under a lock on the provider's row.
    A card booking waits for payment (its places held ~15 minutes); hours are
    held on the resident's account; on site and a full subsidy go straight to
    the provider as requested.

    Raises NotFound (unknown item, provider not verified, unknown resident),
    NotAllowed (may not book for them, provider does not serve them),
    InvalidInput (quantity, payment method, child age, pickup/delivery),
    PriceChanged, NotAvailable (paused, no such slot, closed, past, too soon,
    full), AlreadyBooked (replayed key), and from the time bank
    RedeemAgeNotReached and BelowFloor when paying in hours.
    """
    now = now or utcnow()
    _check_quantity(quantity)
    item = bookable_item(item_id)
    provider = item.provider
    resident = resident_for(by, resident_id)
    if not resident.is_active_member:
        raise NotAllowed(_l("This member's account is closed."))
    check_serves(provider, resident)
    if item.is_paused:
        raise NotAvailable(_l("This service is paused for now. Please try again later."))
    _check_payment(item, payment_method)
    _check_price(item, payment_method, expected_price_fen, expected_price_minutes)
    _check_child(item, child_age_months)
    address, note = (address or "").strip(), (note or "").strip()
    if len(address) > 200 or len(note) > 500:
        raise InvalidInput(_l("Some of the text is too long."))

    # The lock comes before the count: whoever holds it sees every booking committed before.
    provider = db.session.scalar(
        select(Provider)
        .where(Provider.id == provider.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if provider.status != ProviderStatus.VERIFIED:
        raise NotFound(_l("This service is not available."))
    if db.session.scalar(select(Booking.id).where(Booking.idempotency_key == idempotency_key)):
        raise AlreadyBooked()
    plan = day_plan(item, day)
    if item.category == ServiceCategory.MEALS and plan.menu is None:
        raise NotAvailable(_l("There is no menu for that day yet. Please choose another day."))
    opening = next(
        (o for o in openings(item, day, now=now, plan=plan) if o.slot_id == slot_id), None
    )
    _check_opening(item, opening, quantity, now)
    if item.category == ServiceCategory.MEALS:
        fulfilment = _check_fulfilment(plan.menu, fulfilment, address)
    else:
        fulfilment = None
    if payment_method == PaymentMethod.HOURS:
        # The community's rule on who may spend hours (age, hardship) applies here too;
        # its answer (which account would pay a mutual-aid visit) is not used: the
        # resident's own hours pay a provider.
        payer_account_id(resident, day)

    booking = Booking(
        provider_id=provider.id,
        item_id=item.id,
        slot_id=slot_id,
        resident_id=resident.id,
        booked_by_id=by.id,
        community_id=resident.community_id,
        starts_at=opening.starts_at,
        ends_at=opening.ends_at,
        quantity=quantity,
        title=item.title,
        category=item.category,
        unit=item.unit,
        unit_price_fen=item.price_fen,
        total_fen=item.price_fen * quantity,
        subsidy_fen=0,
        payment_method=payment_method,
        fulfilment=fulfilment,
        child_age_months=child_age_months if item.category == ServiceCategory.CHILDCARE else None,
        address=address,
        note=note,
        status=BookingStatus.REQUESTED,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same key from a request that committed meanwhile
        raise AlreadyBooked() from error
    arrange_payment(booking, item, provider, resident, by=by, now=now)
    db.session.add(
        BookingEvent(
            booking_id=booking.id,
            from_status=None,
            to_status=booking.status,
            actor_id=by.id,
            on_behalf_of_id=None if by.id == resident.id else resident.id,
            created_at=now,
        )
    )
    db.session.flush()
    notices.booking_moved(booking, None, by)
    signals.booking_moved.send(booking, from_status=None, by=by)
    record_acted_for(by, booking, "book")
    return booking


def record_acted_for(by: User | None, booking: Booking, step: str) -> None:
    """Write a coordinator's step for a resident into the audit log (after the step's writes);
    the resident's own steps and family's are not staff actions."""
    if by is None or not acts_as_staff(by, booking.resident):
        return
    audit.record(
        Action.ACTED_FOR,
        actor=by,
        subject=booking.resident,
        target=f"booking:{booking.id}",
        after={"step": step, "status": booking.status, "title": booking.title},
    )


def arrange_payment(
    booking: Booking,
    item: ServiceItem,
    provider: Provider,
    resident: User,
    *,
    by: User,
    now: datetime,
    full_minutes: int | None = None,
) -> None:
    """Set the booking's status, deadline and money: subsidy first, then the chosen method.

    ``full_minutes`` is the whole price in hours (default: the item's, times the quantity).
    """
    subsidies.reserve(booking, now=now)
    if booking.subsidy_fen >= booking.total_fen:
        booking.payment_method = PaymentMethod.SUBSIDY
    method = booking.payment_method
    if method == PaymentMethod.SUBSIDY and booking.subsidy_fen < booking.total_fen:
        raise InvalidInput(_l("The subsidy does not pay all of it. Please choose how to pay."))
    if method == PaymentMethod.CARD:
        booking.status = BookingStatus.PENDING_PAYMENT
        booking.expires_at = now + timedelta(minutes=payment_hold_minutes())
        return
    if method == PaymentMethod.HOURS:
        full = full_minutes or item.price_minutes * booking.quantity
        # a part-subsidy pays its share of the hours too (rounded in the provider's favour)
        booking.total_minutes = ceil(full * booking.payable_fen / booking.total_fen)
        booking.hold_id = place_hold(
            account_id=member_account(resident).id,
            minutes=booking.total_minutes,
            reason=booking.title,
            idempotency_key=f"booking:{booking.id}:hold",
            entered_by=by,
        )
    booking.status = BookingStatus.REQUESTED
    booking.expires_at = answer_deadline(now, booking.starts_at, provider.response_hours)


# --- who may see a booking --------------------------------------------------------------


def may_view(actor: User, booking: Booking) -> bool:
    """The resident's side (the resident, family allowed to book, their coordinator, their
    street admin) and the provider's owner; see marketplace.access."""
    return may_view_booking(actor, booking)


def booking_for(actor: User, booking_id: int) -> Booking:
    """The booking if ``actor`` may see it. Raises NotFound otherwise (its existence is private)."""
    # its provider in the same query: who may see it, and its page, read the provider
    booking = db.session.get(Booking, booking_id, options=(joinedload(Booking.provider),))
    if booking is None or not may_view(actor, booking):
        raise NotFound(_l("This booking does not exist."))
    return booking


def resident_phone_for(actor: User, booking: Booking) -> str | None:
    """The resident's phone number if ``actor``'s work needs it (see
    access.may_see_resident_phone), else None."""
    return booking.resident.phone if may_see_resident_phone(actor, booking) else None


# Bookings that are over: "book again" (再订一次) is offered on them.
BOOK_AGAIN_STATUSES = frozenset(
    {
        BookingStatus.COMPLETED,
        BookingStatus.CANCELLED,
        BookingStatus.DECLINED,
        BookingStatus.EXPIRED,
        BookingStatus.NO_SHOW,
        BookingStatus.REFUNDED,
    }
)


def may_book_again(actor: User, booking: Booking) -> bool:
    """True if ``actor`` is offered to book ``booking``'s item again (再订一次): a booking
    that is over, theirs or made by them, of a provider residents can still book. The
    booking page checks the rest (paused, full, who they may book for)."""
    return (
        booking.status in BOOK_AGAIN_STATUSES
        and actor.id in (booking.resident_id, booking.booked_by_id)
        and booking.provider.status == ProviderStatus.VERIFIED
    )


def bookings_of(actor: User, *, now: datetime | None = None) -> tuple[list[Booking], Page]:
    """Bookings for ``actor`` and those ``actor`` made for others they still reach:
    (upcoming ones soonest first, the first page of the earlier ones).

    Earlier ones, and those that ended before their start (such as a cancelled one), come
    latest first, EARLIER_SHOWN a page; ``earlier_bookings_of`` reads the pages after.
    A relative whose link no longer allows booking no longer sees what they booked.
    """
    upcoming, earlier, params = _lists_for(actor, now)
    return (
        list(db.session.scalars(upcoming, params)),
        page_of(list(db.session.scalars(earlier, params)), EARLIER_SHOWN),
    )


def earlier_bookings_of(actor: User, before: Cursor | None, *, now: datetime | None = None) -> Page:
    """The page of ``actor``'s earlier bookings (as in ``bookings_of``) after ``before``,
    latest first (keyset on (starts_at, id)); from the first when ``before`` is None."""
    _, earlier, params = _lists_for(actor, now)
    if before is not None:
        earlier = earlier.where(earlier_than(before))
    return page_of(list(db.session.scalars(earlier, params)), EARLIER_SHOWN)


def _lists_for(actor: User, now: datetime | None) -> tuple[Select, Select, dict]:
    """The statements of ``actor``'s coming and earlier bookings, and their parameters."""
    now = now or utcnow()
    if actor.is_coordinator:
        # a coordinator's reach is their community (or street): built for them each time
        upcoming, earlier = _lists_of(
            or_(
                Booking.resident_id == actor.id,
                and_(
                    Booking.booked_by_id == actor.id,
                    member_condition(actor, Booking.resident_id, RESIDENT_SIDE),
                ),
            )
        )
        return upcoming, earlier, {"now": now}
    upcoming, earlier = _MEMBERS_LISTS
    elders = family_elder_ids(actor, RESIDENT_SIDE)
    return upcoming, earlier, {"actor_id": actor.id, "elder_ids": [actor.id, *elders], "now": now}


def _lists_of(mine) -> tuple[Select, Select]:
    """The statements of the coming and the earlier bookings that ``mine`` selects
    (the earlier ones: one more than a page, to know whether another follows)."""
    shown = (joinedload(Booking.provider), joinedload(Booking.resident))
    upcoming = (
        select(Booking)
        .where(mine, Booking.starts_at >= bindparam("now"), Booking.status.in_(OCCUPYING))
        .options(*shown)
        .order_by(Booking.starts_at, Booking.id)
    )
    earlier = (
        select(Booking)
        .where(mine, or_(Booking.starts_at < bindparam("now"), Booking.status.not_in(OCCUPYING)))
        .options(*shown)
        .order_by(Booking.starts_at.desc(), Booking.id.desc())
        .limit(EARLIER_SHOWN + 1)
    )
    return upcoming, earlier


# A member's (or a relative's) lists, built once: the resident is the member, or one of
# the elders whose link lets them book and for whom they made the booking.
_MEMBERS_LISTS = _lists_of(
    or_(
        Booking.resident_id == bindparam("actor_id"),
        and_(
            Booking.booked_by_id == bindparam("actor_id"),
            Booking.resident_id.in_(bindparam("elder_ids", expanding=True)),
        ),
    )
)
