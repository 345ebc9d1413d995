"""What both sides of a benchmark do per transfer, written once so they stay the same."""

from __future__ import annotations

import random
from datetime import datetime

from community.hash_chain import GENESIS
from timebank.chain import transfer_digest

AMOUNT = 1  # one minute: no funded account can run dry or overflow during a run
KIND = "gift"


class PairPicker:
    """Deterministic random pairs of distinct funded accounts."""

    def __init__(self, account_ids: tuple[int, ...], seed: int) -> None:
        self.account_ids = account_ids
        self.rng = random.Random(seed)

    def pick(self) -> tuple[int, int]:
        source, target = self.rng.sample(self.account_ids, 2)
        return source, target


def check_limits(rows, source: int, target: int) -> tuple[str, str]:
    """The ledger's floor and cap checks, on rows as the lock query returns them;
    returns the two accounts' chain heads (source, target)."""
    by_id = {row[0]: row for row in rows}
    if len(by_id) != 2:
        raise LookupError("account missing")
    _, kind, balance, held, source_head, floor, cap = by_id[source]
    if kind == "member" and balance - held - AMOUNT < floor:
        raise ValueError("below floor")
    _, kind, balance, held, target_head, floor, cap = by_id[target]
    if kind == "member" and balance + AMOUNT > cap:
        raise ValueError("above cap")
    return source_head or GENESIS, target_head or GENESIS


def chained_row(
    heads: tuple[str, str], source: int, target: int, entered_by_id: int, key: str, at: datetime
) -> tuple[dict, str]:
    """The transfer's columns (as timebank.ledger writes them) and its chain digest."""
    values = {
        "from_account_id": source,
        "to_account_id": target,
        "amount_minutes": AMOUNT,
        "kind": KIND,
        "memo": "",
        "entered_by_id": entered_by_id,
        "on_behalf_of_id": None,
        "idempotency_key": key,
        "reverses_id": None,
        "created_at": at,
    }
    return values, transfer_digest(*heads, values)


def sqlite_timestamp(moment: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite."""
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond:06d}"


# The statements timebank.ledger.post_transfer sends, spelled out for the raw drivers.
_LOCK = (
    "SELECT accounts.id, accounts.kind, accounts.balance_minutes, accounts.held_minutes, "
    "accounts.chain_hash, communities.floor_minutes, communities.storage_cap_minutes "
    "FROM accounts JOIN communities ON communities.id = accounts.community_id "
    "WHERE accounts.id IN ({a}, {b}) ORDER BY accounts.id"
)
_INSERT = (
    "INSERT INTO transfers (from_account_id, to_account_id, amount_minutes, kind, memo, "
    "entered_by_id, on_behalf_of_id, idempotency_key, reverses_id, created_at, row_hash) "
    "VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}) RETURNING id"
)
_MOVE = (
    "UPDATE accounts SET balance_minutes = (accounts.balance_minutes + {m}), chain_hash = {m} "
    "WHERE accounts.id = {m}"
)

SQLITE_LOCK = _LOCK.format(a="?", b="?")
SQLITE_INSERT = _INSERT.format(m="?")
SQLITE_MOVE = _MOVE.format(m="?")
POSTGRES_LOCK = _LOCK.format(a="%s", b="%s") + " FOR UPDATE OF accounts"
POSTGRES_INSERT = _INSERT.format(m="%s")
POSTGRES_MOVE = _MOVE.format(m="%s")
