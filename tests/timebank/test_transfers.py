"""Gifts, donations, grants and reversals: who may move hours where, and how mistakes are undone."""

from __future__ import annotations

import pytest

from community.models import GiftPolicy, Role
from community.services import link_family, revoke_family_link
from extensions import db
from timebank.accounts import member_account
from timebank.errors import (
    AboveCap,
    AlreadySettled,
    BelowFloor,
    InvalidAmount,
    NotAllowed,
    SelfTransfer,
)
from timebank.models import AccountKind, Transfer, TransferKind
from timebank.transfers import donate_hours, gift_hours, grant_hours, reverse_transfer

from .support import (
    assert_ledger_clean,
    balance,
    fill_fund,
    fund,
    guarantee,
    key,
    top_up,
    transfer_count,
)

pytestmark = pytest.mark.usefixtures("english")


def gift(giver, recipient, minutes=60, by=None, **extra):
    return gift_hours(
        giver=giver,
        recipient=recipient,
        minutes=minutes,
        by=by or giver,
        idempotency_key=key(),
        **extra,
    )


def grant(elder, by, minutes=60, source=AccountKind.FUND, memo="独居老人"):
    return grant_hours(
        elder=elder, minutes=minutes, source=source, by=by, memo=memo, idempotency_key=key()
    )


def reverse(transfer_id, by, reason="录错了"):
    return reverse_transfer(
        db.session.get(Transfer, transfer_id), by=by, reason=reason, idempotency_key=key()
    )


@pytest.fixture
def daughter(make_member, elder):
    """A volunteer daughter with 300 minutes, linked to the elder."""
    daughter = make_member("女儿", age=48, is_volunteer=True)
    link_family(by=elder, elder=elder, relative=daughter, relation="daughter")
    top_up(daughter, 300)
    return daughter


@pytest.fixture
def priority_elder(make_member):
    return make_member("孤寡老人", age=88, is_priority=True)


# --- gifts -----------------------------------------------------------------------------


def test_gift_to_family(daughter, elder):
    transfer_id = gift(daughter, elder, 120, memo="给妈妈")
    assert (balance(daughter), balance(elder)) == (180, 120)
    transfer = db.session.get(Transfer, transfer_id)
    assert transfer.kind == TransferKind.GIFT and transfer.memo == "给妈妈"
    assert transfer.on_behalf_of_id is None
    # the link works both ways: the elder may give back
    gift(elder, daughter, 20)
    assert balance(daughter) == 200
    assert_ledger_clean()


def test_family_only_policy_refuses_strangers(daughter, make_member):
    neighbour = make_member()
    with pytest.raises(NotAllowed, match="family"):
        gift(daughter, neighbour)
    assert balance(neighbour) == 0


def test_revoked_link_is_not_family(daughter, elder):
    link = link_family(by=elder, elder=elder, relative=daughter)
    revoke_family_link(link, by=daughter)
    with pytest.raises(NotAllowed):
        gift(daughter, elder)


def test_relative_without_gift_consent_receives_nothing(make_community, make_member):
    open_hearted = make_community(gift_recipients=GiftPolicy.ANYONE)
    elder = make_member(community=open_hearted, age=85)
    son = make_member(community=open_hearted, age=55)
    top_up(elder, 120)
    link_family(by=elder, elder=elder, relative=son, may_receive_gifts=False)
    with pytest.raises(NotAllowed, match="gifts"):
        gift(elder, son, 60)
    assert balance(son) == 0
    # the son may still top up his mother's hours
    top_up(son, 30)
    gift(son, elder, 30)
    assert balance(elder) == 150


def test_anyone_policy_allows_neighbours(make_community, make_member):
    open_hearted = make_community(gift_recipients=GiftPolicy.ANYONE)
    giver, neighbour = make_member(community=open_hearted), make_member(community=open_hearted)
    top_up(giver, 60)
    gift(giver, neighbour, 60)
    assert balance(neighbour) == 60


def test_gift_to_self_refused(daughter):
    with pytest.raises(SelfTransfer):
        gift(daughter, daughter)


def test_gift_to_closed_account_refused(daughter, elder):
    elder.is_active_member = False
    with pytest.raises(NotAllowed):
        gift(daughter, elder)


def test_gift_beyond_balance_or_nonsense_refused(daughter, elder):
    with pytest.raises(BelowFloor):
        gift(daughter, elder, 301)
    with pytest.raises(InvalidAmount):
        gift(daughter, elder, 0)
    assert transfer_count() == 1  # only the top-up


def test_coordinator_gifts_on_a_members_behalf(daughter, elder, coordinator):
    transfer_id = gift(daughter, elder, 30, by=coordinator)
    transfer = db.session.get(Transfer, transfer_id)
    assert (transfer.entered_by_id, transfer.on_behalf_of_id) == (coordinator.id, daughter.id)
    assert balance(elder) == 30


def test_member_cannot_gift_someone_elses_hours(daughter, elder, make_member, make_community):
    with pytest.raises(NotAllowed):
        gift(daughter, elder, by=elder)
    outsider = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    with pytest.raises(NotAllowed):
        gift(daughter, elder, by=outsider)
    assert balance(daughter) == 300


# --- donations -------------------------------------------------------------------------


def test_donation_fills_the_fund(daughter, elder, community, coordinator):
    transfer_id = donate_hours(member=daughter, minutes=100, by=daughter, idempotency_key=key())
    assert fund(community).balance_minutes == 100
    assert balance(daughter) == 200
    assert db.session.get(Transfer, transfer_id).kind == TransferKind.DONATION
    donate_hours(member=daughter, minutes=50, by=coordinator, idempotency_key=key())
    assert fund(community).balance_minutes == 150
    with pytest.raises(BelowFloor):
        donate_hours(member=daughter, minutes=151, by=daughter, idempotency_key=key())
    with pytest.raises(NotAllowed):
        donate_hours(member=daughter, minutes=1, by=elder, idempotency_key=key())


# --- grants ----------------------------------------------------------------------------


def test_grant_from_the_fund(priority_elder, coordinator, community):
    fill_fund(community, 120)
    transfer_id = grant(priority_elder, coordinator, 100)
    transfer = db.session.get(Transfer, transfer_id)
    assert (transfer.kind, transfer.memo, transfer.entered_by_id) == (
        TransferKind.GRANT,
        "独居老人",
        coordinator.id,
    )
    assert (balance(priority_elder), fund(community).balance_minutes) == (100, 20)


def test_fund_grant_cannot_take_the_fund_below_zero(priority_elder, coordinator, community):
    fill_fund(community, 50)
    with pytest.raises(BelowFloor):
        grant(priority_elder, coordinator, 51)
    assert fund(community).balance_minutes == 50


def test_grant_from_the_guarantee_may_go_negative(priority_elder, coordinator, community):
    grant(priority_elder, coordinator, 600, source=AccountKind.GUARANTEE)
    assert guarantee(community).balance_minutes == -600
    assert balance(priority_elder) == 600


def test_grant_respects_the_elders_cap(make_community, make_member):
    small = make_community(storage_cap_minutes=60)
    boss = make_member(community=small, age=40, role=Role.COORDINATOR)
    elder = make_member(community=small, is_priority=True)
    with pytest.raises(AboveCap):
        grant(elder, boss, 61, source=AccountKind.GUARANTEE)


def test_grant_only_to_priority_elders(elder, coordinator):
    with pytest.raises(NotAllowed, match="priority"):
        grant(elder, coordinator, source=AccountKind.GUARANTEE)


def test_grant_needs_a_memo_and_a_real_source(priority_elder, coordinator):
    with pytest.raises(InvalidAmount):
        grant(priority_elder, coordinator, memo="  ", source=AccountKind.GUARANTEE)
    with pytest.raises(InvalidAmount):
        grant(priority_elder, coordinator, source=AccountKind.MEMBER)
    assert transfer_count() == 0


def test_grant_only_by_that_communitys_coordinator(
    priority_elder, volunteer, make_member, make_community
):
    with pytest.raises(NotAllowed):
        grant(priority_elder, volunteer, source=AccountKind.GUARANTEE)
    outsider = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    with pytest.raises(NotAllowed):
        grant(priority_elder, outsider, source=AccountKind.GUARANTEE)
    assert balance(priority_elder) == 0


def test_street_admin_may_grant(priority_elder, make_member):
    admin = make_member(age=45, role=Role.STREET_ADMIN)
    grant(priority_elder, admin, 30, source=AccountKind.GUARANTEE)
    assert balance(priority_elder) == 30


# --- reversals -------------------------------------------------------------------------


def test_reversal_restores_balances_and_names_the_original(daughter, elder, coordinator):
    original = gift(daughter, elder, 120)
    reversal_id = reverse(original, coordinator, reason="给错人了")
    db.session.commit()
    assert (balance(daughter), balance(elder)) == (300, 0)
    reversal = db.session.get(Transfer, reversal_id)
    assert reversal.reverses_id == original
    assert reversal.kind == TransferKind.REVERSAL
    assert (reversal.from_account_id, reversal.to_account_id) == (
        member_account(elder).id,
        member_account(daughter).id,
    )
    assert reversal.memo == "给错人了"
    assert db.session.get(Transfer, original).amount_minutes == 120  # nothing was edited
    assert_ledger_clean()


def test_transfer_is_reversed_only_once(daughter, elder, coordinator):
    original = gift(daughter, elder, 60)
    reverse(original, coordinator)
    db.session.commit()
    before = transfer_count()
    with pytest.raises(AlreadySettled):
        reverse(original, coordinator)
    db.session.rollback()
    assert transfer_count() == before
    assert balance(daughter) == 300


def test_reversal_is_not_reversed(daughter, elder, coordinator):
    reversal = reverse(gift(daughter, elder, 60), coordinator)
    with pytest.raises(AlreadySettled):
        reverse(reversal, coordinator)


def test_receiver_who_spent_the_hours_blocks_the_reversal(daughter, elder, coordinator):
    original = gift(daughter, elder, 100)
    donate_hours(member=elder, minutes=80, by=elder, idempotency_key=key())
    with pytest.raises(BelowFloor):
        reverse(original, coordinator)
    assert (balance(daughter), balance(elder)) == (200, 20)


def test_reversal_needs_a_reason_and_a_coordinator(
    daughter, elder, coordinator, make_member, make_community
):
    original = gift(daughter, elder, 60)
    with pytest.raises(InvalidAmount):
        reverse(original, coordinator, reason=" ")
    with pytest.raises(NotAllowed):
        reverse(original, daughter)
    outsider = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    with pytest.raises(NotAllowed):
        reverse(original, outsider)
    assert balance(elder) == 60


def test_reversing_a_grant_refills_the_fund(priority_elder, coordinator, community):
    fill_fund(community, 90)
    reverse(grant(priority_elder, coordinator, 90), coordinator)
    assert (fund(community).balance_minutes, balance(priority_elder)) == (90, 0)
    assert_ledger_clean()
