"""Two residents can never take the last place: 50 parallel attempts at the last 5 places.

Each thread has its own app context and session, books for its own resident,
commits what succeeds and rolls back what is refused, exactly as a request
does. Exactly five bookings are made; the other 45 get a clean NotAvailable.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from community.models import User
from errors import DomainError
from extensions import db
from marketplace.booking_models import Booking, BookingEvent
from marketplace.bookings import create_booking
from marketplace.clock import local_today, to_utc
from marketplace.models import WeeklySlot
from marketplace.openings import openings

from .booking_support import add_booking, key

pytestmark = pytest.mark.concurrency

ATTEMPTS = 50
LEFT = 5


def test_fifty_residents_race_for_the_last_five_places(app, make_provider, make_item, make_member):
    provider = make_provider("抢手家政", capacity=LEFT + 3)
    item = make_item(provider)
    day = local_today() + timedelta(days=2)
    slot_id = db.session.scalar(
        select(WeeklySlot.id).where(
            WeeklySlot.provider_id == provider.id,
            WeeklySlot.weekday == day.weekday(),
            WeeklySlot.starts_at == time(9),
        )
    )
    add_booking(item, to_utc(day, time(9)), quantity=3)
    residents = [make_member(f"抢位{i}").id for i in range(ATTEMPTS)]
    item_id, price_fen, price_minutes = item.id, item.price_fen, item.price_minutes
    # Committing ends the test's own transaction so it holds no lock while the threads run.
    db.session.commit()

    start = threading.Barrier(ATTEMPTS)
    booked: list[int] = []
    refused: Counter = Counter()
    crashed: list[str] = []
    results_lock = threading.Lock()

    def attempt(resident_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                booking = create_booking(
                    by=db.session.get(User, resident_id),
                    item_id=item_id,
                    day=day,
                    slot_id=slot_id,
                    quantity=1,
                    payment_method="on_site",
                    expected_price_fen=price_fen,
                    expected_price_minutes=price_minutes,
                    idempotency_key=key(),
                )
                db.session.commit()
                with results_lock:
                    booked.append(booking.id)
            except DomainError as error:
                db.session.rollback()
                with results_lock:
                    refused[type(error).__name__] += 1
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                with results_lock:
                    crashed.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(r,)) for r in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"

    assert crashed == []
    assert len(booked) == LEFT
    assert refused == Counter({"NotAvailable": ATTEMPTS - LEFT})
    starts_at = to_utc(day, time(9))
    taken = db.session.scalar(
        select(func.sum(Booking.quantity)).where(Booking.starts_at == starts_at)
    )
    assert taken == LEFT + 3
    assert db.session.scalar(select(func.count(BookingEvent.id))) == LEFT
    assert openings(db.session.get(type(item), item_id), day)[0].places_left == 0
