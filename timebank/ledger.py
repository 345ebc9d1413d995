"""The double-entry hour ledger: posting transfers and holding minutes.

Every function here locks the accounts it touches, in id order, inside the
caller's transaction (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the
transaction already began with ``BEGIN IMMEDIATE``), re-reads their balances,
checks floors and caps, writes, and flushes. Nothing commits. The hot path
uses Core statements on the tables, compiled once per dialect and run on the
transaction's own DBAPI cursor: loading ORM objects, or even SQLAlchemy's
per-execution bookkeeping, would cost more than the transfer itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from community.models import Community, User, utcnow
from extensions import db
from timebank.chain import transfer_digest
from timebank.errors import (
    AboveCap,
    AlreadySettled,
    AlreadySubmitted,
    BelowFloor,
    InvalidAmount,
    NotFound,
    SelfTransfer,
)
from timebank.models import Account, AccountKind, Hold, HoldStatus, Transfer
from timebank.summaries import MemberDeltas, add_member_delta, apply_member_deltas
from timebank.summary_models import MemberDay, MemberYear

# No single movement of time is larger than this; anything above is a typo.
MAX_TRANSFER_MINUTES = 500 * 60

_accounts = Account.__table__
_transfers = Transfer.__table__
_holds = Hold.__table__
_communities = Community.__table__
_member_years = MemberYear.__table__
_member_days = MemberDay.__table__

_LOCK_ACCOUNTS = (
    select(
        _accounts.c.id,
        _accounts.c.kind,
        _accounts.c.balance_minutes,
        _accounts.c.held_minutes,
        _accounts.c.chain_hash,
        _accounts.c.community_id,
        _accounts.c.holder_birth_date,
        _communities.c.floor_minutes,
        _communities.c.storage_cap_minutes,
    )
    .join(_communities, _communities.c.id == _accounts.c.community_id)
    # one or two accounts: a single account is passed as both
    .where(_accounts.c.id.in_([bindparam("first"), bindparam("second")]))
    .order_by(_accounts.c.id)
    .with_for_update(of=_accounts)
)
_INSERT_TRANSFER = insert(_transfers).returning(_transfers.c.id)
_MOVE_BALANCE = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account"))
    .values(
        balance_minutes=_accounts.c.balance_minutes + bindparam("delta"),
        chain_hash=bindparam("chain_hash"),
    )
)
# A member balance moves within its summary rows (timebank.summaries), which exist
# already: opening the account counted it there.
_MOVE_YEAR_SUMMARY = (
    update(_member_years)
    .where(
        _member_years.c.community_id == bindparam("community"),
        _member_years.c.birth_year == bindparam("key"),
    )
    .values(balance_minutes=_member_years.c.balance_minutes + bindparam("delta"))
)
_MOVE_DAY_SUMMARY = (
    update(_member_days)
    .where(
        _member_days.c.community_id == bindparam("community"),
        _member_days.c.birth_date == bindparam("key"),
    )
    .values(balance_minutes=_member_days.c.balance_minutes + bindparam("delta"))
)
_MOVE_HELD = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account"))
    .values(held_minutes=_accounts.c.held_minutes + bindparam("delta"))
)


_compiled: dict[tuple[int, str], tuple[str, tuple[str, ...] | None, dict]] = {}


def _compile(statement, dialect, names: list[str]) -> tuple[str, tuple[str, ...] | None, dict]:
    """The SQL text, positional parameter order and type processors (e.g. SQLite datetimes)."""
    compiled = statement.compile(dialect=dialect, column_keys=names)
    processors = {}
    for name, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    return compiled.string, compiled.positiontup if dialect.positional else None, processors


def _run(session: Session, statement, params: dict, fetch: str | None = None):
    """Run a hot-path statement in the session's transaction; rows ("all"), a row ("one"),
    the number of rows changed ("rowcount") or None.

    The SQL is compiled once per dialect; DBAPI errors are raised as SQLAlchemy's
    (IntegrityError, OperationalError …), as session.execute would.
    """
    session.flush()  # what session.execute's autoflush would have written first
    connection = session.connection()
    dialect = connection.dialect
    key = (id(statement), dialect.name)
    if key not in _compiled:
        _compiled[key] = _compile(statement, dialect, list(params))
    sql, order, processors = _compiled[key]
    if processors:
        params = params | {name: process(params[name]) for name, process in processors.items()}
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(params[name] for name in order) if order else params)
        if fetch == "rowcount":
            return cursor.rowcount
        return cursor.fetchall() if fetch == "all" else cursor.fetchone() if fetch else None
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            sql, params, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()


@dataclass(slots=True)
class LockedAccount:
    """An account row as read under lock, with the limits that apply to it."""

    id: int
    kind: str
    balance: int
    held: int
    floor: int | None  # None: no lower limit (the guarantee account)
    cap: int | None  # None: no upper limit (system accounts)
    chain_hash: str  # the digest of the last transfer that touched it
    community_id: int
    birth_date: date | None  # a member account's holder's (the summary row it counts in)

    @property
    def available(self) -> int:
        return self.balance - self.held


def check_minutes(minutes: int) -> None:
    """Raise InvalidAmount unless ``minutes`` is a sane positive whole number."""
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise InvalidAmount(_l("Enter a number of minutes greater than zero."))
    if minutes > MAX_TRANSFER_MINUTES:
        raise InvalidAmount(_l("%(n)s minutes is far too many for one entry.", n=minutes))


def lock_accounts(session: Session, account_ids: list[int]) -> dict[int, LockedAccount]:
    """Lock one or two accounts (in id order) and return their current rows by id.

    Raises NotFound if any id is unknown.
    """
    ids = sorted(set(account_ids))
    if not 1 <= len(ids) <= 2:
        raise ValueError("lock one or two accounts at a time")
    rows = _run(session, _LOCK_ACCOUNTS, {"first": ids[0], "second": ids[-1]}, "all")
    locked: dict[int, LockedAccount] = {}
    for account_id, kind, balance, held, chain_hash, community_id, born, floor, cap in rows:
        if kind == AccountKind.MEMBER:
            limits = (floor, cap)
        elif kind in (AccountKind.FUND, AccountKind.PROVIDER):
            limits = (0, None)
        else:
            limits = (None, None)
        if isinstance(born, str):  # the raw SQLite driver returns dates as text
            born = date.fromisoformat(born)
        locked[account_id] = LockedAccount(
            account_id, kind, balance, held, *limits, chain_hash, community_id, born
        )
    if len(locked) != len(set(account_ids)):
        raise NotFound(_l("That account does not exist."))
    return locked


def _check_can_pay(account: LockedAccount, minutes: int) -> None:
    if account.floor is not None and account.available - minutes < account.floor:
        raise BelowFloor(
            _l(
                "Not enough hours: %(available)s minutes are available, %(wanted)s are needed.",
                available=max(account.available - account.floor, 0),
                wanted=minutes,
            )
        )


def _check_can_receive(account: LockedAccount, minutes: int) -> None:
    if account.cap is not None and account.balance + minutes > account.cap:
        raise AboveCap(
            _l(
                "This would take the account above its limit of %(cap)s hours.",
                cap=account.cap // 60,
            )
        )


def _key_was_used(session: Session, table, idempotency_key: str) -> bool:
    """True if a row of ``table`` (transfers or holds) already carries the key."""
    return (
        session.execute(
            select(table.c.id).where(table.c.idempotency_key == idempotency_key)
        ).first()
        is not None
    )


def _forget_cached(session: Session, account_ids: list[int]) -> None:
    """Expire ORM copies of the accounts so no one reads a stale balance."""
    for account_id in account_ids:
        cached = session.identity_map.get(identity_key(Account, account_id))
        if cached is not None:
            session.expire(cached, ["balance_minutes", "held_minutes", "chain_hash"])


def _write_transfer(
    session: Session,
    source: LockedAccount,
    target: LockedAccount,
    minutes: int,
    kind: str,
    idempotency_key: str,
    entered_by_id: int | None,
    on_behalf_of_id: int | None,
    memo: str,
    reverses_id: int | None,
) -> int:
    values = {
        "from_account_id": source.id,
        "to_account_id": target.id,
        "amount_minutes": minutes,
        "kind": kind,
        "memo": memo[:200],
        "entered_by_id": entered_by_id,
        "on_behalf_of_id": on_behalf_of_id,
        "idempotency_key": idempotency_key,
        "reverses_id": reverses_id,
        "created_at": utcnow(),
    }
    values["row_hash"] = digest = transfer_digest(source.chain_hash, target.chain_hash, values)
    # Not in the digest: the chain covers what was posted, and its format stays frozen
    # (migration 0008 and every stored row_hash compute it). The balances after follow
    # from the chained amounts, and `ledger verify` recounts them.
    values["from_balance_after"] = source.balance - minutes
    values["to_balance_after"] = target.balance + minutes
    try:
        (transfer_id,) = _run(session, _INSERT_TRANSFER, values, "one")
    except IntegrityError as error:
        if "idempotency_key" in str(error.orig) or "uq_transfers_idempotency_key" in str(
            error.orig
        ):
            raise AlreadySubmitted() from error
        if "reverses_id" in str(error.orig):
            raise AlreadySettled(_l("This transfer was already reversed.")) from error
        raise
    _run(session, _MOVE_BALANCE, {"account": source.id, "delta": -minutes, "chain_hash": digest})
    _run(session, _MOVE_BALANCE, {"account": target.id, "delta": minutes, "chain_hash": digest})
    source.balance -= minutes
    target.balance += minutes
    source.chain_hash = target.chain_hash = digest
    _move_summaries(session, [(source, -minutes), (target, minutes)])
    return transfer_id


def _move_summaries(session: Session, moves: list[tuple[LockedAccount, int]]) -> None:
    """Move member balances in their summary rows: after the accounts, in key order."""
    deltas: MemberDeltas = {}
    for account, delta in moves:
        if account.kind == AccountKind.MEMBER:
            add_member_delta(deltas, account.community_id, account.birth_date, balance=delta)
    for (table, key), (delta, _accounts_delta, _residents) in sorted(deltas.items()):
        if not delta:
            continue
        statement = _MOVE_YEAR_SUMMARY if table == "member_years" else _MOVE_DAY_SUMMARY
        params = {"community": key[0], "key": key[1], "delta": delta}
        if not _run(session, statement, params, "rowcount"):  # a row a bulk load left out
            apply_member_deltas(session.connection(), {(table, key): [delta, 0, 0]})


def post_transfer(
    *,
    from_account_id: int,
    to_account_id: int,
    minutes: int,
    kind: str,
    idempotency_key: str,
    entered_by: User | None,
    on_behalf_of: User | None = None,
    memo: str = "",
    reverses_id: int | None = None,
) -> int:
    """Move ``minutes`` between two accounts and return the new transfer's id.

    Raises InvalidAmount, SelfTransfer, NotFound, BelowFloor, AboveCap and
    AlreadySubmitted (the idempotency key was used before).
    """
    check_minutes(minutes)
    if from_account_id == to_account_id:
        raise SelfTransfer()
    session = db.session
    locked = lock_accounts(session, [from_account_id, to_account_id])
    source, target = locked[from_account_id], locked[to_account_id]
    try:
        _check_can_pay(source, minutes)
        _check_can_receive(target, minutes)
    except (BelowFloor, AboveCap):
        # A replayed form whose first post emptied (or filled) the account must
        # say "already sent", not "not enough hours". Costs nothing on success.
        if _key_was_used(session, _transfers, idempotency_key):
            raise AlreadySubmitted() from None
        raise
    transfer_id = _write_transfer(
        session,
        source,
        target,
        minutes,
        kind,
        idempotency_key,
        entered_by.id if entered_by else None,
        on_behalf_of.id if on_behalf_of else None,
        memo,
        reverses_id,
    )
    _forget_cached(session, [from_account_id, to_account_id])
    return transfer_id


def place_hold(
    *,
    account_id: int,
    minutes: int,
    reason: str,
    idempotency_key: str,
    entered_by: User | None,
) -> int:
    """Reserve ``minutes`` of an account's available balance; return the hold's id.

    Raises InvalidAmount, NotFound, BelowFloor and AlreadySubmitted.
    """
    check_minutes(minutes)
    session = db.session
    account = lock_accounts(session, [account_id])[account_id]
    try:
        _check_can_pay(account, minutes)
    except BelowFloor:
        if _key_was_used(session, _holds, idempotency_key):
            raise AlreadySubmitted() from None
        raise
    try:
        hold_id = session.execute(
            insert(_holds).returning(_holds.c.id),
            {
                "account_id": account_id,
                "amount_minutes": minutes,
                "reason": reason[:200],
                "status": HoldStatus.OPEN,
                "idempotency_key": idempotency_key,
                "entered_by_id": entered_by.id if entered_by else None,
                "created_at": utcnow(),
            },
        ).scalar_one()
    except IntegrityError as error:
        raise AlreadySubmitted() from error
    session.execute(_MOVE_HELD, {"account": account_id, "delta": minutes})
    _forget_cached(session, [account_id])
    return hold_id


def _close_hold(session: Session, hold_id: int, status: str, transfer_id: int | None) -> None:
    session.execute(
        update(_holds)
        .where(_holds.c.id == hold_id)
        .values(status=status, closed_at=utcnow(), settlement_transfer_id=transfer_id)
    )
    cached = session.identity_map.get(identity_key(Hold, hold_id))
    if cached is not None:
        session.expire(cached)


def _open_hold(session: Session, hold_id: int) -> tuple[int, int]:
    """Return (account_id, minutes) of an open hold, after locking its account."""
    row = session.execute(
        select(_holds.c.account_id, _holds.c.amount_minutes).where(_holds.c.id == hold_id)
    ).first()
    if row is None:
        raise NotFound(_l("That hold does not exist."))
    account_id, minutes = row
    return account_id, minutes


def release_hold(hold_id: int, *, entered_by: User | None) -> None:
    """Give a hold's minutes back to the account's available balance.

    Raises NotFound and AlreadySettled.
    """
    session = db.session
    account_id, minutes = _open_hold(session, hold_id)
    lock_accounts(session, [account_id])
    status = session.execute(select(_holds.c.status).where(_holds.c.id == hold_id)).scalar_one()
    if status != HoldStatus.OPEN:
        raise AlreadySettled()
    session.execute(_MOVE_HELD, {"account": account_id, "delta": -minutes})
    _close_hold(session, hold_id, HoldStatus.RELEASED, None)
    _forget_cached(session, [account_id])


def settle_hold(
    hold_id: int,
    *,
    to_account_id: int,
    kind: str = "hold_settlement",
    entered_by: User | None,
    on_behalf_of: User | None = None,
    memo: str = "",
) -> int:
    """Pay a hold's minutes to another account; return the transfer's id.

    Raises NotFound, SelfTransfer, AboveCap and AlreadySettled.
    """
    session = db.session
    account_id, minutes = _open_hold(session, hold_id)
    if account_id == to_account_id:
        raise SelfTransfer()
    locked = lock_accounts(session, [account_id, to_account_id])
    status = session.execute(select(_holds.c.status).where(_holds.c.id == hold_id)).scalar_one()
    if status != HoldStatus.OPEN:
        raise AlreadySettled()
    source, target = locked[account_id], locked[to_account_id]
    _check_can_receive(target, minutes)
    session.execute(_MOVE_HELD, {"account": account_id, "delta": -minutes})
    source.held -= minutes
    transfer_id = _write_transfer(
        session,
        source,
        target,
        minutes,
        kind,
        f"hold:{hold_id}:settle",
        entered_by.id if entered_by else None,
        on_behalf_of.id if on_behalf_of else None,
        memo,
        None,
    )
    _close_hold(session, hold_id, HoldStatus.SETTLED, transfer_id)
    _forget_cached(session, [account_id, to_account_id])
    return transfer_id
