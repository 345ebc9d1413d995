"""A first visit confirmed while the person's birth date changes is counted under the new date.

The people-served rows count someone under the birth date their first confirmed visit
read. A coordinator correcting that date at the same moment moves the rows already there,
so the confirmation must not count under a date that is being changed: whichever of the
two commits second sees what the first did (the failure CI once caught among eight writers,
made here step by step in both orders).
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from community.models import Role, User
from extensions import db
from timebank import summaries
from timebank.clock import local_today
from timebank.models import RecordStatus, ServiceRecord
from timebank.verify import verify_ledger
from timebank.visits import confirm_visit, log_visit

from .support import correct_birth_date, key

pytestmark = pytest.mark.concurrency

BORN = date(1952, 6, 15)
CORRECTED = date(1948, 3, 10)  # old enough either way: the guarantee pays for the visit
WAIT = 60  # seconds: a step that takes longer has hung


@pytest.fixture
def first_visit(make_member) -> tuple[int, int, int]:
    """A coordinator, and a first visit waiting for its recipient: (coordinator, recipient, visit)."""
    coordinator = make_member("改生日社工", age=45, role=Role.COORDINATOR)
    volunteer = make_member("上门志愿者", age=60, is_volunteer=True)
    recipient = make_member("被服务的人", age=None)
    recipient.birth_date = BORN
    record = log_visit(
        volunteer=volunteer,
        recipient=recipient,
        category="companionship",
        service_date=local_today(),
        minutes=45,
        entered_by=volunteer,
        idempotency_key=key(),
    )
    ids = coordinator.id, recipient.id, record.id
    db.session.commit()  # the test's own session holds no lock while the threads run
    return ids


def _in_thread(app, work, errors: list) -> threading.Thread:
    def run() -> None:
        with app.app_context():
            try:
                work()
            except BaseException as error:  # noqa: BLE001 - asserted by the test
                db.session.rollback()
                errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _assert_both_counted(threads, errors: list, recipient_id: int, record_id: int) -> None:
    """Both steps ended without an error: the visit is confirmed, the date corrected, and
    the ledger and every summary agree with a recount."""
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads), "a step hung"
    assert errors == []
    db.session.expire_all()
    assert db.session.get(ServiceRecord, record_id).status == RecordStatus.CONFIRMED
    assert db.session.get(User, recipient_id).birth_date == CORRECTED
    assert verify_ledger(db.session) == []
    assert summaries.differences(db.session) == []


def test_a_change_in_progress_is_waited_for(app, backend, first_visit):
    """The coordinator's change has written (not committed) when the confirmation starts,
    with the person's old birth date already loaded in the confirming session."""
    if backend == "sqlite":
        # SQLite begins every writer with BEGIN IMMEDIATE: the confirming session's first
        # read would hold the database until it commits, so the change cannot come between.
        pytest.skip("SQLite runs one writer at a time, from its first statement")
    coordinator_id, recipient_id, record_id = first_visit
    loaded, changed, errors = threading.Event(), threading.Event(), []

    def confirm() -> None:
        record = db.session.get(ServiceRecord, record_id)
        assert record.recipient.birth_date == BORN  # loaded before the change
        loaded.set()
        assert changed.wait(WAIT)
        confirm_visit(record, by=record.recipient)
        db.session.commit()

    def change() -> None:
        assert loaded.wait(WAIT)
        correct_birth_date(recipient_id, coordinator_id, CORRECTED)
        db.session.flush()  # holds the person's row
        changed.set()
        time.sleep(0.5)  # give the confirmation the chance to run ahead
        db.session.commit()

    confirming = _in_thread(app, confirm, errors)
    changing = _in_thread(app, change, errors)
    _assert_both_counted([changing, confirming], errors, recipient_id, record_id)


def test_a_confirmation_in_progress_is_seen_by_the_change(app, first_visit):
    """The confirmation has written (not committed) when the coordinator changes the date."""
    coordinator_id, recipient_id, record_id = first_visit
    confirmed, changing_now, errors = threading.Event(), threading.Event(), []

    def confirm() -> None:
        record = db.session.get(ServiceRecord, record_id)
        confirm_visit(record, by=record.recipient)
        db.session.flush()
        confirmed.set()
        assert changing_now.wait(WAIT)
        time.sleep(0.5)  # give the change the chance to run ahead
        db.session.commit()

    def change() -> None:
        changing_now.set()
        correct_birth_date(recipient_id, coordinator_id, CORRECTED)
        db.session.commit()

    confirming = _in_thread(app, confirm, errors)
    assert confirmed.wait(WAIT)
    changing = _in_thread(app, change, errors)
    _assert_both_counted([confirming, changing], errors, recipient_id, record_id)
