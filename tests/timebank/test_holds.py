"""Holds: available = balance − open holds; a hold is released or settled exactly once."""

from __future__ import annotations

import pytest

from extensions import db
from timebank.accounts import member_account
from timebank.errors import (
    AboveCap,
    AlreadySettled,
    AlreadySubmitted,
    BelowFloor,
    InvalidAmount,
    NotFound,
    SelfTransfer,
)
from timebank.ledger import place_hold, post_transfer, release_hold, settle_hold
from timebank.models import Hold, HoldStatus, Transfer, TransferKind

from .support import (
    assert_ledger_clean,
    available,
    balance,
    fund,
    key,
    top_up,
    transfer_count,
)


@pytest.fixture
def payer(make_member):
    elder = make_member("付钱的")
    top_up(elder, 240)
    db.session.commit()
    return elder


def hold(user, minutes, idempotency_key=None):
    return place_hold(
        account_id=member_account(user).id,
        minutes=minutes,
        reason="上门助浴",
        idempotency_key=idempotency_key or key(),
        entered_by=user,
    )


def test_hold_reserves_minutes_without_moving_them(payer):
    hold_id = hold(payer, 90)
    db.session.commit()
    assert (balance(payer), available(payer)) == (240, 150)
    assert db.session.get(Hold, hold_id).status == HoldStatus.OPEN
    assert_ledger_clean()


def test_hold_beyond_available_refused(payer):
    hold(payer, 200)
    with pytest.raises(BelowFloor):
        hold(payer, 41)
    assert available(payer) == 40


def test_hold_of_nonsense_minutes_refused(payer, subtests):
    for minutes in (0, -5, True, 10**9):
        with subtests.test(minutes=minutes):
            with pytest.raises(InvalidAmount):
                hold(payer, minutes)
            assert available(payer) == 240


def test_hold_on_unknown_account_refused(app):
    with pytest.raises(NotFound):
        place_hold(account_id=424242, minutes=5, reason="", idempotency_key=key(), entered_by=None)


def test_replayed_hold_holds_once(payer):
    hold(payer, 240, idempotency_key="book-once")
    db.session.commit()
    with pytest.raises(AlreadySubmitted):
        hold(payer, 240, idempotency_key="book-once")
    db.session.rollback()
    assert available(payer) == 0
    assert db.session.query(Hold).count() == 1


def test_release_gives_minutes_back_once(payer):
    hold_id = hold(payer, 100)
    release_hold(hold_id, entered_by=payer)
    db.session.commit()
    assert (balance(payer), available(payer)) == (240, 240)
    assert db.session.get(Hold, hold_id).status == HoldStatus.RELEASED
    with pytest.raises(AlreadySettled):
        release_hold(hold_id, entered_by=payer)
    with pytest.raises(AlreadySettled):
        settle_hold(hold_id, to_account_id=fund(payer.community).id, entered_by=payer)
    db.session.rollback()
    assert available(payer) == 240
    assert_ledger_clean()


def test_settle_pays_the_held_minutes_once(payer, volunteer):
    hold_id = hold(payer, 100)
    transfer_id = settle_hold(
        hold_id, to_account_id=member_account(volunteer).id, entered_by=payer, memo="done"
    )
    db.session.commit()
    assert (balance(payer), available(payer), balance(volunteer)) == (140, 140, 100)
    settled = db.session.get(Hold, hold_id)
    assert settled.status == HoldStatus.SETTLED
    assert settled.settlement_transfer_id == transfer_id
    transfer = db.session.get(Transfer, transfer_id)
    assert transfer.kind == TransferKind.HOLD_SETTLEMENT
    before = transfer_count()
    with pytest.raises(AlreadySettled):
        settle_hold(hold_id, to_account_id=member_account(volunteer).id, entered_by=payer)
    with pytest.raises(AlreadySettled):
        release_hold(hold_id, entered_by=payer)
    db.session.rollback()
    assert transfer_count() == before
    assert balance(volunteer) == 100
    assert_ledger_clean()


def test_settle_to_self_or_unknown_refused(payer):
    hold_id = hold(payer, 30)
    with pytest.raises(SelfTransfer):
        settle_hold(hold_id, to_account_id=member_account(payer).id, entered_by=payer)
    with pytest.raises(NotFound):
        settle_hold(hold_id, to_account_id=999_999, entered_by=payer)
    with pytest.raises(NotFound):
        settle_hold(999_999, to_account_id=member_account(payer).id, entered_by=payer)
    with pytest.raises(NotFound):
        release_hold(999_999, entered_by=payer)


def test_settle_respects_the_receivers_cap(make_community, make_member, payer):
    small = make_community(storage_cap_minutes=60)
    saver = make_member(community=small)
    top_up(saver, 50)
    hold_id = hold(payer, 20)
    with pytest.raises(AboveCap):
        settle_hold(hold_id, to_account_id=member_account(saver).id, entered_by=payer)


def test_held_minutes_cannot_be_given_away(payer, volunteer):
    hold(payer, 200)
    with pytest.raises(BelowFloor):
        post_transfer(
            from_account_id=member_account(payer).id,
            to_account_id=member_account(volunteer).id,
            minutes=41,
            kind=TransferKind.GIFT,
            idempotency_key=key(),
            entered_by=payer,
        )
    assert balance(volunteer) == 0
