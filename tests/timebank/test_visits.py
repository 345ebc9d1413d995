"""Logging, confirming, rejecting and disputing visits: every rule, directly."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from community.models import ElderPayer, Role
from community.services import link_family, revoke_family_link
from extensions import db
from timebank.clock import local_today
from timebank.errors import (
    AlreadySettled,
    AlreadySubmitted,
    BelowFloor,
    DailyCapReached,
    InvalidAmount,
    InvalidVisit,
    NotAllowed,
    RedeemAgeNotReached,
)
from timebank.models import RecordStatus, ServiceRecord, Transfer, TransferKind
from timebank.visit_access import disputes_for, parse_awaiting_cursor, visits_awaiting
from timebank.visits import (
    confirm_visit,
    dispute_visit,
    log_visit,
    reject_visit,
    settle_dispute,
)

from .support import assert_ledger_clean, balance, guarantee, key, top_up, transfer_count

pytestmark = pytest.mark.usefixtures("english")


def log(volunteer, recipient, minutes=90, *, by=None, **fields):
    fields.setdefault("service_date", local_today())
    fields.setdefault("category", "meal")
    return log_visit(
        volunteer=volunteer,
        recipient=recipient,
        minutes=minutes,
        entered_by=by or volunteer,
        idempotency_key=fields.pop("idempotency_key", None) or key(),
        **fields,
    )


# --- logging -------------------------------------------------------------------------


def test_logged_visit_waits_for_confirmation(volunteer, elder):
    record = log(volunteer, elder, 90, note="  送饭  ")
    db.session.commit()
    assert record.status == RecordStatus.PENDING
    assert record.note == "送饭"
    assert record.entered_by_id == volunteer.id and record.on_behalf_of_id is None
    assert balance(volunteer) == 0
    assert transfer_count() == 0


def test_cannot_log_a_visit_to_yourself(volunteer):
    with pytest.raises(InvalidVisit):
        log(volunteer, volunteer)


def test_visit_in_the_future_refused(volunteer, elder):
    today = local_today()
    with pytest.raises(InvalidVisit, match="future"):
        log(volunteer, elder, service_date=today + timedelta(days=1), today=today)


def test_visit_too_long_ago_refused(volunteer, elder):
    today = local_today()
    with pytest.raises(InvalidVisit, match="60 days"):
        log(volunteer, elder, service_date=today - timedelta(days=61), today=today)
    assert log(volunteer, elder, service_date=today - timedelta(days=60), today=today).id


def test_unknown_category_refused(volunteer, elder):
    with pytest.raises(InvalidVisit):
        log(volunteer, elder, category="massage")


def test_start_and_end_give_the_minutes(volunteer, elder):
    record = log(volunteer, elder, None, started_at=time(9, 0), ended_at=time(10, 30))
    assert record.minutes == 90
    assert (record.started_at, record.ended_at) == (time(9, 0), time(10, 30))


IMPOSSIBLE_DURATIONS = [
    (None, time(9, 0), None, InvalidVisit),
    (None, None, time(9, 0), InvalidVisit),
    (None, time(10, 0), time(9, 0), InvalidVisit),
    (None, time(10, 0), time(10, 0), InvalidVisit),
    (None, None, None, InvalidVisit),
    (0, None, None, InvalidAmount),
    (-30, None, None, InvalidAmount),
    (12 * 60 + 1, None, None, InvalidVisit),
    (None, time(6, 0), time(18, 1), InvalidVisit),
]


def test_impossible_durations_refused(volunteer, elder, subtests):
    for minutes, started_at, ended_at, error in IMPOSSIBLE_DURATIONS:
        with subtests.test(minutes=minutes, started_at=started_at, ended_at=ended_at):
            with pytest.raises(error):
                log(volunteer, elder, minutes, started_at=started_at, ended_at=ended_at)
            assert db.session.query(ServiceRecord).count() == 0


def test_twelve_hours_is_the_longest_visit(make_community, make_member):
    generous = make_community(daily_earning_cap_minutes=24 * 60)
    helper, elder = make_member(community=generous, age=60), make_member(community=generous)
    assert log(helper, elder, 12 * 60, category="escort").minutes == 720


def test_daily_cap_counts_pending_visits(volunteer, elder, make_member):
    other = make_member()
    log(volunteer, elder, 300)
    with pytest.raises(DailyCapReached) as refused:
        log(volunteer, other, 181)
    assert "180" in str(refused.value.message)
    log(volunteer, other, 180)
    with pytest.raises(DailyCapReached):
        log(volunteer, other, 1)
    # another day has its own cap
    log(volunteer, other, 480, service_date=local_today() - timedelta(days=1))


def test_rejected_visits_free_the_daily_cap(volunteer, elder):
    record = log(volunteer, elder, 480)
    reject_visit(record, by=elder)
    assert log(volunteer, elder, 480).minutes == 480


def test_coordinator_logs_for_a_volunteer(volunteer, elder, coordinator):
    record = log(volunteer, elder, by=coordinator)
    assert record.entered_by_id == coordinator.id
    assert record.on_behalf_of_id == volunteer.id


def test_member_cannot_log_for_someone_else(volunteer, elder, make_member, make_community):
    busybody = make_member(age=50)
    with pytest.raises(NotAllowed):
        log(volunteer, elder, by=busybody)
    stranger = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    with pytest.raises(NotAllowed):
        log(volunteer, elder, by=stranger)


def test_visit_to_a_closed_account_refused(volunteer, elder):
    elder.is_active_member = False
    with pytest.raises(InvalidVisit):
        log(volunteer, elder)


def test_replayed_log_form_records_once(volunteer, elder):
    log(volunteer, elder, idempotency_key="visit-form-1")
    db.session.commit()
    with pytest.raises(AlreadySubmitted):
        log(volunteer, elder, idempotency_key="visit-form-1")
    db.session.rollback()
    assert db.session.query(ServiceRecord).count() == 1


# --- who confirms ----------------------------------------------------------------------


def test_recipient_confirms_and_the_guarantee_pays(volunteer, elder, community):
    record = log(volunteer, elder, 90)
    transfer_id = confirm_visit(record, by=elder)
    db.session.commit()
    assert balance(volunteer) == 90
    assert balance(elder) == 0
    assert guarantee(community).balance_minutes == -90
    assert record.status == RecordStatus.CONFIRMED
    assert record.transfer_id == transfer_id
    assert (record.decided_by_id, record.decided_on_behalf_of_id) == (elder.id, None)
    transfer = db.session.get(Transfer, transfer_id)
    assert transfer.kind == TransferKind.SERVICE
    assert (transfer.entered_by_id, transfer.on_behalf_of_id) == (elder.id, None)
    assert_ledger_clean()


def test_family_with_consent_confirms_for_the_elder(volunteer, elder, make_member):
    son = make_member("儿子", age=50)
    link_family(by=elder, elder=elder, relative=son, relation="son")
    record = log(volunteer, elder)
    transfer_id = confirm_visit(record, by=son)
    assert record.decided_by_id == son.id
    assert record.decided_on_behalf_of_id == elder.id
    assert db.session.get(Transfer, transfer_id).on_behalf_of_id == elder.id
    assert balance(volunteer) == 90


def test_family_without_confirm_permission_cannot(volunteer, elder, make_member):
    son = make_member(age=50)
    link_family(by=elder, elder=elder, relative=son, may_confirm=False)
    record = log(volunteer, elder)
    with pytest.raises(NotAllowed):
        confirm_visit(record, by=son)
    with pytest.raises(NotAllowed):
        reject_visit(record, by=son)
    assert record.status == RecordStatus.PENDING


def test_revoked_family_link_cannot_confirm(volunteer, elder, make_member):
    daughter = make_member(age=45)
    link = link_family(by=elder, elder=elder, relative=daughter)
    revoke_family_link(link, by=elder)
    record = log(volunteer, elder)
    with pytest.raises(NotAllowed):
        confirm_visit(record, by=daughter)
    assert balance(volunteer) == 0


def test_coordinator_confirms_on_the_elders_behalf(volunteer, elder, coordinator):
    record = log(volunteer, elder)
    transfer_id = confirm_visit(record, by=coordinator)
    assert record.decided_by_id == coordinator.id
    assert record.decided_on_behalf_of_id == elder.id
    transfer = db.session.get(Transfer, transfer_id)
    assert (transfer.entered_by_id, transfer.on_behalf_of_id) == (coordinator.id, elder.id)


def test_volunteer_never_confirms_own_visit(volunteer, elder, coordinator):
    with pytest.raises(NotAllowed):
        confirm_visit(log(volunteer, elder), by=volunteer)
    # not even a coordinator who volunteered
    with pytest.raises(NotAllowed):
        confirm_visit(log(coordinator, elder), by=coordinator)
    assert balance(volunteer) == balance(coordinator) == 0


def test_other_communitys_coordinator_cannot_confirm(volunteer, elder, make_member, make_community):
    outsider = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    record = log(volunteer, elder)
    with pytest.raises(NotAllowed):
        confirm_visit(record, by=outsider)
    with pytest.raises(NotAllowed):
        dispute_visit(record, by=outsider, reason="?")


def test_stranger_cannot_confirm(volunteer, elder, make_member):
    neighbour = make_member(age=70)
    with pytest.raises(NotAllowed):
        confirm_visit(log(volunteer, elder), by=neighbour)


def test_confirming_twice_posts_once(volunteer, elder, coordinator):
    record = log(volunteer, elder)
    confirm_visit(record, by=elder)
    db.session.commit()
    with pytest.raises(AlreadySettled):
        confirm_visit(record, by=coordinator)
    db.session.rollback()
    assert transfer_count() == 1
    assert balance(volunteer) == 90


# --- who pays ----------------------------------------------------------------------------


def test_elder_pays_when_policy_says_elder(make_community, make_member):
    thrifty = make_community(elder_services_paid_by=ElderPayer.ELDER)
    helper = make_member(community=thrifty, age=60)
    elder = make_member(community=thrifty, age=80)
    top_up(elder, 120)
    confirm_visit(log(helper, elder, 90), by=elder)
    assert (balance(elder), balance(helper)) == (30, 90)
    assert guarantee(thrifty).balance_minutes == -120
    assert_ledger_clean()


def test_elder_with_too_few_hours_cannot_confirm(make_community, make_member):
    thrifty = make_community(elder_services_paid_by=ElderPayer.ELDER)
    helper = make_member(community=thrifty, age=60)
    elder = make_member(community=thrifty, age=80)
    top_up(elder, 60)
    db.session.commit()
    record = log(helper, elder, 90)
    db.session.commit()
    with pytest.raises(BelowFloor):
        confirm_visit(record, by=elder)
    db.session.rollback()
    assert db.session.get(ServiceRecord, record.id).status == RecordStatus.PENDING
    assert (balance(elder), balance(helper)) == (60, 0)


def test_young_recipient_who_must_pay_is_refused(volunteer, make_member):
    young = make_member(age=40)
    record = log(volunteer, young)
    with pytest.raises(RedeemAgeNotReached, match="65"):
        confirm_visit(record, by=young)
    assert record.status == RecordStatus.PENDING


def test_hardship_lowers_the_redeem_age(volunteer, make_member, community):
    struggling = make_member(age=62, has_hardship=True)
    confirm_visit(log(volunteer, struggling, 60), by=struggling)
    assert guarantee(community).balance_minutes == -60


def test_priority_member_is_covered_by_the_guarantee(volunteer, make_member, community):
    disabled = make_member(age=50, is_priority=True)
    confirm_visit(log(volunteer, disabled, 60), by=disabled)
    assert guarantee(community).balance_minutes == -60


def test_priority_member_still_too_young_to_pay_themself(make_community, make_member):
    thrifty = make_community(elder_services_paid_by=ElderPayer.ELDER)
    helper = make_member(community=thrifty, age=60)
    disabled = make_member(community=thrifty, age=50, is_priority=True)
    top_up(disabled, 600)
    with pytest.raises(RedeemAgeNotReached):
        confirm_visit(log(helper, disabled, 60), by=disabled)


# --- rejecting and disputes --------------------------------------------------------------


def test_reject_posts_nothing(volunteer, elder):
    record = log(volunteer, elder)
    reject_visit(record, by=elder, reason="没来")
    assert record.status == RecordStatus.REJECTED
    assert record.decision_note == "没来"
    with pytest.raises(AlreadySettled):
        reject_visit(record, by=elder)
    with pytest.raises(AlreadySettled):
        confirm_visit(record, by=elder)
    assert transfer_count() == 0


def test_volunteer_cannot_reject_or_dispute_own_visit(volunteer, elder):
    record = log(volunteer, elder)
    with pytest.raises(NotAllowed):
        reject_visit(record, by=volunteer)
    with pytest.raises(NotAllowed):
        dispute_visit(record, by=volunteer, reason="x")


def test_dispute_needs_a_reason(volunteer, elder):
    record = log(volunteer, elder)
    with pytest.raises(InvalidVisit):
        dispute_visit(record, by=elder, reason="   ")
    dispute_visit(record, by=elder, reason="只来了半小时")
    assert record.status == RecordStatus.DISPUTED
    with pytest.raises(AlreadySettled):
        confirm_visit(record, by=elder)
    with pytest.raises(AlreadySettled):
        dispute_visit(record, by=elder, reason="again")


@pytest.fixture
def disputed(volunteer, elder):
    record = log(volunteer, elder, 90)
    dispute_visit(record, by=elder, reason="只来了半小时")
    return record


def test_coordinator_accepts_a_dispute_in_full(disputed, coordinator, volunteer):
    transfer_id = settle_dispute(disputed, by=coordinator, accept=True, note="核实")
    assert disputed.status == RecordStatus.CONFIRMED
    assert disputed.transfer_id == transfer_id
    assert "只来了半小时" in disputed.decision_note and "核实" in disputed.decision_note
    assert balance(volunteer) == 90


def test_coordinator_settles_for_fewer_minutes(disputed, coordinator, volunteer):
    transfer_id = settle_dispute(disputed, by=coordinator, accept=True, note="半小时", minutes=30)
    assert db.session.get(Transfer, transfer_id).amount_minutes == 30
    assert disputed.minutes == 30
    assert balance(volunteer) == 30
    assert_ledger_clean()


@pytest.mark.parametrize("minutes, error", [(91, InvalidVisit), (0, InvalidAmount)])
def test_settlement_cannot_exceed_what_was_logged(disputed, coordinator, minutes, error):
    with pytest.raises(error):
        settle_dispute(disputed, by=coordinator, accept=True, note="x", minutes=minutes)
    assert transfer_count() == 0


def test_coordinator_rejects_a_dispute(disputed, coordinator, volunteer):
    assert settle_dispute(disputed, by=coordinator, accept=False, note="没有来") is None
    assert disputed.status == RecordStatus.REJECTED
    assert balance(volunteer) == 0
    with pytest.raises(AlreadySettled):
        settle_dispute(disputed, by=coordinator, accept=True, note="改主意")


def test_settling_needs_a_note_and_a_coordinator(disputed, coordinator, elder, make_member):
    with pytest.raises(InvalidVisit):
        settle_dispute(disputed, by=coordinator, accept=True, note=" ")
    with pytest.raises(NotAllowed):
        settle_dispute(disputed, by=elder, accept=True, note="ok")
    assert disputed.status == RecordStatus.DISPUTED


def test_coordinator_cannot_settle_a_dispute_over_own_visit(coordinator, elder, make_member):
    record = log(coordinator, elder)
    dispute_visit(record, by=elder, reason="太短")
    with pytest.raises(NotAllowed):
        settle_dispute(record, by=coordinator, accept=True, note="ok")


def test_only_disputed_visits_are_settled(volunteer, elder, coordinator):
    with pytest.raises(AlreadySettled):
        settle_dispute(log(volunteer, elder), by=coordinator, accept=True, note="x")


# --- lists -------------------------------------------------------------------------------


def test_who_sees_what_awaits_them(volunteer, elder, coordinator, make_member, make_community):
    son = make_member(age=50)
    link_family(by=elder, elder=elder, relative=son)
    record = log(volunteer, elder)
    assert visits_awaiting(elder).shown == [record]
    assert visits_awaiting(son).shown == [record]
    assert visits_awaiting(coordinator).shown == [record]
    assert visits_awaiting(volunteer).shown == []
    outsider = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    assert visits_awaiting(outsider).shown == []


def test_waiting_visits_page_by_day_then_id(volunteer, elder, coordinator):
    """Seven visits on three days, three a page: every one once, oldest day first and
    in the order logged within a day, each page counting those from its first on."""
    today = local_today()
    days = [today - timedelta(days=n) for n in (3, 1, 3, 2, 1, 2, 3)]
    records = [log(volunteer, elder, minutes=30, service_date=day) for day in days]
    pages, after = [], None
    while True:
        page = visits_awaiting(coordinator, limit=3, after=after)
        pages.append(page)
        if page.next_after is None:
            break
        after = parse_awaiting_cursor(str(page.next_after))
    assert [record for page in pages for record in page.shown] == sorted(
        records, key=lambda record: (record.service_date, record.id)
    )
    assert [(len(page.shown), page.total) for page in pages] == [(3, 7), (3, 4), (1, 1)]


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "20261205",
        "20261205-",
        "20261301-5",
        "20261205-0",
        f"20261205-{2**31}",
        "２０２６１２０５-1",
        "20261205-1\x00",
        "20261205-1 ",
        "x" * 10_000,
    ],
)
def test_a_cursor_that_names_no_visit_reads_as_none(text):
    assert parse_awaiting_cursor(text) is None


def test_a_cursor_reads_back_as_written():
    cursor = parse_awaiting_cursor("20261205-2147483647")
    assert cursor is not None and str(cursor) == "20261205-2147483647"


def test_disputes_are_for_coordinators(disputed, coordinator, elder, make_member, make_community):
    assert disputes_for(coordinator) == [disputed]
    outsider = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    assert disputes_for(outsider) == []
    with pytest.raises(NotAllowed):
        disputes_for(elder)


def test_recipient_without_birth_date_is_told_what_is_missing(make_member, volunteer):
    unknown_age = make_member("年龄不详", age=None)
    record = log(volunteer, unknown_age)
    db.session.commit()
    with pytest.raises(RedeemAgeNotReached, match="birth date is not recorded"):
        confirm_visit(record, by=unknown_age)
    db.session.rollback()
    assert balance(volunteer) == 0
    assert db.session.get(ServiceRecord, record.id).status == RecordStatus.PENDING


def test_street_admin_sees_pending_visits_across_the_street(make_community, make_member, volunteer):
    street_admin = make_member("街道管理员", age=50, role=Role.STREET_ADMIN)
    elsewhere = make_community("金狮河沿社区")
    far_elder = make_member("远处老人", age=80, community=elsewhere)
    record = log(volunteer, far_elder)
    assert record in visits_awaiting(street_admin).shown
    confirm_visit(record, by=street_admin)
    assert record.status == RecordStatus.CONFIRMED
    assert record.decided_on_behalf_of_id == far_elder.id
