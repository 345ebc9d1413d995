"""`flask --app app ledger verify`: silent success, and every broken invariant named."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text, update

from community.models import utcnow
from community.services import link_family
from extensions import db
from timebank.accounts import member_account
from timebank.models import Account, AccountKind, Transfer, TransferKind
from timebank.summaries import add_member_delta, apply_member_deltas
from timebank.transfers import gift_hours
from timebank.verify import verify_ledger

from .support import guarantee, key, top_up


def run_verify(app):
    db.session.commit()
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


@pytest.fixture
def funded(make_member, community):
    """A member with 100 minutes, posted properly."""
    member = make_member()
    top_up(member, 100)
    db.session.commit()
    return member


def raw_transfer(source_id, target_id, minutes, kind=TransferKind.ADJUSTMENT, reverses_id=None):
    """Write a transfer and move the cached balances and summaries, bypassing every rule."""
    before = dict(
        db.session.execute(
            select(Account.id, Account.balance_minutes).where(
                Account.id.in_([source_id, target_id])
            )
        ).all()
    )
    db.session.execute(
        insert(Transfer.__table__).values(
            from_balance_after=before[source_id] - minutes,
            to_balance_after=before[target_id] + minutes,
            from_account_id=source_id,
            to_account_id=target_id,
            amount_minutes=minutes,
            kind=kind,
            memo="raw",
            idempotency_key=key(),
            reverses_id=reverses_id,
            created_at=utcnow(),
        )
    )
    for account_id, delta in ((source_id, -minutes), (target_id, minutes)):
        db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(balance_minutes=Account.balance_minutes + delta)
        )
        account = db.session.get(Account, account_id)
        if account.kind == AccountKind.MEMBER:
            deltas = {}
            add_member_delta(deltas, account.community_id, account.holder_birth_date, balance=delta)
            apply_member_deltas(db.session.connection(), deltas)


def test_clean_ledger_says_ok(app, funded):
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 3 accounts, 1 transfers")


def test_empty_database_is_clean(app):
    result = run_verify(app)
    assert result.exit_code == 0
    assert "ok: 0 accounts, 0 transfers" in result.output


def test_corrupt_cached_balance_is_named(app, funded, make_member):
    bystander = make_member()
    account_id = member_account(funded).id
    db.session.execute(
        text("UPDATE accounts SET balance_minutes = balance_minutes + 7 WHERE id = :id"),
        {"id": account_id},
    )
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"invariant 2: account {account_id}: balance 107 but its transfers sum to 100" in (
        result.output
    )
    assert "invariant 1: balances sum to 7 minutes" in result.output
    assert f"account {member_account(bystander).id}:" not in result.output
    assert "2 problem(s)" in result.output


def test_held_minutes_without_a_hold_are_named(app, funded):
    account_id = member_account(funded).id
    db.session.execute(
        text("UPDATE accounts SET held_minutes = 30 WHERE id = :id"), {"id": account_id}
    )
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"invariant 2: account {account_id}: 30 minutes held but open holds total 0" in (
        result.output
    )


def test_floor_breach_is_named(app, funded, community):
    account_id = member_account(funded).id
    raw_transfer(account_id, guarantee(community).id, 150)
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"invariant 3: account {account_id}: member account: balance -50" in result.output
    assert "invariant 2" not in result.output and "invariant 1" not in result.output


def test_cap_breach_is_named(app, funded, community):
    db.session.execute(
        text("UPDATE communities SET storage_cap_minutes = 60 WHERE id = :id"),
        {"id": community.id},
    )
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"invariant 3: account {member_account(funded).id}:" in result.output


def test_fake_reversal_is_reported(app, funded, elder, community):
    link_family(by=elder, elder=elder, relative=funded)
    original = gift_hours(
        giver=funded, recipient=elder, minutes=40, by=funded, idempotency_key=key()
    )
    # "reverses" the gift but takes back more than was given
    raw_transfer(
        member_account(elder).id,
        member_account(funded).id,
        30,
        kind=TransferKind.REVERSAL,
        reverses_id=original,
    )
    # a "reversal" naming nothing at all
    raw_transfer(member_account(elder).id, member_account(funded).id, 5, kind=TransferKind.REVERSAL)
    result = run_verify(app)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("invariant 4")]
    assert len(lines) == 2, result.output
    assert all("is not an exact reversal" in line for line in lines)


def test_missing_append_only_triggers_are_reported(app, funded):
    on_table = " ON transfers" if db.engine.dialect.name == "postgresql" else ""
    for event in ("update", "delete"):
        db.session.execute(text(f"DROP TRIGGER transfers_append_only_{event}{on_table}"))
    problems = [str(problem) for problem in verify_ledger(db.session)]
    db.session.rollback()  # DDL is transactional on both databases: the triggers come back
    assert problems == ["invariant 4: the triggers that keep transfers append-only are missing"]
    assert verify_ledger(db.session) == []
