"""Repairs, step by step, and who may take each step (services called directly)."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from civic import repair_steps as steps
from civic.clock import to_utc
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.organisation_models import Organisation, OrganisationKind
from civic.place_models import Compound
from civic.repair_access import repair_for
from civic.repair_models import RepairStatus
from civic.repair_photos import photo_for
from civic.repairs import organisation_work, repairs_for_residents, send_repair, todays_jobs
from community.audit_models import AuditEntry
from community.models import utcnow
from community.notification_models import Notification
from extensions import db
from photo_cleaning import PhotoRefused
from tests.civic.problem_scene import jpeg

from .repair_support import make_property, send_for, tomorrow


@pytest.fixture
def place(elder, make_member):
    return make_property(elder, make_member)


def _kinds(user) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.kind)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def _at(hour: int, day=None):
    return to_utc(day or tomorrow(), time(hour))


def test_an_elder_sends_a_repair_to_the_company_serving_her_compound(english, place, elder):
    repair = send_for(elder, place.home)
    assert repair.organisation_id == place.company.id
    assert repair.status == RepairStatus.SENT
    assert repair.entered_by_id == elder.id
    assert _kinds(place.manager) == ["repair_received"]
    assert _kinds(place.worker) == []
    assert _audited("repair_sent_for") == 0  # her own: no staff step


def test_family_and_the_coordinator_send_for_her_and_the_coordinator_is_audited(
    english, place, elder, family, coordinator, volunteer
):
    by_family = send_for(elder, place.home, by=family)
    assert (by_family.resident_id, by_family.entered_by_id) == (elder.id, family.id)
    by_coordinator = send_for(elder, place.home, by=coordinator)
    assert by_coordinator.entered_by_id == coordinator.id
    assert _audited("repair_sent_for") == 1
    with pytest.raises(NotAllowed):
        send_for(elder, place.home, by=volunteer)


def test_a_shared_part_needs_the_spot_and_a_sane_window(english, place, elder):
    with pytest.raises(InvalidInput, match="where exactly"):
        send_repair(
            elder,
            by=elder,
            where=f"shared:{place.compound.id}",
            place_detail="  ",
            description="楼道灯坏了",
            day=tomorrow(),
            start=time(9),
            end=time(12),
            idempotency_key=uuid.uuid4().hex,
        )
    shared = send_repair(
        elder,
        by=elder,
        where=f"shared:{place.compound.id}",
        place_detail="1幢楼道",
        description="楼道灯坏了",
        day=tomorrow(),
        start=time(9),
        end=time(12),
        idempotency_key=uuid.uuid4().hex,
    )
    assert shared.shared_part and shared.home_id is None
    for day, start, end in (
        (tomorrow(), time(12), time(9)),
        (tomorrow() - timedelta(days=3), time(9), time(12)),
        (tomorrow() + timedelta(days=90), time(9), time(12)),
    ):
        with pytest.raises(InvalidInput):
            send_repair(
                elder,
                by=elder,
                where=f"home:{place.home.id}",
                place_detail="",
                description="x",
                day=day,
                start=start,
                end=end,
                idempotency_key=uuid.uuid4().hex,
            )


def test_a_home_she_does_not_own_or_another_communitys_compound_is_refused(
    english, place, elder, volunteer, make_member, other_community
):
    with pytest.raises(InvalidInput):
        send_for(volunteer, place.home)  # the elder's home, not the volunteer's
    far = Compound(community_id=other_community.id, name="金狮河沿5号")
    db.session.add(far)
    db.session.flush()
    with pytest.raises(InvalidInput):
        send_repair(
            elder,
            by=elder,
            where=f"shared:{far.id}",
            place_detail="楼道",
            description="x",
            day=tomorrow(),
            start=time(9),
            end=time(12),
            idempotency_key=uuid.uuid4().hex,
        )


def test_without_a_linked_organisation_the_street_department_receives_it(english, place, elder):
    place.company.is_active = False  # no company: only a department could answer
    db.session.flush()
    with pytest.raises(InvalidInput, match="No organisation"):
        send_for(elder, place.home)
    department = Organisation(
        street_id=elder.community.street_id,
        name="城市管理科",
        kind=OrganisationKind.STREET_DEPARTMENT,
    )
    db.session.add(department)
    db.session.flush()
    assert send_for(elder, place.home).organisation_id == department.id


def test_the_manager_assigns_a_worker_and_both_sides_are_told(english, place, elder):
    repair = send_for(elder, place.home)
    steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(10))
    assert (repair.status, repair.worker_id) == (RepairStatus.ASSIGNED, place.worker.id)
    assert _kinds(elder) == ["repair_assigned"]
    assert _kinds(place.worker) == ["repair_job"]
    assert _audited("repair_assigned") == 1
    with pytest.raises(Conflict):
        steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(11))


def test_only_a_manager_assigns_and_only_to_their_own_staff(
    english, place, elder, coordinator, make_member
):
    repair = send_for(elder, place.home)
    for someone in (place.worker, elder, coordinator):
        with pytest.raises(NotAllowed):
            steps.assign(repair, by=someone, worker=place.worker, appointment_at=_at(10))
    stranger = make_member("外人")
    with pytest.raises(InvalidInput):
        steps.assign(repair, by=place.manager, worker=stranger, appointment_at=_at(10))
    assert repair.status == RepairStatus.SENT


def test_an_appointment_in_the_past_or_outside_the_window_without_a_note_is_refused(
    english, place, elder
):
    repair = send_for(elder, place.home)
    with pytest.raises(InvalidInput, match="past"):
        steps.assign(
            repair,
            by=place.manager,
            worker=place.worker,
            appointment_at=utcnow() - timedelta(hours=1),
        )
    with pytest.raises(InvalidInput, match="not home"):
        steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(15))
    steps.assign(
        repair,
        by=place.manager,
        worker=place.worker,
        appointment_at=_at(15),
        note="电话约好下午三点",
    )
    assert repair.appointment_note == "电话约好下午三点"


def test_a_priced_repair_waits_for_the_residents_yes_and_the_price_then_holds(
    english, place, elder, family
):
    repair = send_for(elder, place.home)
    steps.assign(
        repair, by=place.manager, worker=place.worker, appointment_at=_at(10), price_fen=12000
    )
    assert "repair_priced" in _kinds(elder)
    with pytest.raises(Conflict, match="not accepted"):
        steps.record_visit(repair, by=place.worker, work_done="换了", paid_on_site=True)
    steps.set_price(repair, by=place.manager, price_fen=9000)
    with pytest.raises(Conflict):  # she saw the old price
        steps.accept_price(repair, by=family, price_fen=12000)
    with pytest.raises(NotAllowed):
        steps.accept_price(repair, by=place.worker, price_fen=9000)
    steps.accept_price(repair, by=family, price_fen=9000)
    assert repair.price_accepted_by_id == family.id
    with pytest.raises(Conflict, match="accepted the price"):
        steps.set_price(repair, by=place.manager, price_fen=20000)
    assert repair.price_fen == 9000
    steps.record_visit(repair, by=place.worker, work_done="换了晾衣架", paid_on_site=True)
    assert repair.paid_on_site and repair.status == RepairStatus.VISITED


def test_the_worker_records_the_visit_and_the_elder_confirms_and_rates(
    english, place, elder, make_member
):
    repair = send_for(elder, place.home)
    steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(10))
    with pytest.raises(NotAllowed):
        steps.record_visit(repair, by=elder, work_done="done", paid_on_site=False)
    with pytest.raises(InvalidInput):
        steps.record_visit(repair, by=place.worker, work_done="  ", paid_on_site=False)
    steps.record_visit(repair, by=place.worker, work_done="换了阀芯", paid_on_site=True)
    assert not repair.paid_on_site  # free: nothing to pay
    assert _kinds(elder)[-1] == "repair_visited"
    with pytest.raises(NotAllowed):
        steps.confirm(repair, by=place.worker, rating=5)
    with pytest.raises(InvalidInput):
        steps.confirm(repair, by=elder, rating=6)
    steps.confirm(repair, by=elder, rating=4, comment="很好")
    assert (repair.status, repair.rating) == (RepairStatus.DONE, 4)
    assert "repair_confirmed" in _kinds(place.manager)
    assert "repair_confirmed" in _kinds(place.worker)
    with pytest.raises(Conflict):
        steps.confirm(repair, by=elder, rating=5)


def test_not_fixed_reopens_it_for_another_assignment(english, place, elder):
    repair = send_for(elder, place.home)
    steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(10))
    with pytest.raises(Conflict):  # not visited yet
        steps.report_not_fixed(repair, by=elder, comment="还在滴")
    steps.record_visit(repair, by=place.worker, work_done="紧了紧", paid_on_site=False)
    steps.report_not_fixed(repair, by=elder, comment="还在滴水")
    assert (repair.status, repair.reopened_count) == (RepairStatus.SENT, 1)
    assert _kinds(place.manager)[-1] == "repair_not_fixed"
    steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(11))
    assert repair.status == RepairStatus.ASSIGNED


def test_who_sees_a_repair(
    english, place, elder, family, coordinator, volunteer, people, far_people
):
    repair = send_for(elder, place.home)
    for who in (elder, family, coordinator, place.manager, place.worker, people["street_admin"]):
        assert repair_for(who, repair.id) is repair
    for who in (volunteer, people["other_coordinator"], *far_people.values()):
        with pytest.raises(NotFound):
            repair_for(who, repair.id)
    with pytest.raises(NotFound):
        repair_for(elder, 2**40)
    assert repairs_for_residents(family) == [repair]
    assert repairs_for_residents(volunteer) == []
    assert organisation_work(place.manager) == [repair]
    assert organisation_work(place.worker) == []  # a worker gets jobs, not the queue


def test_the_workers_jobs_of_today_come_first(english, place, elder, make_member):
    later = send_for(elder, place.home, what="later")
    steps.assign(later, by=place.manager, worker=place.worker, appointment_at=_at(10))
    today = send_repair(
        elder,
        by=elder,
        where=f"home:{place.home.id}",
        place_detail="",
        description="today",
        day=tomorrow() - timedelta(days=1),
        start=time(0),
        end=time(23, 59),
        idempotency_key=uuid.uuid4().hex,
    )
    steps.assign(
        today,
        by=place.manager,
        worker=place.worker,
        appointment_at=utcnow() + timedelta(minutes=1),
        note="今天",
    )
    assert todays_jobs(place.worker) == ([today], [later])


def test_a_coordinator_confirming_for_her_is_audited_family_is_not(
    english, place, elder, family, coordinator
):
    for by in (family, coordinator):
        repair = send_for(elder, place.home)
        steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(10))
        steps.record_visit(repair, by=place.worker, work_done="修好了", paid_on_site=False)
        steps.confirm(repair, by=by, rating=5)
        assert repair.confirmed_by_id == by.id
    assert _audited("acted_for") == 1


def test_photos_are_cleaned_kept_and_shown_only_to_those_who_see_the_repair(
    english, place, elder, volunteer
):
    repair = send_for(elder, place.home, photos=[jpeg(3000, 2000)])
    [photo] = repair.photos
    assert max(photo.width, photo.height) < 3000  # resized
    data, content_type = photo_for(place.worker, repair.id, photo.id)
    assert content_type.startswith("image/") and data
    with pytest.raises(NotFound):
        photo_for(volunteer, repair.id, photo.id)
    with pytest.raises(PhotoRefused):
        send_for(elder, place.home, photos=[b"not an image at all"])
    with pytest.raises(InvalidInput, match="At most 4"):
        send_for(elder, place.home, photos=[jpeg(64, 48)] * 5)
    steps.assign(repair, by=place.manager, worker=place.worker, appointment_at=_at(10))
    steps.record_visit(
        repair, by=place.worker, work_done="换好了", paid_on_site=False, photos=[jpeg(64, 48)]
    )
    assert [p.stage for p in repair.photos] == ["request", "visit"]
