"""Bookings at a price and a time the provider quoted itself, outside its calendar.

A property company's repair is priced per job and done at the appointment its
manager set, not at one of the weekly slots: such a booking names one of the
provider's items (usually a paused one, kept for quotes: its category decides which
subsidy rules apply, its price and price in minutes are the rate at which hours pay
for it), and copies the quoted title and price. It is accepted as soon as its
payment is arranged (the provider set the price and the time, so there is nothing to
answer); after that it lives a normal booking's life (marketplace.transitions): the
provider marks it done, the resident confirms or it completes by itself, either side
may cancel before the start; card, hours and the community subsidy move exactly as for
a booking from the menu.

Packages built on the marketplace (the 物业+服务站 glue) call this; the marketplace
knows nothing of what was quoted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.models import User, utcnow
from extensions import db
from marketplace import notices, signals
from marketplace.access import may_book_for
from marketplace.booking_models import Booking, BookingEvent, BookingStatus, PaymentMethod
from marketplace.bookings import AlreadyBooked, arrange_payment, check_serves, record_acted_for
from marketplace.card import card_payments_enabled
from marketplace.errors import InvalidInput, NotAllowed, NotFound
from marketplace.models import ProviderStatus, ServiceItem
from marketplace.transitions import NOTE_QUOTED, accept_quoted
from timebank.visits import payer_account_id

MAX_QUOTED_FEN = 10_000_00  # ¥10,000, like a repair's price
QUOTED_METHODS = (PaymentMethod.CARD, PaymentMethod.HOURS)


def quoted_minutes(item: ServiceItem, price_fen: int) -> int | None:
    """``price_fen`` in time-bank minutes at ``item``'s rate (rounded up, in the
    provider's favour, as a part-subsidy's share is); None if the item takes no hours."""
    if item.price_minutes is None:
        return None
    return ceil(price_fen * item.price_minutes / item.price_fen)


def quoted_methods(item: ServiceItem) -> list[str]:
    """How a quote on ``item`` may be paid online: card when card payments are on,
    hours when the item has a price in minutes."""
    methods = []
    if card_payments_enabled():
        methods.append(PaymentMethod.CARD)
    if item.price_minutes is not None:
        methods.append(PaymentMethod.HOURS)
    return methods


def book_quoted(
    *,
    by: User,
    resident: User,
    item: ServiceItem,
    title: str,
    price_fen: int,
    starts_at: datetime,
    payment_method: str,
    idempotency_key: str,
    duration: timedelta = timedelta(hours=1),
    note: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book one job of ``item`` for ``resident`` at the quoted ``price_fen`` and
    ``starts_at`` (naive UTC), paid by card or hours, the community subsidy first.

    ``by`` is the resident, family whose link allows booking, or their coordinator
    (written to the audit log). A card booking waits for the card (its money held
    when it comes); hours are held on the resident's account.

    Raises NotAllowed (may not book for them, account closed, provider does not serve
    them), NotFound (provider not verified), InvalidInput (payment method, price,
    time, title), AlreadyBooked (the key was used), and from the time bank
    RedeemAgeNotReached and BelowFloor when paying in hours.
    """
    now = now or utcnow()
    if not may_book_for(by, resident):
        raise NotAllowed()
    if not resident.is_active_member:
        raise NotAllowed(_l("This member's account is closed."))
    provider = item.provider
    if provider.status != ProviderStatus.VERIFIED:
        raise NotFound(_l("This service is not available."))
    check_serves(provider, resident)
    if payment_method not in quoted_methods(item):
        raise InvalidInput(_l("Choose how to pay."))
    if not 0 < price_fen <= MAX_QUOTED_FEN:
        raise InvalidInput(_l("A price must be from ¥0.01 to ¥10,000."))
    if starts_at <= now or duration <= timedelta(0):
        raise InvalidInput(_l("This time has already passed. Please choose a later one."))
    title = title.strip()[:80]
    if not title:
        raise InvalidInput(_l("Say what the booking is for."))
    if db.session.scalar(select(Booking.id).where(Booking.idempotency_key == idempotency_key)):
        raise AlreadyBooked()
    if payment_method == PaymentMethod.HOURS:
        payer_account_id(resident, starts_at.date())  # the community's rule on spending hours

    booking = Booking(
        provider_id=provider.id,
        item_id=item.id,
        slot_id=None,
        resident_id=resident.id,
        booked_by_id=by.id,
        community_id=resident.community_id,
        starts_at=starts_at,
        ends_at=starts_at + duration,
        quantity=1,
        title=title,
        category=item.category,
        unit=item.unit,
        unit_price_fen=price_fen,
        total_fen=price_fen,
        subsidy_fen=0,
        payment_method=payment_method,
        note=note.strip()[:500],
        status=BookingStatus.REQUESTED,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same key from a request that committed meanwhile
        raise AlreadyBooked() from error
    arrange_payment(
        booking,
        item,
        provider,
        resident,
        by=by,
        now=now,
        full_minutes=quoted_minutes(item, price_fen),
    )
    db.session.add(
        BookingEvent(
            booking_id=booking.id,
            from_status=None,
            to_status=booking.status,
            actor_id=by.id,
            on_behalf_of_id=None if by.id == resident.id else resident.id,
            note=NOTE_QUOTED,
            created_at=now,
        )
    )
    db.session.flush()
    notices.booking_moved(booking, None, by)
    signals.booking_moved.send(booking, from_status=None, by=by)
    accept_quoted(booking)  # paid by hours or the subsidy: arranged already
    record_acted_for(by, booking, "book")
    return booking
