"""Repairs under simultaneous requests, on each database (on PostgreSQL the loser's UPDATE
or INSERT waits on the winner's lock; SQLite serialises the writers):

- two managers send a worker to the same repair at the same moment: one assignment is
  kept, the other gets a Conflict, and nothing of the loser is written;
- one request form sent ten times at once (a double-tapping elder) is kept once.
"""

from __future__ import annotations

import threading
from datetime import time

import pytest
from sqlalchemy import func, select

from civic import repair_steps
from civic.clock import to_utc
from civic.errors import Conflict
from civic.organisation_models import OrganisationStaff, StaffRole
from civic.repair_models import Repair, RepairStatus
from civic.repairs import send_repair
from community.audit_models import AuditEntry
from community.models import User
from community.notification_models import Notification
from extensions import db

from .repair_support import make_property, send_for, tomorrow

pytestmark = pytest.mark.concurrency


def test_two_managers_assigning_the_same_repair_give_one_assignment(app, elder, make_member):
    place = make_property(elder, make_member)
    second = make_member("钱经理", community=elder.community)
    other_worker = make_member("郑师傅", community=elder.community)
    db.session.add_all(
        [
            OrganisationStaff(
                organisation_id=place.company.id, member_id=second.id, role=StaffRole.MANAGER
            ),
            OrganisationStaff(
                organisation_id=place.company.id, member_id=other_worker.id, role=StaffRole.WORKER
            ),
        ]
    )
    repair_id = send_for(elder, place.home).id
    pairs = [(place.manager.id, place.worker.id, 10), (second.id, other_worker.id, 11)]
    db.session.commit()

    start = threading.Barrier(len(pairs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(manager_id: int, worker_id: int, hour: int) -> None:
        with app.app_context():
            start.wait()
            try:
                repair = db.session.get(Repair, repair_id)
                manager, worker = db.session.get(User, manager_id), db.session.get(User, worker_id)
                repair_steps.assign(
                    repair,
                    by=manager,
                    worker=worker,
                    appointment_at=to_utc(tomorrow(), time(hour)),
                )
                db.session.commit()
                outcome = "assigned"
            except Conflict:
                db.session.rollback()
                outcome = "conflict"
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcome = repr(error)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["assigned", "conflict"]
    db.session.expire_all()
    repair = db.session.get(Repair, repair_id)
    assert repair.status == RepairStatus.ASSIGNED
    winner = {place.worker.id: place.manager.id, other_worker.id: second.id}[repair.worker_id]
    assert repair.assigned_by_id == winner
    jobs = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.kind == "repair_job")
    )
    audited = db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "repair_assigned")
    )
    assert (jobs, audited) == (1, 1)


SUBMITS = 10


def test_one_request_sent_ten_times_at_once_is_kept_once(app, elder, make_member):
    place = make_property(elder, make_member)
    elder_id, home_id = elder.id, place.home.id
    db.session.commit()
    start = threading.Barrier(SUBMITS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        with app.app_context():
            start.wait()
            try:
                send_repair(
                    db.session.get(User, elder_id),
                    by=db.session.get(User, elder_id),
                    where=f"home:{home_id}",
                    place_detail="",
                    description="水管爆了",
                    day=tomorrow(),
                    start=time(9),
                    end=time(12),
                    idempotency_key="the-same-form",
                )
                db.session.commit()
                outcome = "sent"
            except Conflict:
                db.session.rollback()
                outcome = "conflict"
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcome = repr(error)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(SUBMITS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["conflict"] * (SUBMITS - 1) + ["sent"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Repair.id))) == 1
    received = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.kind == "repair_received")
    )
    assert received == 1
