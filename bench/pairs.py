"""What both sides of a benchmark do per transfer, written once so they stay the same."""

from __future__ import annotations

import random
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class LockedPair:
    """What the lock query told: the chain heads, the balances after, the summary moves."""

    heads: tuple[str, str]
    balances_after: tuple[int, int]
    # (statement, parameters) for each member balance's summary rows, in lock order
    summary_moves: list[tuple[str, tuple]]


def check_limits(rows, source: int, target: int, *, postgres: bool = False) -> LockedPair:
    """The ledger's floor and cap checks, on rows as the lock query returns them."""
    by_id = {row[0]: row for row in rows}
    if len(by_id) != 2:
        raise LookupError("account missing")
    _, kind, balance, held, source_head, floor, cap, *_holder = by_id[source]
    if kind == "member" and balance - held - AMOUNT < floor:
        raise ValueError("below floor")
    source_after = balance - AMOUNT
    _, kind, balance, held, target_head, floor, cap, *_holder = by_id[target]
    if kind == "member" and balance + AMOUNT > cap:
        raise ValueError("above cap")
    moves: dict[tuple, int] = {}
    for account, delta in ((source, -AMOUNT), (target, AMOUNT)):
        kind, community, born = by_id[account][1], by_id[account][7], by_id[account][8]
        if kind != "member":
            continue
        year = int(str(born)[:4]) if born is not None else 0
        moves[(0, community, year)] = moves.get((0, community, year), 0) + delta
        if born is not None:
            moves[(1, community, str(born))] = moves.get((1, community, str(born)), 0) + delta
    year_sql, day_sql = (
        (POSTGRES_MOVE_YEAR, POSTGRES_MOVE_DAY)
        if postgres
        else (
            SQLITE_MOVE_YEAR,
            SQLITE_MOVE_DAY,
        )
    )
    summary_moves = [
        (day_sql if table else year_sql, (delta, community, key))
        for (table, community, key), delta in sorted(moves.items())
        if delta
    ]
    return LockedPair(
        (source_head or GENESIS, target_head or GENESIS),
        (source_after, balance + AMOUNT),
        summary_moves,
    )


def chained_row(
    locked: LockedPair, source: int, target: int, entered_by_id: int, key: str, at: datetime
) -> tuple[dict, str]:
    """The transfer's columns (as timebank.ledger writes them, ``created_at`` last) and its
    chain digest."""
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
        "from_balance_after": locked.balances_after[0],
        "to_balance_after": locked.balances_after[1],
        "created_at": at,
    }
    return values, transfer_digest(*locked.heads, values)


def sqlite_timestamp(moment: datetime) -> str:
    """A datetime as SQLAlchemy stores it in SQLite."""
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond:06d}"


# The statements timebank.ledger.post_transfer sends, spelled out for the raw drivers.
_LOCK = (
    "SELECT accounts.id, accounts.kind, accounts.balance_minutes, accounts.held_minutes, "
    "accounts.chain_hash, communities.floor_minutes, communities.storage_cap_minutes, "
    "accounts.community_id, accounts.holder_birth_date "
    "FROM accounts JOIN communities ON communities.id = accounts.community_id "
    "WHERE accounts.id IN ({a}, {b}) ORDER BY accounts.id"
)
_INSERT = (
    "INSERT INTO transfers (from_account_id, to_account_id, amount_minutes, kind, memo, "
    "entered_by_id, on_behalf_of_id, idempotency_key, reverses_id, from_balance_after, "
    "to_balance_after, created_at, row_hash) "
    "VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}) RETURNING id"
)
_MOVE = (
    "UPDATE accounts SET balance_minutes = (accounts.balance_minutes + {m}), chain_hash = {m} "
    "WHERE accounts.id = {m}"
)

_MOVE_YEAR = (
    "UPDATE member_years SET balance_minutes = (member_years.balance_minutes + {m}) "
    "WHERE member_years.community_id = {m} AND member_years.birth_year = {m}"
)
_MOVE_DAY = (
    "UPDATE member_days SET balance_minutes = (member_days.balance_minutes + {m}) "
    "WHERE member_days.community_id = {m} AND member_days.birth_date = {m}"
)

SQLITE_LOCK = _LOCK.format(a="?", b="?")
SQLITE_MOVE_YEAR = _MOVE_YEAR.format(m="?")
SQLITE_MOVE_DAY = _MOVE_DAY.format(m="?")
POSTGRES_MOVE_YEAR = _MOVE_YEAR.format(m="%s")
POSTGRES_MOVE_DAY = _MOVE_DAY.format(m="%s")
SQLITE_INSERT = _INSERT.format(m="?")
SQLITE_MOVE = _MOVE.format(m="?")
POSTGRES_LOCK = _LOCK.format(a="%s", b="%s") + " FOR UPDATE OF accounts"
POSTGRES_INSERT = _INSERT.format(m="%s")
POSTGRES_MOVE = _MOVE.format(m="%s")
