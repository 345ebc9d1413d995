"""The audit log as a street admin reads it: their own street's entries, newest first.

``audit_scope`` checks who asks and what they filter by, once, and turns it into
plain SQL conditions; pages and the CSV then read through that scope. Pages go
by keyset (created_at, id), so page 500 costs what page 1 does. The CSV reads
in keyset batches, each its own small query, never one server-side cursor: a
streamed response outlives the request's transaction (Flask ends it before the
first byte is sent), and a cursor would die with it (InvalidCursorName on
PostgreSQL). For the same reason the scope holds values, never ORM objects.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import aliased

from community.audit import Action
from community.audit_labels import (
    action_label,
    changes_text,
    origin_label,
    role_label,
    target_label,
)
from community.audit_models import AuditEntry
from community.csv_export import csv_chunks
from community.errors import CommunityError, NotPermitted
from community.models import Community, Role, User
from community.reach import street_condition, street_id_of, street_member_ids_named
from extensions import db
from form_limits import PERIOD, local_today
from input_guard import MAX_ID
from storage import read_only

# The communities keep Shanghai time; a day in a filter is a Shanghai day, as the page shows.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 20
CSV_BATCH = 500
MAX_NAME = 60


class InvalidAuditFilter(CommunityError):
    """A filter of the audit log that cannot be read (bad dates, unknown action or person).

    ``field`` names the filter at fault (as AuditFilter names it), so a form can mark it.
    """

    http_status = 400

    def __init__(self, message, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# what each filter is called on the page, for messages that name it
FILTER_NAMES = {
    "start": _l("From"),
    "end": _l("To"),
    "actor": _l("Who did it"),
    "subject": _l("For whom"),
}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the street admin asks for; every part optional.

    ``actor`` and ``subject`` name a member of the street: a phone number, a username,
    a member number (#12) or a display name (every member of that name).
    """

    start: date | None = None
    end: date | None = None
    action: str | None = None
    actor: str = ""
    subject: str = ""
    community_id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditScope:
    """A checked filter as SQL over audit_entries: the street, then what was asked."""

    conditions: tuple[ColumnElement[bool], ...]
    street_id: int


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One entry with the names it refers to (None: the system, or nobody)."""

    id: int
    created_at: datetime
    action: str
    actor_id: int | None
    actor_name: str | None
    actor_role: str | None
    subject_id: int | None
    subject_name: str | None
    community_name: str | None
    target: str
    before: str
    after: str
    origin: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of entries, and the entry id the next (older) page starts after, if any."""

    rows: list[AuditRow]
    older_than: int | None


# --- the scope ---------------------------------------------------------------------------


def may_read_audit(actor: User) -> bool:
    """Street admins read their street's audit log; nobody else reads any of it."""
    return actor.role == Role.STREET_ADMIN


def _refuse_unless_admin(actor: User) -> None:
    if not may_read_audit(actor):
        raise NotPermitted(_l("Only the street admin reads the audit log."))


def street_community_choices(actor: User) -> list[tuple[int, str]]:
    """The communities of the street admin's street, as (id, name), by name.

    Raises NotPermitted for anyone but a street admin.
    """
    _refuse_unless_admin(actor)
    rows = db.session.execute(
        select(Community.id, Community.name)
        .where(Community.street_id == street_id_of(actor))
        .order_by(Community.name)
    )
    return [(community_id, name) for community_id, name in rows]


def local_day_start_utc(day: date) -> datetime:
    """Midnight at the start of Shanghai ``day``, as naive UTC (how created_at is stored)."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)


def _check_day(day: date | None, today: date, field: str) -> None:
    refusal = None if day is None else PERIOD.refusal(day, today)
    if refusal is not None:
        raise InvalidAuditFilter(refusal, field)


def _check_text(text: str, field: str) -> str:
    text = text.strip()
    which = str(FILTER_NAMES[field])
    if len(text) > MAX_NAME:
        raise InvalidAuditFilter(
            _l("“%(which)s” can be at most %(n)s characters.", which=which, n=MAX_NAME), field
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise InvalidAuditFilter(
            _l(
                "“%(which)s” holds characters that cannot be typed; please type it again.",
                which=which,
            ),
            field,
        )
    return text


def _named(actor: User, text: str, column, field: str) -> ColumnElement[bool] | None:
    """SQL: ``column`` is one of the street's members named ``text``; None for no text."""
    text = _check_text(text, field)
    if not text:
        return None
    ids = street_member_ids_named(actor, text)
    if not ids:
        raise InvalidAuditFilter(
            _l("Nobody of your street is found for “%(who)s”.", who=text), field
        )
    return column.in_(ids)


def audit_scope(actor: User, wanted: AuditFilter, *, today: date | None = None) -> AuditScope:
    """The entries of ``actor``'s street that match ``wanted``, as a scope to read pages from.

    Raises NotPermitted (anyone but a street admin) and InvalidAuditFilter (a date outside
    1900 to ten years ahead or in the wrong order, an unknown action, a community of
    another street, a name nobody of the street has, text that cannot be typed).
    """
    _refuse_unless_admin(actor)
    today = today or local_today()
    _check_day(wanted.start, today, "start")
    _check_day(wanted.end, today, "end")
    if wanted.start and wanted.end and wanted.end < wanted.start:
        raise InvalidAuditFilter(_l("The “to” date must not be before the “from” date."), "end")
    conditions = [street_condition(actor, AuditEntry.street_id)]
    if wanted.start:
        conditions.append(AuditEntry.created_at >= local_day_start_utc(wanted.start))
    if wanted.end:
        next_day = local_day_start_utc(wanted.end + timedelta(days=1))
        conditions.append(AuditEntry.created_at < next_day)
    if wanted.action:
        if wanted.action not in tuple(Action):
            raise InvalidAuditFilter(_l("Choose what was done from the list."), "action")
        conditions.append(AuditEntry.action == wanted.action)
    if wanted.community_id is not None:
        street_ids = {community_id for community_id, _name in street_community_choices(actor)}
        if wanted.community_id not in street_ids:
            raise InvalidAuditFilter(
                _l("Choose a community of your street from the list."), "community_id"
            )
        conditions.append(AuditEntry.community_id == wanted.community_id)
    for text, column, field in (
        (wanted.actor, AuditEntry.actor_id, "actor"),
        (wanted.subject, AuditEntry.subject_id, "subject"),
    ):
        condition = _named(actor, text, column, field)
        if condition is not None:
            conditions.append(condition)
    return AuditScope(tuple(conditions), street_id_of(actor))


# --- reading -----------------------------------------------------------------------------


def _rows_query(scope: AuditScope):
    acted, served = aliased(User), aliased(User)
    return (
        select(
            AuditEntry.id,
            AuditEntry.created_at,
            AuditEntry.action,
            AuditEntry.actor_id,
            acted.display_name,
            acted.role,
            AuditEntry.subject_id,
            served.display_name,
            Community.name,
            AuditEntry.target,
            AuditEntry.before,
            AuditEntry.after,
            AuditEntry.origin,
        )
        .outerjoin(acted, acted.id == AuditEntry.actor_id)
        .outerjoin(served, served.id == AuditEntry.subject_id)
        .outerjoin(Community, Community.id == AuditEntry.community_id)
        .where(*scope.conditions)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )


def _older_than(created_at: datetime, entry_id: int) -> ColumnElement[bool]:
    """SQL: the entry comes after (created_at, id) newest first."""
    return or_(
        AuditEntry.created_at < created_at,
        and_(AuditEntry.created_at == created_at, AuditEntry.id < entry_id),
    )


def _batch(scope: AuditScope, after: tuple[datetime, int] | None, size: int) -> list[AuditRow]:
    query = _rows_query(scope)
    if after is not None:
        query = query.where(_older_than(*after))
    return [AuditRow(*row) for row in db.session.execute(query.limit(size))]


def audit_page(
    scope: AuditScope, *, older_than: int | None = None, size: int = PAGE_SIZE
) -> AuditPage:
    """The ``size`` newest entries of ``scope`` (after entry ``older_than``, newest first).

    Raises InvalidAuditFilter when ``older_than`` is not an entry of the scope's street.
    """
    after = None
    if older_than is not None:
        if not 1 <= older_than <= MAX_ID:
            raise InvalidAuditFilter(_l("That page of the log does not exist."), "older_than")
        created_at = db.session.scalar(
            select(AuditEntry.created_at).where(
                AuditEntry.id == older_than, AuditEntry.street_id == scope.street_id
            )
        )
        if created_at is None:
            raise InvalidAuditFilter(_l("That page of the log does not exist."), "older_than")
        after = (created_at, older_than)
    rows = _batch(scope, after, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return AuditPage(rows, rows[-1].id if more else None)


def iter_audit_rows(scope: AuditScope, *, batch: int | None = None) -> Iterator[AuditRow]:
    """Every entry of ``scope``, newest first, read ``batch`` at a time when asked for.

    Each batch is a query of its own (see the module's docstring), read-only on SQLite
    so a long download never keeps writers waiting.
    """
    batch = batch or CSV_BATCH
    after = None
    while True:
        with read_only():
            rows = _batch(scope, after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].created_at, rows[-1].id)


# --- the CSV -----------------------------------------------------------------------------


def _csv_header() -> list[str]:
    return [
        _("Entry number"),
        _("When"),
        _("What was done"),
        _("Who did it"),
        _("Who did it: member number"),
        _("For whom"),
        _("For whom: member number"),
        _("Community"),
        _("What it was about"),
        _("Before"),
        _("After"),
        _("From where"),
    ]


def _csv_row(row: AuditRow) -> list:
    before, after = changes_text(row.before, row.after, row.target)
    who = row.actor_name if row.actor_id is not None else _("The system")
    if row.actor_role:
        who = _("%(name)s (%(role)s)", name=who, role=role_label(row.actor_role))
    return [
        row.id,
        format_datetime(row.created_at, "yyyy-MM-dd HH:mm:ss"),
        action_label(row.action),
        who,
        row.actor_id if row.actor_id is not None else "",
        row.subject_name or "",
        row.subject_id if row.subject_id is not None else "",
        row.community_name or "",
        target_label(row.target),
        before,
        after,
        origin_label(row.origin),
    ]


def audit_csv(scope: AuditScope) -> Iterator[str]:
    """The scope's entries as CSV text chunks (BOM, translated header, formula-safe cells).

    Lazy: nothing is read until the first chunk is asked for.
    """
    return csv_chunks(_csv_header(), (_csv_row(row) for row in iter_audit_rows(scope)))
