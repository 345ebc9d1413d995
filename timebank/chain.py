"""The transfers' hash chains: one per account.

A transfer's digest covers its content and the digests each of its two
accounts had before it (the last transfer that touched each); both accounts
then carry the new digest. The accounts are locked while a transfer is
written, so each account's chain is in transfer-id order, and a global chain
(which would make every transfer in the street wait on one row) is not needed.
A transfer changed, removed or slipped in behind the app's back breaks the
chain of both its accounts from there on, and `ledger verify` names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.hash_chain import GENESIS, chain_digest
from timebank.models import Account, Transfer

# The columns a digest covers, in order (everything but the id and the digest itself).
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


def transfer_digest(from_head: str, to_head: str, values: dict) -> str:
    """The digest of a transfer with column ``values`` after its accounts' chain heads."""
    return chain_digest((from_head, to_head), tuple(values[name] for name in CHAINED_COLUMNS))


@dataclass(frozen=True)
class ChainBreak:
    """A transfer or account whose digest does not follow from the chain before it."""

    transfer_id: int | None
    account_id: int | None
    message: str


def _transfers(session: Session) -> Iterator[tuple]:
    """Every transfer's id, digest and chained columns, in id order, read in batches."""
    columns = [getattr(Transfer, name) for name in CHAINED_COLUMNS]
    # a server-side cursor on PostgreSQL, closed when the walk ends
    with session.execute(
        select(Transfer.id, Transfer.row_hash, *columns)
        .order_by(Transfer.id)
        .execution_options(yield_per=10_000)
    ) as result:
        yield from result


def verify_transfer_chains(session: Session) -> list[ChainBreak]:
    """Recount every account's chain: the first transfer that breaks it, and any account
    whose stored head is not where its chain ends (transfers removed from the end)."""
    heads: dict[int, str] = {}
    broken: list[ChainBreak] = []
    broken_accounts: set[int] = set()
    for transfer_id, stored, *values in _transfers(session):
        row = dict(zip(CHAINED_COLUMNS, values, strict=True))
        source, target = row["from_account_id"], row["to_account_id"]
        digest = transfer_digest(heads.get(source, GENESIS), heads.get(target, GENESIS), row)
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
