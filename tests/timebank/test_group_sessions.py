"""Group sessions: one activity logged once by a coordinator credits every participant,
all or nothing, from the community's guarantee account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.models import Role, Street
from community.services import found_community
from extensions import db
from tests.timebank.support import assert_ledger_clean, balance, guarantee, key, transfer_count
from timebank.clock import local_today
from timebank.errors import AboveCap, AlreadySubmitted, DailyCapReached, NotAllowed
from timebank.group_session_models import GroupParticipant, GroupSession
from timebank.group_sessions import (
    InvalidGroupSession,
    UnknownParticipant,
    log_group_session,
)
from timebank.models import Transfer, TransferKind
from timebank.visits import log_visit

TODAY = local_today()


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def helpers(make_member):
    return [make_member(f"志愿者{i}", age=60 + i, is_volunteer=True) for i in range(3)]


def log(community, by, lines, *, minutes=120, idempotency_key=None, held_on=TODAY, **extra):
    return log_group_session(
        community=community,
        title="重阳节生日会",
        category="companionship",
        held_on=held_on,
        minutes=minutes,
        participant_lines=lines,
        by=by,
        idempotency_key=idempotency_key or key(),
        today=TODAY,
        **extra,
    )


def session_count() -> int:
    return db.session.scalar(select(func.count(GroupSession.id)))


def test_every_participant_is_credited_from_the_guarantee_account(community, coordinator, helpers):
    before = guarantee(community).balance_minutes
    lines = [
        helpers[0].phone,
        f"  {helpers[1].username or '#' + str(helpers[1].id)}  ",
        "",
        f"#{helpers[2].id}, 90",
    ]
    session = log(community, coordinator, lines)
    assert [balance(h) for h in helpers] == [120, 120, 90]
    assert guarantee(community).balance_minutes == before - 330
    assert session.total_minutes == 330
    transfers = [p.transfer for p in session.participants]
    assert {t.kind for t in transfers} == {TransferKind.SERVICE}
    assert {t.memo for t in transfers} == {"重阳节生日会"}
    assert {t.entered_by_id for t in transfers} == {coordinator.id}
    assert {t.from_account_id for t in transfers} == {guarantee(community).id}
    assert sorted(t.idempotency_key for t in transfers) == sorted(
        f"group:{session.id}:{h.id}" for h in helpers
    )
    assert_ledger_clean()


def test_one_participant_over_the_daily_cap_means_nothing_is_posted(
    community, coordinator, elder, helpers
):
    # helpers[1] already logged 7 hours of visits today; the cap is 8 hours.
    log_visit(
        volunteer=helpers[1],
        recipient=elder,
        category="meal",
        service_date=TODAY,
        minutes=7 * 60,
        entered_by=helpers[1],
        idempotency_key=key(),
        today=TODAY,
    )
    db.session.commit()  # so that rolling back the refused session keeps the scene
    transfers = transfer_count()
    with pytest.raises(DailyCapReached) as refused:
        log(community, coordinator, [h.phone for h in helpers])
    assert "Line 2" in str(refused.value) and helpers[1].display_name in str(refused.value)
    db.session.rollback()
    assert transfer_count() == transfers
    assert session_count() == 0
    assert [balance(h) for h in helpers] == [0, 0, 0]
    assert_ledger_clean()


def test_earlier_group_sessions_count_towards_the_daily_cap(community, coordinator, helpers):
    log(community, coordinator, [helpers[0].phone], minutes=6 * 60)
    with pytest.raises(DailyCapReached) as refused:
        log(community, coordinator, [helpers[1].phone, helpers[0].phone], minutes=3 * 60)
    assert helpers[0].display_name in str(refused.value)
    assert balance(helpers[1]) == 0
    # another day has its own cap
    log(community, coordinator, [helpers[0].phone], minutes=3 * 60, held_on=TODAY - timedelta(1))
    assert balance(helpers[0]) == 9 * 60


def test_the_storage_cap_is_respected_and_names_who(make_community, make_member, coordinator):
    small = make_community("小社区", storage_cap_minutes=100)
    boss = make_member("小社工", age=40, role=Role.COORDINATOR, community=small)
    a, b = make_member("甲", community=small), make_member("乙", community=small)
    with pytest.raises(AboveCap) as refused:
        log(small, boss, [a.phone, f"{b.phone}, 101"], minutes=60)
    assert "乙" in str(refused.value)
    assert session_count() == 0 and balance(a) == 0


def test_an_unknown_participant_is_named_by_its_line(community, coordinator, helpers):
    with pytest.raises(UnknownParticipant) as refused:
        log(community, coordinator, [helpers[0].phone, "13800000000"])
    assert refused.value.http_status == 404
    assert "Line 2" in str(refused.value) and "13800000000" in str(refused.value)
    assert session_count() == 0 and balance(helpers[0]) == 0


def test_the_same_person_twice_is_refused(community, coordinator, helpers):
    with pytest.raises(InvalidGroupSession) as refused:
        log(community, coordinator, [helpers[0].phone, helpers[1].phone, f"#{helpers[0].id}"])
    assert refused.value.http_status == 400
    assert "Lines 1 and 3" in str(refused.value)
    assert helpers[0].display_name in str(refused.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"held_on": TODAY + timedelta(days=1)}, "cannot be in the future"),
        ({"held_on": TODAY - timedelta(days=61)}, "older than 60 days"),
        ({"category": "juggling"}, "Choose a kind of service"),
        ({"title": "  "}, "title"),
    ],
)
def test_bad_sessions_are_refused(community, coordinator, helpers, change, message):
    arguments = {"title": "生日会", "category": "companionship", "held_on": TODAY} | change
    with pytest.raises(InvalidGroupSession) as refused:
        log_group_session(
            community=community,
            minutes=60,
            participant_lines=[helpers[0].phone],
            by=coordinator,
            idempotency_key=key(),
            today=TODAY,
            **arguments,
        )
    assert message in str(refused.value)
    assert balance(helpers[0]) == 0


def test_inactive_members_and_other_communities_cannot_take_part(
    community, coordinator, make_community, make_member, helpers
):
    outsider = make_member("外人", community=make_community("别处"))
    with pytest.raises(InvalidGroupSession) as refused:
        log(community, coordinator, [helpers[0].phone, outsider.phone])
    assert "Line 2" in str(refused.value) and "外人" in str(refused.value)
    helpers[1].is_active_member = False
    db.session.flush()
    with pytest.raises(UnknownParticipant):
        log(community, coordinator, [helpers[1].phone])
    with pytest.raises(InvalidGroupSession):
        log(community, coordinator, [coordinator.phone])  # no crediting oneself
    assert balance(helpers[0]) == 0


@pytest.mark.parametrize("who", ["volunteer", "other_coordinator", "other_street_admin"])
def test_only_this_communitys_coordinators_may_log(
    community, make_community, make_member, helpers, volunteer, who
):
    other = make_community("金狮河沿社区")
    people = {
        "volunteer": volunteer,
        "other_coordinator": make_member("外社工", role=Role.COORDINATOR, community=other),
    }
    if who == "other_street_admin":
        far = Street(name="远处街道")
        db.session.add(far)
        db.session.flush()
        people[who] = make_member(
            "外街道", role=Role.STREET_ADMIN, community=found_community(street_id=far.id, name="远")
        )
    with pytest.raises(NotAllowed) as refused:
        log(community, people[who], [helpers[0].phone])
    assert refused.value.http_status == 403
    assert balance(helpers[0]) == 0


def test_the_street_admin_may_log_for_a_community_of_the_street(community, make_member, helpers):
    admin = make_member("街道管理员", age=45, role=Role.STREET_ADMIN)
    log(community, admin, [helpers[0].phone])
    assert balance(helpers[0]) == 120


def test_a_replayed_form_posts_once(community, coordinator, helpers):
    same = key()
    log(community, coordinator, [h.phone for h in helpers], idempotency_key=same)
    transfers = transfer_count()
    with pytest.raises(AlreadySubmitted) as refused:
        log(community, coordinator, [h.phone for h in helpers], idempotency_key=same)
    assert refused.value.http_status == 409
    assert transfer_count() == transfers
    assert [balance(h) for h in helpers] == [120, 120, 120]
    assert db.session.scalar(select(func.count(GroupParticipant.id))) == 3
    assert (
        db.session.scalar(select(func.count(Transfer.id)).where(Transfer.memo == "重阳节生日会"))
        == 3
    )
    assert_ledger_clean()
