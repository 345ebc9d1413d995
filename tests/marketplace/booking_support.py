"""Helpers for the booking tests: rows written directly, and counting what was written."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select

from extensions import db
from marketplace.booking_models import Booking, BookingEvent, BookingStatus, SubsidyGrant
from marketplace.bookings import create_booking
from marketplace.models import ServiceItem
from timebank.models import Hold, Transfer

_numbers = itertools.count(1)


def key() -> str:
    return uuid.uuid4().hex


def add_booking(
    item: ServiceItem,
    starts_at: datetime,
    *,
    quantity: int = 1,
    status: str = BookingStatus.REQUESTED,
    expires_at: datetime | None = None,
    resident=None,
    **fields,
) -> Booking:
    """A booking row written directly (no rules), to fill places in tests.

    ``fields`` set or override any other column (e.g. ``slot_id``, ``completed_at``).
    """
    provider = item.provider
    resident = resident or provider.owner
    values = dict(
        provider_id=provider.id,
        item_id=item.id,
        resident_id=resident.id,
        booked_by_id=resident.id,
        community_id=resident.community_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        quantity=quantity,
        title=item.title,
        category=item.category,
        unit=item.unit,
        unit_price_fen=item.price_fen,
        total_fen=item.price_fen * quantity,
        payment_method="on_site",
        status=status,
        expires_at=expires_at,
        idempotency_key=f"test-booking-{next(_numbers)}-{key()}",
    )
    booking = Booking(**(values | fields))
    db.session.add(booking)
    db.session.flush()
    return booking


def written() -> dict[str, int]:
    """How many rows the booking services may write, per table."""
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Booking, BookingEvent, Hold, Transfer, SubsidyGrant)
    }


def book(by, item, day, slot_id, **overrides) -> Booking:
    """A booking through the real service (paid on site unless ``overrides`` say otherwise)."""
    values = dict(
        by=by,
        item_id=item.id,
        day=day,
        slot_id=slot_id,
        quantity=1,
        payment_method="on_site",
        expected_price_fen=item.price_fen,
        expected_price_minutes=item.price_minutes,
        idempotency_key=key(),
    )
    values.update(overrides)
    return create_booking(**values)
