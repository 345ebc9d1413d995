"""Small helpers the time-bank tests share: keys, top-ups and balances."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from community.models import Community, User
from extensions import db
from timebank.accounts import community_account, member_account
from timebank.ledger import post_transfer
from timebank.models import Account, AccountKind, Transfer, TransferKind
from timebank.verify import verify_ledger


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


def guarantee(community: Community) -> Account:
    return community_account(community.id, AccountKind.GUARANTEE)


def fund(community: Community) -> Account:
    return community_account(community.id, AccountKind.FUND)


def top_up(user: User, minutes: int) -> int:
    """Give ``user`` minutes from their community's guarantee account (an adjustment)."""
    return post_transfer(
        from_account_id=guarantee(user.community).id,
        to_account_id=member_account(user).id,
        minutes=minutes,
        kind=TransferKind.ADJUSTMENT,
        idempotency_key=key(),
        entered_by=None,
    )


def fill_fund(community: Community, minutes: int) -> None:
    """Put minutes in a community's fund, from its guarantee account."""
    post_transfer(
        from_account_id=guarantee(community).id,
        to_account_id=fund(community).id,
        minutes=minutes,
        kind=TransferKind.ADJUSTMENT,
        idempotency_key=key(),
        entered_by=None,
    )


def balance(user: User) -> int:
    return member_account(user).balance_minutes


def available(user: User) -> int:
    return member_account(user).available_minutes


def transfer_count() -> int:
    return db.session.scalar(select(func.count(Transfer.id)))


def assert_ledger_clean() -> None:
    problems = verify_ledger(db.session)
    assert problems == [], [str(p) for p in problems]
