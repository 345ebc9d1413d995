"""The pay-online form sent ten times at once, on each database: one booking, one link,
one hold; every other copy gets a Conflict and writes nothing (the repair's row is
locked while a booking for it is made; the partial unique index stands behind it)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from civic.repair_models import Repair
from community.models import User
from errors import DomainError
from extensions import db
from marketplace.booking_models import Booking
from property_services.models import RepairBooking
from property_services.repair_payments import pay_repair_online
from tests.civic.repair_support import make_property
from tests.timebank.support import top_up
from timebank.models import Hold

from .support import PRICE_FEN, hourly_item, link, priced_repair, street_admin_of

pytestmark = pytest.mark.concurrency

SUBMITS = 10


@pytest.mark.parametrize("same_form", [True, False], ids=["one-form", "ten-forms"])
def test_ten_payments_at_once_give_one_booking(
    app, elder, make_member, provider, make_item, same_form
):
    place = make_property(elder, make_member)
    hourly_item(provider, make_item)
    link(place, provider, street_admin_of(make_member, elder))
    top_up(elder, 2000)
    repair_id, elder_id = priced_repair(place, elder).id, elder.id
    db.session.commit()

    start = threading.Barrier(SUBMITS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                pay_repair_online(
                    repair_id,
                    by=db.session.get(User, elder_id),
                    payment_method="hours",
                    expected_price_fen=PRICE_FEN,
                    idempotency_key="the-same-form" if same_form else f"form-{n}",
                )
                db.session.commit()
                outcome = "paid"
            except DomainError as error:
                db.session.rollback()
                outcome = f"refused {error.http_status}"
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcome = repr(error)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(SUBMITS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["paid"] + ["refused 409"] * (SUBMITS - 1)
    db.session.expire_all()
    counts = [db.session.scalar(select(func.count(t.id))) for t in (Booking, RepairBooking, Hold)]
    assert counts == [1, 1, 1]
    assert db.session.get(Repair, repair_id).paid_on_site is False
