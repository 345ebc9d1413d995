"""The hash chains over transfers and the audit log: `ledger verify` names the first row
changed behind the app's back (with the append-only triggers out of the way)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from community import audit
from community.audit import Action
from community.audit_models import AuditEntry
from extensions import db
from timebank.accounts import member_account
from timebank.models import Account, Transfer

from .support import top_up


def run_verify(app):
    db.session.commit()
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


@contextmanager
def behind_the_apps_back(backend: str, table: str):
    """What someone with the database's password could do: switch the triggers off."""
    if backend == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        yield
        return
    triggers = db.session.scalars(
        text(f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'")
    ).all()
    for event in ("update", "delete"):
        db.session.execute(text(f"DROP TRIGGER {table}_append_only_{event}"))
    yield
    for sql in triggers:
        db.session.execute(text(sql))


@pytest.fixture
def history(make_member):
    """Three transfers to one member, then one to another."""
    first, second = make_member(), make_member()
    ids = [top_up(first, 60), top_up(first, 30), top_up(first, 15), top_up(second, 45)]
    db.session.commit()
    return first, second, ids


def test_a_clean_history_verifies(app, history):
    result = run_verify(app)
    assert result.exit_code == 0, result.output


def test_each_transfer_carries_the_chain_of_both_accounts(app, history):
    first, second, ids = history
    transfers = {t.id: t for t in db.session.scalars(select(Transfer))}
    assert all(len(t.row_hash) == 64 for t in transfers.values())
    assert len({t.row_hash for t in transfers.values()}) == 4
    assert member_account(first).chain_hash == transfers[ids[2]].row_hash
    assert member_account(second).chain_hash == transfers[ids[3]].row_hash


def test_a_changed_amount_is_named(app, backend, history):
    _, _, ids = history
    with behind_the_apps_back(backend, "transfers"):
        db.session.execute(
            text("UPDATE transfers SET amount_minutes = 600 WHERE id = :id"), {"id": ids[1]}
        )
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"transfer {ids[1]} does not follow its chain" in result.output
    # the transfers after it on the same account still follow from what is stored
    assert f"transfer {ids[2]} does not follow" not in result.output


def test_a_changed_row_with_a_recomputed_digest_breaks_the_next(app, backend, history):
    _, _, ids = history
    with behind_the_apps_back(backend, "transfers"):
        db.session.execute(
            text("UPDATE transfers SET memo = 'x', row_hash = :h WHERE id = :id"),
            {"id": ids[0], "h": "0" * 64},
        )
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"transfer {ids[0]} does not follow its chain" in result.output


def test_a_removed_transfer_is_found(app, backend, history):
    first, _, ids = history
    with behind_the_apps_back(backend, "transfers"):
        db.session.execute(text("DELETE FROM transfers WHERE id = :id"), {"id": ids[1]})
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"transfer {ids[2]} does not follow its chain" in result.output


def test_a_removed_last_transfer_is_found_at_its_account(app, backend, history):
    _, second, ids = history
    account_id = member_account(second).id
    with behind_the_apps_back(backend, "transfers"):
        db.session.execute(text("DELETE FROM transfers WHERE id = :id"), {"id": ids[3]})
        db.session.execute(
            text("UPDATE accounts SET balance_minutes = 0 WHERE id = :id"), {"id": account_id}
        )
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"account {account_id}: its chain's head does not match" in result.output


# --- the audit log ----------------------------------------------------------------------


@pytest.fixture
def audited(coordinator, elder):
    entries = [
        audit.record(Action.MEMBER_FLAGS_CHANGED, actor=coordinator, subject=elder, after={"n": n})
        for n in range(3)
    ]
    db.session.commit()
    return [entry.id for entry in entries]


def test_audit_entries_form_one_chain(app, audited):
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [row.id for row in rows] == audited
    assert len({row.row_hash for row in rows}) == 3
    assert run_verify(app).exit_code == 0


def test_audit_rows_cannot_be_changed_or_deleted_through_the_app(app, audited):
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def test_a_changed_audit_entry_is_named(app, backend, audited):
    with behind_the_apps_back(backend, "audit_entries"):
        db.session.execute(
            text("UPDATE audit_entries SET after = '{}' WHERE id = :id"), {"id": audited[1]}
        )
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"audit entry {audited[1]} was changed" in result.output


def test_a_removed_last_audit_entry_is_found(app, backend, audited):
    with behind_the_apps_back(backend, "audit_entries"):
        db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": audited[2]})
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"audit entries after {audited[1]} were removed" in result.output


def test_an_entry_records_who_for_whom_what_and_where(app, coordinator, elder):
    token = audit.origin.set("203.0.113.7")
    try:
        entry = audit.record(
            Action.MEMBER_FLAGS_CHANGED,
            actor=coordinator,
            subject=elder,
            target=f"user:{elder.id}",
            before={"is_priority": False},
            after={"is_priority": True},
        )
    finally:
        audit.origin.reset(token)
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
    assert entry.street_id == elder.community.street_id
    assert entry.community_id == elder.community_id
    assert entry.before == '{"is_priority": false}'
    assert entry.after == '{"is_priority": true}'
    assert entry.origin == "203.0.113.7"
    assert db.session.get(Account, member_account(elder).id) is not None
