"""Small helpers the time-bank tests share: keys, top-ups, balances, a disputed visit and a
corrected birth date."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from community.models import Community, User
from community.services import update_member_flags
from extensions import db
from timebank.accounts import community_account, member_account
from timebank.clock import local_today
from timebank.ledger import post_transfer
from timebank.models import Account, AccountKind, ServiceRecord, Transfer, TransferKind
from timebank.verify import verify_ledger
from timebank.visits import dispute_visit, log_visit


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


def disputed_visit(volunteer: User, elder: User, minutes: int = 120) -> ServiceRecord:
    """A visit the volunteer logged today and the elder disputes (nothing posted yet)."""
    record = log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="cleaning",
        service_date=local_today(),
        minutes=minutes,
        entered_by=volunteer,
        idempotency_key=key(),
    )
    dispute_visit(record, by=elder, reason="只来了一个小时")
    return record


def correct_birth_date(member_id: int, coordinator_id: int, birth_date: date) -> None:
    """A coordinator corrects ``member_id``'s birth date, keeping their flags as they are."""
    member = db.session.get(User, member_id)
    update_member_flags(
        member,
        by=db.session.get(User, coordinator_id),
        is_volunteer=member.is_volunteer,
        is_priority=member.is_priority,
        has_hardship=member.has_hardship,
        birth_date=birth_date,
    )
