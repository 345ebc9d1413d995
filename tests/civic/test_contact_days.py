"""Contact days: scheduling, signing up (oneself, for a linked elder, or by a coordinator),
recording each topic's outcome, closing and cancelling, and who may take each step."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from civic import contact_days
from civic.contact_day_models import ContactDayStatus, ContactDayTopic, TopicOutcome
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.organisation_models import Organisation, OrganisationCompound, OrganisationKind
from civic.place_models import Compound
from civic.problem_models import Problem, ProblemStatus
from community.audit_models import AuditEntry
from community.models import Role
from community.notification_models import Notification
from extensions import db
from form_limits import local_today


@pytest.fixture
def company(street) -> Organisation:
    org = Organisation(street_id=street.id, name="沧浪物业", kind=OrganisationKind.PROPERTY_COMPANY)
    db.session.add(org)
    db.session.flush()
    return org


@pytest.fixture
def compound(community, company) -> Compound:
    """桂花新村 in the community, served by the company."""
    found = Compound(community_id=community.id, name="桂花新村")
    db.session.add(found)
    db.session.flush()
    db.session.add(OrganisationCompound(organisation_id=company.id, compound_id=found.id))
    db.session.flush()
    return found


@pytest.fixture
def day(coordinator, community, company):
    return contact_days.schedule(
        by=coordinator,
        community=community,
        held_on=local_today() + timedelta(days=7),
        starts_at=time(9, 30),
        place="社区活动室",
        guests="街道城管科 李科长\n\n",
        organisation_ids=[company.id],
    )


def _held_today(day) -> None:
    """Move the day to today, as if the week had passed."""
    day.held_on = local_today()
    db.session.flush()


def _notices(member, kind: str) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == member.id, Notification.kind == kind
        )
    )


def test_a_coordinator_schedules_with_its_guests_and_the_audit_log(day, coordinator, company):
    assert day.status == ContactDayStatus.SCHEDULED
    assert day.guests == "街道城管科 李科长"
    assert [o.organisation_id for o in day.organisations] == [company.id]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "contact_day_scheduled")
    )
    assert entry.actor_id == coordinator.id and entry.target == f"contact_day:{day.id}"


@pytest.mark.parametrize("offset", [-1, 400])
def test_a_day_in_the_past_or_over_a_year_ahead_is_refused(coordinator, community, offset):
    with pytest.raises(InvalidInput):
        contact_days.schedule(
            by=coordinator,
            community=community,
            held_on=local_today() + timedelta(days=offset),
            starts_at=time(9),
            place="活动室",
        )


def test_only_the_communitys_coordinators_schedule(people, far_people, community):
    args = {"community": community, "held_on": local_today(), "starts_at": time(9), "place": "x"}
    for who in ("elder", "family", "volunteer"):
        with pytest.raises(NotAllowed):
            contact_days.schedule(by=people[who], **args)
    with pytest.raises(NotAllowed):
        contact_days.schedule(by=far_people["far_coordinator"], **args)


def test_an_organisation_of_another_street_is_refused(coordinator, community, far_people):
    far = Organisation(
        street_id=far_people["far_coordinator"].community.street_id,
        name="外街物业",
        kind=OrganisationKind.PROPERTY_COMPANY,
    )
    db.session.add(far)
    db.session.flush()
    with pytest.raises(InvalidInput):
        contact_days.schedule(
            by=coordinator,
            community=community,
            held_on=local_today(),
            starts_at=time(9),
            place="活动室",
            organisation_ids=[far.id],
        )


def test_residents_sign_up_themselves_and_family_for_an_elder(day, elder, family, volunteer):
    contact_days.sign_up(by=volunteer, contact_day=day, resident=volunteer, topic="路灯坏了")
    entry = contact_days.sign_up(by=family, contact_day=day, resident=elder, topic="楼道堆物")
    assert entry.signed_up_by_id == family.id and entry.resident_id == elder.id
    assert contact_days.sign_up_candidates(family, day) == [family]  # the elder is signed up
    with pytest.raises(Conflict):
        contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic="again")


def test_no_one_signs_up_someone_they_do_not_act_for(day, elder, volunteer):
    with pytest.raises(NotAllowed):
        contact_days.sign_up(by=volunteer, contact_day=day, resident=elder, topic="x")


def test_a_resident_of_another_community_cannot_sign_up(day, make_member, other_community):
    outsider = make_member("金狮居民", community=other_community)
    with pytest.raises(NotAllowed):
        contact_days.sign_up(by=outsider, contact_day=day, resident=outsider, topic="x")
    with pytest.raises(NotFound):
        contact_days.contact_day_for(outsider, day.id)


@pytest.mark.parametrize("topic", ["", "   ", "长" * 501])
def test_an_empty_or_over_long_topic_is_refused(day, elder, topic):
    with pytest.raises(InvalidInput):
        contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic=topic)


def test_a_coordinator_signs_an_elder_up_on_their_behalf(day, coordinator, elder):
    contact_days.sign_up(by=coordinator, contact_day=day, resident=elder, topic="电梯")
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "acted_for", AuditEntry.subject_id == elder.id
        )
    )
    assert entry is not None and "contact_day_signed_up" in entry.after


def test_the_meeting_answers_or_hands_over_each_topic_and_tells_the_resident(
    day, coordinator, elder, volunteer, company, compound
):
    asked = contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic="楼道灯")
    light = contact_days.sign_up(by=volunteer, contact_day=day, resident=volunteer, topic="路灯")
    with pytest.raises(Conflict):  # not before the day
        contact_days.answer_on_the_spot(by=coordinator, topic=asked, answer="明天修")
    _held_today(day)
    with pytest.raises(NotAllowed):
        contact_days.answer_on_the_spot(by=volunteer, topic=asked, answer="x")
    with pytest.raises(InvalidInput):
        contact_days.answer_on_the_spot(by=coordinator, topic=asked, answer="  ")
    contact_days.answer_on_the_spot(by=coordinator, topic=asked, answer="物业明天来换灯泡")
    hand_over = {
        "by": coordinator,
        "topic": light,
        "agreed": "城管科查看",
        "category": "lighting",
        "compound_id": compound.id,
        "holder": str(company.id),
    }
    with pytest.raises(InvalidInput):  # a deadline in the past
        contact_days.hand_over(**hand_over, due_on=local_today() - timedelta(days=1))
    assert db.session.scalar(select(func.count(Problem.id))) == 0  # nothing half-written
    with pytest.raises(Conflict):  # a topic still unheard keeps the record open
        contact_days.mark_held(by=coordinator, contact_day=day, summary="")
    problem = contact_days.hand_over(**hand_over, due_on=local_today() + timedelta(days=14))
    assert (asked.outcome, light.outcome) == (TopicOutcome.ANSWERED, TopicOutcome.FOLLOWED)
    assert light.responsible_organisation == company and light.problem_id == problem.id
    # a tracked problem on the volunteer's behalf, held by the company with the deadline
    assert (problem.reporter_id, problem.entered_by_id) == (volunteer.id, coordinator.id)
    assert (problem.status, problem.organisation_id) == (ProblemStatus.ACCEPTED, company.id)
    assert problem.due_on == local_today() + timedelta(days=14)
    assert problem.description == "路灯\n城管科查看"
    assert _notices(elder, "contact_day_answered") == 1
    assert _notices(volunteer, "problem_accepted") == 1
    with pytest.raises(Conflict):  # followed already: its problem's page follows it
        contact_days.hand_over(**hand_over, due_on=local_today() + timedelta(days=3))
    with pytest.raises(Conflict):
        contact_days.answer_on_the_spot(by=coordinator, topic=light, answer="x")
    contact_days.mark_held(by=coordinator, contact_day=day, summary="到会 12 人")
    assert day.status == ContactDayStatus.HELD
    with pytest.raises(Conflict):
        contact_days.mark_held(by=coordinator, contact_day=day, summary="again")
    with pytest.raises(Conflict):  # sign-ups closed once held
        contact_days.sign_up(by=coordinator, contact_day=day, resident=coordinator, topic="x")


def test_cancelling_tells_everyone_signed_up_and_closes_sign_ups(day, coordinator, elder, family):
    contact_days.sign_up(by=family, contact_day=day, resident=elder, topic="楼道灯")
    with pytest.raises(InvalidInput):
        contact_days.cancel(by=coordinator, contact_day=day, reason=" ")
    with pytest.raises(NotAllowed):
        contact_days.cancel(by=family, contact_day=day, reason="x")
    contact_days.cancel(by=coordinator, contact_day=day, reason="台风")
    assert _notices(elder, "contact_day_cancelled") == 1
    with pytest.raises(Conflict):
        contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic="x")
    with pytest.raises(Conflict):
        contact_days.cancel(by=coordinator, contact_day=day, reason="again")


def test_a_sign_up_is_taken_back_before_the_day_only_by_its_side(day, elder, family, volunteer):
    topic = contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic="x")
    with pytest.raises(NotAllowed):
        contact_days.withdraw(by=volunteer, topic=topic)
    contact_days.withdraw(by=family, topic=topic)
    assert db.session.scalar(select(func.count(ContactDayTopic.id))) == 0


def test_who_sees_which_days_and_topics(day, people, far_people, elder):
    contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic="x")
    for who in ("elder", "family", "volunteer", "coordinator", "street_admin"):
        coming, _ = contact_days.contact_days_for(people[who])
        assert [d.id for d in coming] == [day.id], who
        contact_days.contact_day_for(people[who], day.id)
    for who in ("far_coordinator", "far_street_admin"):
        assert contact_days.contact_days_for(far_people[who]) == ([], [])
        with pytest.raises(NotFound):
            contact_days.contact_day_for(far_people[who], day.id)
    with pytest.raises(NotFound):
        contact_days.contact_day_for(people["elder"], 2**31 + 1)
    assert contact_days.my_topics(people["volunteer"], day) == []
    assert len(contact_days.my_topics(people["family"], day)) == 1  # she acts for the elder
    assert len(contact_days.my_topics(people["coordinator"], day)) == 1
    assert people["street_admin"].role == Role.STREET_ADMIN


def test_the_past_list_holds_held_and_cancelled_days(day, coordinator, elder):
    contact_days.cancel(by=coordinator, contact_day=day, reason="台风")
    coming, past = contact_days.contact_days_for(elder)
    assert coming == [] and [d.id for d in past] == [day.id]
    assert isinstance(day.held_on, date)
