"""Account statements: an account's transfers with the balance after each one.

The balance after a transfer is a running sum over *all* of the account's
transfers in id order (a window function), and only then are the date and
kind filters applied, so every line shows the true balance whatever the page
or filter. Transfers on one account get increasing ids in commit order because
posting locks the account first. Days are local (Asia/Shanghai) days;
``created_at`` is stored as naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import aliased

from community.csv_export import csv_chunks
from community.models import Community, User
from extensions import db
from form_limits import PERIOD
from timebank.categories import category_label
from timebank.clock import LOCAL_ZONE
from timebank.errors import TimebankError
from timebank.formatting import transfer_kind_label
from timebank.models import Account, AccountKind, Transfer, TransferKind

CSV_BATCH = 500
MAX_STATEMENT_PAGE = 100_000  # 5 million lines at 50 a page: more than any account holds


class InvalidStatementFilter(TimebankError):
    """Dates in the wrong order or a kind of transfer that does not exist."""


@dataclass(frozen=True, slots=True)
class StatementFilter:
    """Which lines to show: local days ``start``..``end`` (inclusive) and a kind."""

    start: date | None = None
    end: date | None = None
    kind: str | None = None

    def check(self) -> None:
        """Raise InvalidStatementFilter if the filter cannot select anything sensible."""
        for day in (self.start, self.end):
            refusal = PERIOD.refusal(day) if day is not None else None
            if refusal is not None:  # e.g. 31 December 9999: there is no next day to end on
                raise InvalidStatementFilter(refusal)
        if self.start and self.end and self.end < self.start:
            raise InvalidStatementFilter(_l("The “to” date must not be before the “from” date."))
        if self.kind and self.kind not in set(TransferKind):
            raise InvalidStatementFilter(_l("Choose a kind of transfer from the list."))


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One transfer as the account holder sees it; ``delta`` is + in, − out."""

    transfer_id: int
    created_at: datetime  # naive UTC
    kind: str
    memo: str
    delta: int
    balance_after: int
    counterparty_kind: str
    counterparty_name: str | None  # the member's name; None for a community account
    counterparty_community: str
    entered_by: str | None
    on_behalf_of: str | None
    reverses_id: int | None

    @property
    def minutes_in(self) -> int:
        return max(self.delta, 0)

    @property
    def minutes_out(self) -> int:
        return max(-self.delta, 0)


def local_day_start_utc(day: date) -> datetime:
    """Midnight at the start of local ``day``, as naive UTC (how created_at is stored)."""
    local = datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)
    return local.astimezone(UTC).replace(tzinfo=None)


def _statement_query(account_id: int, wanted: StatementFilter) -> Select:
    """Lines of ``account_id`` matching ``wanted``, newest first."""
    incoming = Transfer.to_account_id == account_id
    signed = case((incoming, Transfer.amount_minutes), else_=-Transfer.amount_minutes)
    other_id = case((incoming, Transfer.from_account_id), else_=Transfer.to_account_id)
    ledger = (
        select(
            Transfer.id,
            Transfer.created_at,
            Transfer.kind,
            Transfer.memo,
            Transfer.entered_by_id,
            Transfer.on_behalf_of_id,
            Transfer.reverses_id,
            signed.label("delta"),
            other_id.label("other_account_id"),
            func.sum(signed).over(order_by=Transfer.id).label("balance_after"),
        )
        .where(or_(Transfer.from_account_id == account_id, incoming))
        .subquery("ledger")
    )
    other = aliased(Account)
    other_user = aliased(User)
    entered_by = aliased(User)
    on_behalf_of = aliased(User)
    query = (
        select(
            ledger.c.id,
            ledger.c.created_at,
            ledger.c.kind,
            ledger.c.memo,
            ledger.c.delta,
            ledger.c.balance_after,
            other.kind,
            other_user.display_name,
            Community.name,
            entered_by.display_name,
            on_behalf_of.display_name,
            ledger.c.reverses_id,
        )
        .join(other, other.id == ledger.c.other_account_id)
        .join(Community, Community.id == other.community_id)
        .outerjoin(other_user, other_user.id == other.user_id)
        .outerjoin(entered_by, entered_by.id == ledger.c.entered_by_id)
        .outerjoin(on_behalf_of, on_behalf_of.id == ledger.c.on_behalf_of_id)
        .order_by(ledger.c.id.desc())
    )
    if wanted.start:
        query = query.where(ledger.c.created_at >= local_day_start_utc(wanted.start))
    if wanted.end:
        next_day = wanted.end + timedelta(days=1)
        query = query.where(ledger.c.created_at < local_day_start_utc(next_day))
    if wanted.kind:
        query = query.where(ledger.c.kind == wanted.kind)
    return query


def page_offset(page_number: int, size: int) -> int:
    """Where page ``page_number`` (1 = the newest ``size`` lines) starts; below 1 is page 1.

    Raises InvalidStatementFilter past MAX_STATEMENT_PAGE.
    """
    if page_number > MAX_STATEMENT_PAGE:
        raise InvalidStatementFilter(
            _l("The statement has no page that far back. Here is its first page.")
        )
    return (max(page_number, 1) - 1) * size


def _line(row) -> StatementLine:
    return StatementLine(*row)


def statement_lines(
    account_id: int, wanted: StatementFilter, *, limit: int, offset: int = 0
) -> list[StatementLine]:
    """One page of the account's statement, newest first.

    Raises InvalidStatementFilter.
    """
    wanted.check()
    query = _statement_query(account_id, wanted).limit(limit).offset(max(offset, 0))
    return [_line(row) for row in db.session.execute(query)]


def iter_statement_lines(account_id: int, wanted: StatementFilter) -> Iterator[StatementLine]:
    """Every matching line, newest first, fetched in batches (for the CSV download).

    Raises InvalidStatementFilter (before the first line).
    """
    wanted.check()
    query = _statement_query(account_id, wanted).execution_options(yield_per=CSV_BATCH)
    return (_line(row) for row in db.session.execute(query))


def counterparty_label(line: StatementLine) -> str:
    """Who was on the other side: a member's name, or "<community> fund" and the like."""
    if line.counterparty_name is not None:
        return line.counterparty_name
    if line.counterparty_kind == AccountKind.FUND:
        return _("%(community)s fund", community=line.counterparty_community)
    return _("%(community)s guarantee account", community=line.counterparty_community)


def memo_text(line: StatementLine) -> str:
    """The memo as a reader understands it (a visit's memo is its category code)."""
    if line.kind == TransferKind.SERVICE:
        return category_label(line.memo)
    if line.kind == TransferKind.REVERSAL and line.reverses_id:
        return _("Reverses entry %(id)s: %(memo)s", id=line.reverses_id, memo=line.memo)
    return line.memo


def entered_label(line: StatementLine) -> str:
    """ "X" or "X on behalf of Y"; empty when the system posted it."""
    if line.entered_by and line.on_behalf_of:
        return _("%(by)s on behalf of %(member)s", by=line.entered_by, member=line.on_behalf_of)
    return line.entered_by or ""


def hours_value(minutes: int) -> Decimal:
    """Minutes as decimal hours with two places (90 → Decimal("1.50")), no floats."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def statement_csv(lines: Iterator[StatementLine]) -> Iterator[str]:
    """The lines as CSV text chunks: UTF-8 BOM, a translated header, one row per line."""
    header = [
        _("Date and time"),
        _("Kind"),
        _("Counterparty"),
        _("Memo"),
        _("Minutes in"),
        _("Minutes out"),
        _("Hours (+ in, − out)"),
        _("Balance after (minutes)"),
        _("Balance after (hours)"),
        _("Entered by"),
        _("Entry number"),
    ]
    rows = (
        [
            format_datetime(line.created_at, "yyyy-MM-dd HH:mm"),
            transfer_kind_label(line.kind),
            counterparty_label(line),
            memo_text(line),
            line.minutes_in,
            line.minutes_out,
            hours_value(line.delta),  # a number, so "-1.50" is not taken for a formula
            line.balance_after,
            hours_value(line.balance_after),
            entered_label(line),
            line.transfer_id,
        ]
        for line in lines
    )
    return csv_chunks(header, rows)
