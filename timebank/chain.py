"""The transfers' hash chains: one per account.

A transfer's digest covers its content and the digests each of its two
accounts had before it (the last transfer that touched each); both accounts
then carry the new digest. The accounts are locked while a transfer is
written, so each account's chain is in transfer-id order, and a global chain
(which would make every transfer in the street wait on one row) is not needed.
A transfer changed, removed or slipped in behind the app's back breaks the
chain of both its accounts from there on, and `ledger verify` names it.

`ledger verify` recounts every digest, so the text a digest covers is built
with one format string (a generic encoder cost 4 µs a transfer, 20 s at a
million) and the rows are read through the driver's own cursor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.hash_chain import GENESIS
from timebank.models import Account

# The columns a digest covers, in the order verify reads them (after id and row_hash).
CHAINED_COLUMNS = (
    "from_account_id",
    "to_account_id",
    "amount_minutes",
    "kind",
    "memo",
    "entered_by_id",
    "on_behalf_of_id",
    "idempotency_key",
    "reverses_id",
    "created_at",
)
_SELECT_CHAINED = (
    "SELECT id, row_hash, " + ", ".join(CHAINED_COLUMNS) + " FROM transfers ORDER BY id"
)
BATCH = 20_000


def stamp(moment: datetime | str) -> str:
    """A transfer's time as its digest covers it: SQLAlchemy's SQLite text form, which
    SQLite hands back as it is and PostgreSQL's datetime formats to."""
    if isinstance(moment, str):
        return moment
    return f"{moment:%Y-%m-%d %H:%M:%S.%f}"


def digest_of(
    from_head: str,
    to_head: str,
    from_account_id: int,
    to_account_id: int,
    amount_minutes: int,
    kind: str,
    memo: str,
    entered_by_id: int | None,
    on_behalf_of_id: int | None,
    idempotency_key: str,
    reverses_id: int | None,
    created_at: datetime | str,
) -> str:
    """The digest of a transfer after its accounts' chain heads.

    Numbers and the kind cannot hold a comma; the key is length-prefixed and the
    memo comes last, so no value can pass for another.
    """
    material = (
        f"{from_head}|{to_head}#{from_account_id},{to_account_id},{amount_minutes},{kind},"
        f"{'' if entered_by_id is None else entered_by_id},"
        f"{'' if on_behalf_of_id is None else on_behalf_of_id},"
        f"{'' if reverses_id is None else reverses_id},{stamp(created_at)},"
        f"{len(idempotency_key)}:{idempotency_key},{memo}"
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def transfer_digest(from_head: str, to_head: str, values: dict) -> str:
    """The digest of a transfer with column ``values`` (as the ledger inserts them)."""
    return digest_of(from_head, to_head, *(values[name] for name in CHAINED_COLUMNS))


@dataclass(frozen=True)
class ChainBreak:
    """A transfer or account whose digest does not follow from the chain before it."""

    transfer_id: int | None
    account_id: int | None
    message: str


def _transfer_rows(session: Session) -> Iterator[tuple]:
    """Every transfer's id, digest and chained columns, in id order, in batches, through
    the driver's cursor (a named, server-side one on PostgreSQL, closed at the end)."""
    connection = session.connection().connection.driver_connection
    postgres = session.get_bind().dialect.name == "postgresql"
    cursor = connection.cursor(name="ledger_verify_chain") if postgres else connection.cursor()
    try:
        cursor.execute(_SELECT_CHAINED)
        while rows := cursor.fetchmany(BATCH):
            yield from rows
    finally:
        cursor.close()


def verify_transfer_chains(session: Session) -> list[ChainBreak]:
    """Recount every account's chain: the first transfer that breaks it, and any account
    whose stored head is not where its chain ends (transfers removed from the end)."""
    heads: dict[int, str] = {}
    broken: list[ChainBreak] = []
    broken_accounts: set[int] = set()
    for transfer_id, stored, source, target, *content in _transfer_rows(session):
        digest = digest_of(
            heads.get(source, GENESIS), heads.get(target, GENESIS), source, target, *content
        )
        if stored != digest and not {source, target} & broken_accounts:
            broken.append(
                ChainBreak(
                    transfer_id,
                    source,
                    f"transfer {transfer_id} does not follow its chain: it, or a transfer "
                    f"before it on accounts {source} and {target}, was changed or removed",
                )
            )
            broken_accounts |= {source, target}
        # follow what is stored, so one changed transfer is named once, not with all after it
        heads[source] = heads[target] = stored
    for account_id, head in session.execute(select(Account.id, Account.chain_hash)):
        if account_id in broken_accounts:
            continue
        if head != heads.get(account_id, GENESIS):
            broken.append(
                ChainBreak(
                    None,
                    account_id,
                    "its chain's head does not match its last transfer (transfers removed?)",
                )
            )
    return broken
