"""post_transfer: minutes move, the sum stays zero, every limit and error holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from extensions import db
from timebank.accounts import member_account
from timebank.errors import (
    AboveCap,
    AlreadySubmitted,
    BelowFloor,
    InvalidAmount,
    NotFound,
    SelfTransfer,
)
from timebank.ledger import MAX_TRANSFER_MINUTES, place_hold, post_transfer
from timebank.models import Account, Transfer, TransferKind
from timebank.verify import verify_ledger

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


def gift(giver, recipient, minutes, idempotency_key=None, by=None):
    return post_transfer(
        from_account_id=member_account(giver).id,
        to_account_id=member_account(recipient).id,
        minutes=minutes,
        kind=TransferKind.GIFT,
        idempotency_key=idempotency_key or key(),
        entered_by=by or giver,
    )


@pytest.fixture
def pair(make_member):
    giver, receiver = make_member("甲"), make_member("乙")
    top_up(giver, 300)
    db.session.commit()
    return giver, receiver


def test_transfer_moves_minutes_and_records_who(pair, coordinator):
    giver, receiver = pair
    transfer_id = post_transfer(
        from_account_id=member_account(giver).id,
        to_account_id=member_account(receiver).id,
        minutes=90,
        kind=TransferKind.GIFT,
        idempotency_key="gift-1",
        entered_by=coordinator,
        on_behalf_of=giver,
        memo="生日快乐",
    )
    db.session.commit()
    assert (balance(giver), balance(receiver)) == (210, 90)
    transfer = db.session.get(Transfer, transfer_id)
    assert transfer.amount_minutes == 90
    assert transfer.kind == TransferKind.GIFT
    assert transfer.entered_by_id == coordinator.id
    assert transfer.on_behalf_of_id == giver.id
    assert transfer.memo == "生日快乐"
    total = db.session.scalar(select(db.func.sum(Account.balance_minutes)))
    assert total == 0
    assert_ledger_clean()


NONSENSE_MINUTES = [0, -30, True, 1.5, "60", None, MAX_TRANSFER_MINUTES + 1, 10**12]


def test_nonsense_minutes_post_nothing(pair, subtests):
    giver, receiver = pair
    for minutes in NONSENSE_MINUTES:
        with subtests.test(minutes=minutes):
            with pytest.raises(InvalidAmount):
                gift(giver, receiver, minutes)
            assert transfer_count() == 1
            assert (balance(giver), balance(receiver)) == (300, 0)


def test_largest_sane_amount_posts(make_member, community):
    elder = make_member()
    top_up(elder, MAX_TRANSFER_MINUTES)
    assert balance(elder) == MAX_TRANSFER_MINUTES


def test_self_transfer_refused(pair):
    giver, _ = pair
    with pytest.raises(SelfTransfer):
        gift(giver, giver, 10)
    assert balance(giver) == 300


def test_unknown_account_refused(pair):
    giver, _ = pair
    before = transfer_count()
    with pytest.raises(NotFound):
        post_transfer(
            from_account_id=member_account(giver).id,
            to_account_id=987654,
            minutes=10,
            kind=TransferKind.GIFT,
            idempotency_key=key(),
            entered_by=giver,
        )
    assert transfer_count() == before


def test_floor_zero_stops_overspending(pair):
    giver, receiver = pair
    with pytest.raises(BelowFloor) as refused:
        gift(giver, receiver, 301)
    assert refused.value.http_status == 409
    assert "300" in str(refused.value.message)
    gift(giver, receiver, 300)
    assert balance(giver) == 0


def test_negative_floor_is_a_credit_limit(make_community, make_member):
    lenient = make_community(floor_minutes=-120)
    borrower, friend = make_member(community=lenient), make_member(community=lenient)
    gift(borrower, friend, 120)
    assert balance(borrower) == -120
    with pytest.raises(BelowFloor):
        gift(borrower, friend, 1)
    assert_ledger_clean()


def test_floor_counts_open_holds(pair):
    giver, receiver = pair
    place_hold(
        account_id=member_account(giver).id,
        minutes=200,
        reason="booking",
        idempotency_key=key(),
        entered_by=giver,
    )
    with pytest.raises(BelowFloor):
        gift(giver, receiver, 101)
    gift(giver, receiver, 100)
    assert (balance(giver), member_account(giver).available_minutes) == (200, 0)


def test_storage_cap_refuses_hoarding(make_community, make_member):
    small = make_community(storage_cap_minutes=600)
    giver, saver = make_member(community=small), make_member(community=small)
    top_up(giver, 600)
    top_up(saver, 550)
    with pytest.raises(AboveCap) as refused:
        gift(giver, saver, 51)
    assert "10" in str(refused.value.message)  # the cap, in hours
    gift(giver, saver, 50)
    assert balance(saver) == 600


def test_cap_belongs_to_the_receivers_community(make_community, make_member, community):
    small = make_community(storage_cap_minutes=60)
    rich = make_member(community=community)
    top_up(rich, 120)
    poor = make_member(community=small)
    with pytest.raises(AboveCap):
        gift(rich, poor, 61)


def test_fund_cannot_go_below_zero(make_member, community):
    elder = make_member()
    fill_fund(community, 50)
    with pytest.raises(BelowFloor):
        post_transfer(
            from_account_id=fund(community).id,
            to_account_id=member_account(elder).id,
            minutes=51,
            kind=TransferKind.GRANT,
            idempotency_key=key(),
            entered_by=None,
        )
    assert fund(community).balance_minutes == 50


def test_guarantee_may_go_negative_without_limit(make_member, community):
    elder = make_member()
    top_up(elder, MAX_TRANSFER_MINUTES)
    top_up(elder, 60)
    assert guarantee(community).balance_minutes == -(MAX_TRANSFER_MINUTES + 60)
    assert_ledger_clean()


def test_replayed_key_posts_once(pair):
    giver, receiver = pair
    gift(giver, receiver, 60, idempotency_key="double-click")
    db.session.commit()
    with pytest.raises(AlreadySubmitted) as replay:
        gift(giver, receiver, 60, idempotency_key="double-click")
    assert replay.value.http_status == 409
    db.session.rollback()
    assert (balance(giver), balance(receiver)) == (240, 60)
    keys = db.session.scalars(
        select(Transfer.id).where(Transfer.idempotency_key == "double-click")
    ).all()
    assert len(keys) == 1
    assert_ledger_clean()


def test_replay_after_spending_everything_says_already_sent(pair):
    """A double click on "give all my hours" must not say "not enough hours"."""
    giver, receiver = pair
    gift(giver, receiver, 300, idempotency_key="all-of-it")
    db.session.commit()
    with pytest.raises(AlreadySubmitted):
        gift(giver, receiver, 300, idempotency_key="all-of-it")
    db.session.rollback()
    assert balance(receiver) == 300


def test_transfers_cannot_be_edited_or_deleted(pair, subtests):
    db.session.commit()
    for statement in (
        "UPDATE transfers SET amount_minutes = amount_minutes + 1000",
        "UPDATE transfers SET to_account_id = from_account_id",
        "DELETE FROM transfers",
    ):
        with subtests.test(statement=statement):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
            assert transfer_count() == 1
            assert verify_ledger(db.session) == []
