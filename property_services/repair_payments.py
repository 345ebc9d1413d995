"""Paying a repair's price online, through a marketplace booking of the provider that
the repair's organisation is linked to (物业+社区服务站).

When is a repair "paid online"? From the moment the booking's payment is arranged:
the card's money is held (authorised), the hours are held on the resident's account,
or the community subsidy pays all of it. That is when a resident who pressed "pay"
considers it paid and when the company knows the money is secured, so its worker must
not ask for cash at the door. The money itself moves as for every marketplace booking:
taken when the booking completes, given back if it does not. A booking of a repair is
accepted as soon as its payment is arranged (the company set the price and the time
itself, marketplace.quoted_bookings).

A repair has at most one live booking (a partial unique index, and the repair's row
locked while one is made). When the booking is declined, expires, is cancelled or
refunded, the repair is unpaid again and can be paid again. Paying on site stays
possible for a repair not paid online (and paying online is refused once the worker
recorded that it was paid on site).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic.repair_access import on_resident_side, repair_for, require_resident_side
from civic.repair_models import Repair, RepairStatus
from civic.repair_notices import place_words
from community.models import User, utcnow
from extensions import db
from marketplace.booking_models import Booking
from marketplace.booking_models import BookingStatus as S
from marketplace.models import ProviderStatus
from marketplace.quoted_bookings import book_quoted, quoted_methods, quoted_minutes
from property_services.errors import Conflict, InvalidInput
from property_services.models import RepairBooking, ServiceStation

# A booking in one of these is over without paying: its repair is unpaid again.
ENDED = frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED, S.REFUNDED})


def live_booking(repair: Repair) -> RepairBooking | None:
    """The repair's live booking (made and not ended), if any."""
    return db.session.scalar(
        select(RepairBooking).where(
            RepairBooking.repair_id == repair.id, RepairBooking.ended_at.is_(None)
        )
    )


def repair_paid_by(booking: Booking) -> Repair | None:
    """The repair ``booking`` pays (or paid), if it is a repair's booking."""
    return db.session.scalar(
        select(Repair)
        .join(RepairBooking, RepairBooking.repair_id == Repair.id)
        .where(RepairBooking.booking_id == booking.id)
    )


def station_for(repair: Repair) -> ServiceStation | None:
    """The 服务站 of the repair's organisation, if it takes payments online now (linked to
    a verified provider)."""
    station = db.session.scalar(
        select(ServiceStation).where(ServiceStation.organisation_id == repair.organisation_id)
    )
    if station is None or station.provider.status != ProviderStatus.VERIFIED:
        return None
    return station


def visit_time(repair: Repair, now: datetime) -> datetime | None:
    """When the booking takes place: the appointment, or before one is set the start of
    the time the resident is home; None once that is over (pay on site then)."""
    if repair.status == RepairStatus.SENT:
        at = repair.window_start
    elif repair.status == RepairStatus.ASSIGNED:
        at = repair.appointment_at
    else:  # the worker came already
        return None
    return at if at is not None and at > now else None


@dataclass(frozen=True)
class PayOnline:
    """What the pay form offers: the station, the ways to pay, the price in minutes."""

    station: ServiceStation
    methods: list[str]
    minutes: int | None


def why_not_payable(repair: Repair, now: datetime) -> InvalidInput | Conflict | None:
    """The reason ``repair`` cannot be paid online now (locked or not), or None."""
    if repair.price_fen is None:
        return InvalidInput(_l("This repair is free: it is inside the property fee."))
    if repair.price_accepted_at is None:
        return Conflict(_l("Accept the price first. Then you can pay it."))
    if repair.paid_on_site:
        return Conflict(_l("This repair was paid on site already."))
    if live_booking(repair) is not None:
        return Conflict(_l("This repair is paid online already, or its payment is under way."))
    if station_for(repair) is None:
        return InvalidInput(
            _l(
                "%(name)s does not take payments online. Please pay on site.",
                name=repair.organisation.name,
            )
        )
    if visit_time(repair, now) is None:
        return Conflict(_l("The worker's visit time has passed. Please pay on site."))
    return None


def pay_online_offer(reader: User, repair: Repair, now: datetime | None = None) -> PayOnline | None:
    """What the repair's page offers ``reader`` to pay online, or None (not their side,
    or the repair cannot be paid online now)."""
    if repair.price_fen is None or repair.price_accepted_at is None or repair.paid_on_site:
        return None  # most repairs: no query
    if not on_resident_side(reader, repair, "may_book"):
        return None
    if why_not_payable(repair, now or utcnow()) is not None:
        return None
    station = station_for(repair)
    methods = quoted_methods(station.repair_item)
    if not methods:
        return None
    return PayOnline(station, methods, quoted_minutes(station.repair_item, repair.price_fen))


def repair_to_pay(by: User, repair_id: int) -> Repair:
    """The repair ``repair_id`` if ``by`` is on its resident's side (may book for them).

    Raises NotFound (a repair ``by`` does not see; an id out of range), NotAllowed (the
    organisation's staff, who see it but do not pay it)."""
    repair = repair_for(by, repair_id)
    require_resident_side(by, repair, "may_book")
    return repair


def pay_repair_online(
    repair_id: int,
    *,
    by: User,
    payment_method: str,
    expected_price_fen: int,
    idempotency_key: str,
    now: datetime | None = None,
) -> Booking:
    """Pay the repair ``repair_id``'s accepted price online through a booking of its
    organisation's provider, made by ``by`` (the resident, family who may book for
    them, or their coordinator) for the resident, at the visit's time.

    Raises NotFound (a repair ``by`` does not see; an id out of range), NotAllowed (not
    the resident's side), InvalidInput (free, organisation not linked, a payment way not
    offered), Conflict (price not accepted, changed since shown, paid on site or online
    already, the visit over), and what marketplace.quoted_bookings.book_quoted raises.
    """
    now = now or utcnow()
    repair = repair_to_pay(by, repair_id)
    # the repair's row is held until the commit: two payments of it are made one by one
    repair = db.session.scalar(
        select(Repair)
        .where(Repair.id == repair.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    refusal = why_not_payable(repair, now)
    if refusal is not None:
        raise refusal
    if expected_price_fen != repair.price_fen:
        raise Conflict(_l("The price changed. Please look again."))
    station = station_for(repair)
    booking = book_quoted(
        by=by,
        resident=repair.resident,
        item=station.repair_item,
        title=str(_l("Repair: %(what)s", what=repair.description)),
        price_fen=repair.price_fen,
        starts_at=visit_time(repair, now),
        payment_method=payment_method,
        idempotency_key=idempotency_key,
        note=place_words(repair),
        now=now,
    )
    link = RepairBooking(
        repair_id=repair.id,
        booking_id=booking.id,
        paid_at=None if booking.status == S.PENDING_PAYMENT else now,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(link)
    except IntegrityError as error:  # the partial unique index: one live booking a repair
        raise Conflict(
            _l("This repair is paid online already, or its payment is under way.")
        ) from error
    return booking


def booking_moved(booking: Booking, *, from_status: str | None, by: User | None) -> None:
    """The marketplace's signal: keep the repair a booking pays in step with it (paid
    when its payment is arranged, unpaid again when it ends without paying)."""
    del from_status, by
    if booking.status == S.PENDING_PAYMENT:
        return
    link = db.session.scalar(
        select(RepairBooking).where(
            RepairBooking.booking_id == booking.id, RepairBooking.ended_at.is_(None)
        )
    )
    if link is None:
        return
    if booking.status in ENDED:
        link.ended_at = utcnow()
    elif link.paid_at is None:
        link.paid_at = utcnow()
    db.session.flush()


def paid_words(repair: Repair) -> str | None:
    """civic's payment source: "paid online" (or its payment under way) while a live
    booking pays the repair, else None."""
    link = live_booking(repair)
    if link is None:
        return None
    if link.paid_at is None:
        return str(_l("Being paid online: the card is not finished"))
    return str(_l("Paid online"))
