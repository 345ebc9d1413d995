"""Tries of an elder's card are counted atomically: 30 wrong tries sent at once count 30,
and no more than the hourly limit of them are ever checked against the card (issue 9:
30 tries at once recorded 7).

Each thread has its own app context and session and does what the card page does:
commit a counted try, roll back anything else.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from community.models import User, utcnow
from extensions import db
from timebank.cards import (
    MAX_ATTEMPTS_PER_HOUR,
    CountedCardTry,
    attempts_in_last_hour,
    card_entry_for,
    confirm_with_card,
    issue_card,
)
from timebank.clock import local_today
from timebank.models import RecordStatus
from timebank.scheduling import check_in, check_out, schedule_visit
from timebank.visit_models import Visit

pytestmark = [pytest.mark.concurrency, pytest.mark.usefixtures("english")]

TRIES = 30


def test_thirty_simultaneous_wrong_tries_count_thirty(app, volunteer, elder, coordinator):
    printed = issue_card(elder, by=coordinator)
    visit = schedule_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        scheduled_date=local_today(),
        scheduled_time=None,
        by=coordinator,
    )
    check_in(visit, by=volunteer, at=utcnow())
    check_out(visit, by=volunteer, at=utcnow() + timedelta(minutes=20))
    right = dict(printed.codes)[card_entry_for(volunteer, visit).position]
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    ids = (visit.id, volunteer.id, elder.id)
    db.session.commit()  # the threads must see it, and the test holds no lock while they run

    start = threading.Barrier(TRIES)
    outcomes: Counter = Counter()
    crashed: list[BaseException] = []
    lock = threading.Lock()

    def one_try() -> None:
        with app.app_context():
            start.wait()
            try:
                their_visit = db.session.get(Visit, ids[0])
                confirm_with_card(their_visit, wrong, by=db.session.get(User, ids[1]))
            except CountedCardTry as refused:
                db.session.commit()  # as the page does: the try counts
                with lock:
                    outcomes[type(refused).__name__] += 1
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                crashed.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one_try) for _ in range(TRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a try hung (deadlock?)"
    assert [repr(error) for error in crashed] == []

    db.session.expire_all()
    assert attempts_in_last_hour(db.session.get(User, ids[2])) == TRIES
    assert outcomes == {
        "WrongCardCode": MAX_ATTEMPTS_PER_HOUR,
        "TooManyCardAttempts": TRIES - MAX_ATTEMPTS_PER_HOUR,
    }
    # the right code, now, is refused too: the limit is reached
    record = db.session.get(Visit, ids[0]).service_record
    assert record.status == RecordStatus.PENDING
