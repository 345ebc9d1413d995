"""Account statements: an account's transfers with the balance after each one.

Each transfer stores both sides' balances after it (written by the ledger under
the accounts' lock), so every line shows the true balance whatever the page or
filter, and a page is read by keyset past a transfer id (never OFFSET): page
1,000 of a busy account costs what page 1 does. Transfers on one account get
increasing ids in the order they post, because posting locks the account
first, and their created_at follows the same order. Days are local
(Asia/Shanghai) days; ``created_at`` is stored as naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, union_all
from sqlalchemy.orm import aliased

from community.csv_export import csv_chunks
from community.models import Community, User
from extensions import db
from form_limits import PERIOD
from input_guard import MAX_ID
from storage import read_only
from timebank.categories import category_label
from timebank.clock import LOCAL_ZONE
from timebank.errors import TimebankError
from timebank.formatting import transfer_kind_label
from timebank.models import Account, AccountKind, ServiceRecord, Transfer, TransferKind
from timebank.take_back import MEMO as TAKEN_BACK_MEMO
from translated_labels import formatted

CSV_BATCH = 500


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
    # the person served on the visit behind a service line (or behind the line it reverses)
    served_name: str | None = None

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


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which conditions a page's query has; its values are bound when it runs."""

    older: bool
    newer: bool
    start: bool
    end: bool
    kind: bool


def _side(outgoing: bool, shape: _Shape):
    """One side of the account's lines (what it paid, or what it received) past the
    cursor, ``size`` at most, read along that side's (account, id) index."""
    mine = Transfer.from_account_id if outgoing else Transfer.to_account_id
    query = select(
        Transfer.id,
        Transfer.created_at,
        Transfer.kind,
        Transfer.memo,
        Transfer.entered_by_id,
        Transfer.on_behalf_of_id,
        Transfer.reverses_id,
        (-Transfer.amount_minutes if outgoing else Transfer.amount_minutes).label("delta"),
        (Transfer.to_account_id if outgoing else Transfer.from_account_id).label("other_id"),
        (Transfer.from_balance_after if outgoing else Transfer.to_balance_after).label("after"),
    ).where(mine == bindparam("account"))
    if shape.older:
        query = query.where(Transfer.id < bindparam("older_than"))
    if shape.newer:
        query = query.where(Transfer.id > bindparam("newer_than"))
    if shape.start:
        query = query.where(Transfer.created_at >= bindparam("from_moment"))
    if shape.end:
        query = query.where(Transfer.created_at < bindparam("until_moment"))
    if shape.kind:
        query = query.where(Transfer.kind == bindparam("kind"))
    order = Transfer.id.asc() if shape.newer else Transfer.id.desc()
    return select(query.order_by(order).limit(bindparam("size")).subquery())


@cache
def _lines_query(shape: _Shape):
    """Up to ``size`` lines past the cursor: newest first, or oldest first going newer.

    Each side of the account is read along its own index and the two are merged,
    so a page costs the same on any page of any account; names are joined to the
    page's lines only. Built once per shape: building it costs more than running it.
    """
    both = union_all(_side(True, shape), _side(False, shape)).subquery("lines")
    page = (
        select(both)
        .order_by(both.c.id.asc() if shape.newer else both.c.id.desc())
        .limit(bindparam("size"))
        .subquery("page")
    )
    other = aliased(Account)
    other_user = aliased(User)
    entered_by = aliased(User)
    on_behalf_of = aliased(User)
    served = aliased(User)
    # the visit behind a service line, or behind the line a reversal undoes (one at most:
    # a visit names one transfer), so the volunteer's line names whom they helped
    visit_transfer = func.coalesce(page.c.reverses_id, page.c.id)
    return (
        select(
            page.c.id,
            page.c.created_at,
            page.c.kind,
            page.c.memo,
            page.c.delta,
            page.c.after,
            other.kind,
            other_user.display_name,
            Community.name,
            entered_by.display_name,
            on_behalf_of.display_name,
            page.c.reverses_id,
            served.display_name,
        )
        .join(other, other.id == page.c.other_id)
        .join(Community, Community.id == other.community_id)
        .outerjoin(other_user, other_user.id == other.user_id)
        .outerjoin(entered_by, entered_by.id == page.c.entered_by_id)
        .outerjoin(on_behalf_of, on_behalf_of.id == page.c.on_behalf_of_id)
        .outerjoin(ServiceRecord, ServiceRecord.transfer_id == visit_transfer)
        .outerjoin(served, served.id == ServiceRecord.recipient_id)
        .order_by(page.c.id.desc())
    )


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a page starts: just older than line ``older_than``, or just newer than
    ``newer_than`` (transfer ids: one account's transfers are numbered in the order they
    posted, as the balances after them follow); neither is the newest page."""

    older_than: int | None = None
    newer_than: int | None = None

    def check(self) -> None:
        """Raise InvalidStatementFilter for both at once or a number no entry can have."""
        if self.older_than is not None and self.newer_than is not None:
            raise InvalidStatementFilter(_l("That page of the statement does not exist."))
        for entry in (self.older_than, self.newer_than):
            if entry is not None and not 0 <= entry <= MAX_ID:  # 0: before the first
                raise InvalidStatementFilter(_l("That page of the statement does not exist."))


@dataclass(frozen=True, slots=True)
class StatementPage:
    """Lines newest first, and the cursors of the pages beside it (None: there is none)."""

    lines: list[StatementLine]
    older: PageCursor | None
    newer: PageCursor | None


def _line(row) -> StatementLine:
    return StatementLine(*row)


def _fetch(account_id: int, wanted: StatementFilter, cursor: PageCursor, size: int):
    shape = _Shape(
        older=cursor.older_than is not None,
        newer=cursor.newer_than is not None,
        start=wanted.start is not None,
        end=wanted.end is not None,
        kind=bool(wanted.kind),
    )
    values = {"account": account_id, "size": size}
    if shape.older:
        values["older_than"] = cursor.older_than
    if shape.newer:
        values["newer_than"] = cursor.newer_than
    if shape.start:
        values["from_moment"] = local_day_start_utc(wanted.start)
    if shape.end:
        values["until_moment"] = local_day_start_utc(wanted.end + timedelta(days=1))
    if shape.kind:
        values["kind"] = wanted.kind
    return [_line(row) for row in db.session.execute(_lines_query(shape), values)]


def statement_page(
    account_id: int, wanted: StatementFilter, *, size: int, cursor: PageCursor | None = None
) -> StatementPage:
    """One page of the account's statement, newest first, with links to the pages beside it.

    Raises InvalidStatementFilter (a bad filter or cursor).
    """
    wanted.check()
    cursor = cursor or PageCursor()
    cursor.check()
    lines = _fetch(account_id, wanted, cursor, size + 1)
    more = len(lines) > size
    going_newer = cursor.newer_than is not None
    # the size+1 lines nearest the cursor; the extra one is the far end's
    lines = (lines[-size:] if going_newer else lines[:size]) if more else lines
    newest = lines[0].transfer_id if lines else cursor.newer_than or cursor.older_than
    oldest = lines[-1].transfer_id if lines else newest
    older = PageCursor(older_than=oldest) if oldest is not None else None
    newer = PageCursor(newer_than=newest) if newest is not None else None
    if going_newer:
        newer = newer if more else None
        older = _beyond(account_id, wanted, older)
    else:
        older = older if more else None
        newer = _beyond(account_id, wanted, newer) if cursor.older_than is not None else None
    return StatementPage(lines, older, newer)


def _beyond(
    account_id: int, wanted: StatementFilter, cursor: PageCursor | None
) -> PageCursor | None:
    """``cursor`` if it shows at least one line, else None (one line read, on the index)."""
    return cursor if cursor is not None and _fetch(account_id, wanted, cursor, 1) else None


def statement_lines(
    account_id: int, wanted: StatementFilter, *, limit: int, cursor: PageCursor | None = None
) -> list[StatementLine]:
    """Up to ``limit`` lines of the account's statement past ``cursor``, newest first.

    Raises InvalidStatementFilter.
    """
    return statement_page(account_id, wanted, size=limit, cursor=cursor).lines


def iter_statement_lines(
    account_id: int, wanted: StatementFilter, *, batch: int = CSV_BATCH
) -> Iterator[StatementLine]:
    """Every matching line, newest first, read ``batch`` at a time (for the CSV download).

    Each batch is a query of its own, past the last line of the one before, and
    read-only on SQLite: a streamed response outlives the request's transaction
    (Flask ends it before the first byte is sent), so a server-side cursor would
    die with it (InvalidCursorName on PostgreSQL). Raises InvalidStatementFilter
    (before the first line).
    """
    wanted.check()

    def lines() -> Iterator[StatementLine]:
        cursor = PageCursor()
        while True:
            with read_only():
                rows = _fetch(account_id, wanted, cursor, batch)
            yield from rows
            if len(rows) < batch:
                return
            cursor = PageCursor(older_than=rows[-1].transfer_id)

    return lines()


# The texts a statement writes on its rows, translated once per language (translated_labels).
_ROW_TEXTS = {
    AccountKind.FUND: _l("%(community)s fund"),
    AccountKind.GUARANTEE: _l("%(community)s guarantee account"),
    "paid_by": _l("%(service)s · paid by %(account)s"),
    "taken_back": _l("Entry %(id)s taken back"),
    "reverses": _l("Reverses entry %(id)s: %(memo)s"),
    "on_behalf": _l("%(by)s on behalf of %(member)s"),
}


def _community_account_label(line: StatementLine) -> str:
    kind = AccountKind.FUND if line.counterparty_kind == AccountKind.FUND else AccountKind.GUARANTEE
    return formatted(_ROW_TEXTS, kind, community=line.counterparty_community)


def counterparty_label(line: StatementLine) -> str:
    """Who was on the other side: a member's name; for a visit the community paid for,
    the person the volunteer helped; else "<community> fund" and the like."""
    if line.counterparty_name is not None:
        return line.counterparty_name
    if line.served_name is not None:
        return line.served_name
    return _community_account_label(line)


def memo_text(line: StatementLine) -> str:
    """The memo as a reader understands it (a visit's memo is its category code); a
    visit the community paid for says which account paid, as its counterparty names
    the person helped."""
    if line.kind == TransferKind.SERVICE:
        service = category_label(line.memo)
        if line.counterparty_name is None and line.served_name is not None:
            return formatted(
                _ROW_TEXTS, "paid_by", service=service, account=_community_account_label(line)
            )
        return service
    if line.kind == TransferKind.REVERSAL and line.reverses_id:
        if line.memo == TAKEN_BACK_MEMO:  # the member's own 撤回, not a coordinator's reason
            return formatted(_ROW_TEXTS, "taken_back", id=line.reverses_id)
        return formatted(_ROW_TEXTS, "reverses", id=line.reverses_id, memo=line.memo)
    return line.memo


def entered_label(line: StatementLine) -> str:
    """ "X" or "X on behalf of Y"; empty when the system posted it."""
    if line.entered_by and line.on_behalf_of:
        return formatted(_ROW_TEXTS, "on_behalf", by=line.entered_by, member=line.on_behalf_of)
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
