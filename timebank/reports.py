"""Reports for funders (CSV exports of visits, transfers and members) and the
volunteer service certificate (志愿服务证明).

Exports cover the actor's figure scope (a coordinator's community, a street
admin's street); a visit belongs to the community of the person served, a
transfer to the community of either account. Text cells are escaped against
spreadsheet formulas (community.csv_export); hours are numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import format_datetime, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from community.audit_labels import CONFIRMATION_METHOD_LABELS
from community.csv_export import csv_chunks
from community.models import Community, Role, User
from community.reach import coordinates
from extensions import db
from timebank.categories import CATEGORIES, category_label
from timebank.errors import NotAllowed, TimebankError, UnknownMember
from timebank.figures import BAND_LABELS, age_band, figures_scope
from timebank.formatting import record_status_label, transfer_kind_label
from timebank.models import Account, AccountKind, RecordStatus, ServiceRecord, Transfer
from timebank.statements import hours_value, local_day_start_utc

CSV_BATCH = 500
# the reports for funders, by code, in the order the form offers them
REPORT_LABELS = {
    "visits": _l("Visits"),
    "transfers": _l("Transfers"),
    "members": _l("Members and balances (as of today)"),
}
REPORTS = tuple(REPORT_LABELS)


class InvalidReportPeriod(TimebankError):
    """The period's dates are missing or in the wrong order."""


class ReportTooLarge(TimebankError):
    """More rows than one request streams: the report is written to a file by the worker."""

    http_status = 413

    def __init__(self, rows: int) -> None:
        super().__init__(
            _l(
                "This report has %(rows)s rows, too many to download at once.",
                rows=format_number(rows),
            )
        )
        self.rows = rows


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Local days ``start``..``end``, both included."""

    start: date
    end: date

    def check(self) -> None:
        """Raise InvalidReportPeriod when ``end`` is before ``start``."""
        if self.end < self.start:
            raise InvalidReportPeriod(_l("The “to” date must not be before the “from” date."))


def _by_label(by: str | None, for_whom: str | None) -> str:
    if by and for_whom:
        return _("%(by)s on behalf of %(member)s", by=by, member=for_whom)
    return by or ""


def decision_method(
    status: str, method: str | None, decided_by_role: str | None, on_behalf: bool
) -> str:
    """How a visit was answered: the recorded confirmation method, else worked out
    from who answered (a rejection or dispute records no method)."""
    if status == RecordStatus.PENDING or decided_by_role is None:
        return ""
    if method:
        return str(CONFIRMATION_METHOD_LABELS.get(method, method))
    if not on_behalf:
        return str(CONFIRMATION_METHOD_LABELS["online"])
    if decided_by_role in (Role.COORDINATOR, Role.STREET_ADMIN):
        return str(CONFIRMATION_METHOD_LABELS["coordinator"])
    return str(CONFIRMATION_METHOD_LABELS["family"])


def _visits_in(query, recipient, community_ids: list[int], period: ReportPeriod):
    """``query`` narrowed to the visits of the period to people of ``community_ids``."""
    return query.join(recipient, recipient.id == ServiceRecord.recipient_id).where(
        recipient.community_id.in_(community_ids),
        ServiceRecord.service_date >= period.start,
        ServiceRecord.service_date <= period.end,
    )


def _visit_rows(community_ids: list[int], period: ReportPeriod) -> Iterator[list]:
    volunteer, recipient = aliased(User), aliased(User)
    entered, entered_for = aliased(User), aliased(User)
    decider = aliased(User)
    columns = select(
        ServiceRecord.id,
        ServiceRecord.service_date,
        ServiceRecord.category,
        ServiceRecord.minutes,
        ServiceRecord.status,
        volunteer.display_name,
        recipient.display_name,
        Community.name,
        entered.display_name,
        entered_for.display_name,
        decider.display_name,
        decider.role,
        ServiceRecord.decided_on_behalf_of_id,
        ServiceRecord.confirmation_method,
    ).select_from(ServiceRecord)
    query = (
        _visits_in(columns, recipient, community_ids, period)
        .join(volunteer, volunteer.id == ServiceRecord.volunteer_id)
        .join(Community, Community.id == recipient.community_id)
        .join(entered, entered.id == ServiceRecord.entered_by_id)
        .outerjoin(entered_for, entered_for.id == ServiceRecord.on_behalf_of_id)
        .outerjoin(decider, decider.id == ServiceRecord.decided_by_id)
        .order_by(ServiceRecord.service_date, ServiceRecord.id)
        .execution_options(yield_per=CSV_BATCH)
    )
    for row in db.session.execute(query):
        (rid, day, category, minutes, status, vol, rec, place, by, for_whom) = row[:10]
        decided_by, decided_role, decided_for, method = row[10:]
        yield [
            rid,
            day.isoformat(),
            category_label(category),
            minutes,
            hours_value(minutes),
            record_status_label(status),
            vol,
            rec,
            place,
            _by_label(by, for_whom),
            decided_by or "",
            decision_method(status, method, decided_role, decided_for is not None),
        ]


def _visit_header() -> list[str]:
    return [
        _("Visit number"),
        _("Date"),
        _("Kind of service"),
        _("Minutes"),
        _("Hours"),
        _("Status"),
        _("Volunteer"),
        _("Person served"),
        _("Community"),
        _("Entered by"),
        _("Decided by"),
        _("How it was decided"),
    ]


def _account_label(kind: str, holder: str | None, community: str) -> str:
    if holder is not None:
        return holder
    if kind == AccountKind.FUND:
        return _("%(community)s fund", community=community)
    return _("%(community)s guarantee account", community=community)


def _transfers_in(query, source, target, community_ids: list[int], period: ReportPeriod):
    """``query`` narrowed to the period's transfers with either side in ``community_ids``."""
    return (
        query.join(source, source.id == Transfer.from_account_id)
        .join(target, target.id == Transfer.to_account_id)
        .where(
            or_(source.community_id.in_(community_ids), target.community_id.in_(community_ids)),
            Transfer.created_at >= local_day_start_utc(period.start),
            Transfer.created_at < local_day_start_utc(period.end + timedelta(days=1)),
        )
    )


def _transfer_rows(community_ids: list[int], period: ReportPeriod) -> Iterator[list]:
    source, target = aliased(Account), aliased(Account)
    source_user, target_user = aliased(User), aliased(User)
    source_place, target_place = aliased(Community), aliased(Community)
    entered, entered_for = aliased(User), aliased(User)
    columns = select(
        Transfer.id,
        Transfer.created_at,
        Transfer.kind,
        source.kind,
        source_user.display_name,
        source_place.name,
        target.kind,
        target_user.display_name,
        target_place.name,
        Transfer.amount_minutes,
        Transfer.memo,
        entered.display_name,
        entered_for.display_name,
        Transfer.reverses_id,
    ).select_from(Transfer)
    query = (
        _transfers_in(columns, source, target, community_ids, period)
        .join(source_place, source_place.id == source.community_id)
        .join(target_place, target_place.id == target.community_id)
        .outerjoin(source_user, source_user.id == source.user_id)
        .outerjoin(target_user, target_user.id == target.user_id)
        .outerjoin(entered, entered.id == Transfer.entered_by_id)
        .outerjoin(entered_for, entered_for.id == Transfer.on_behalf_of_id)
        .order_by(Transfer.id)
        .execution_options(yield_per=CSV_BATCH)
    )
    for row in db.session.execute(query):
        tid, created_at, kind, s_kind, s_user, s_place, t_kind, t_user, t_place = row[:9]
        minutes, memo, by, for_whom, reverses = row[9:]
        yield [
            tid,
            format_datetime(created_at, "yyyy-MM-dd HH:mm"),
            transfer_kind_label(kind),
            _account_label(s_kind, s_user, s_place),
            _account_label(t_kind, t_user, t_place),
            minutes,
            hours_value(minutes),
            category_label(memo) if kind == "service" else memo,
            by or "",
            for_whom or "",
            reverses or "",
        ]


def _transfer_header() -> list[str]:
    return [
        _("Entry number"),
        _("Date and time"),
        _("Kind"),
        _("From"),
        _("To"),
        _("Minutes"),
        _("Hours"),
        _("Memo"),
        _("Entered by"),
        _("On behalf of"),
        _("Reverses entry"),
    ]


def _members_in(query, community_ids: list[int]):
    """``query`` narrowed to the active members (with their account) of ``community_ids``."""
    return query.join(Account, Account.user_id == User.id).where(
        User.community_id.in_(community_ids),
        User.role == Role.MEMBER,
        User.is_active_member.is_(True),
    )


def _member_rows(community_ids: list[int], as_of: date) -> Iterator[list]:
    band = age_band(User.birth_date, as_of)
    columns = select(
        User.id,
        User.display_name,
        band,
        Community.name,
        User.is_volunteer,
        User.is_priority,
        Account.balance_minutes,
    ).select_from(User)
    query = (
        _members_in(columns, community_ids)
        .join(Community, Community.id == User.community_id)
        .order_by(Community.name, User.display_name, User.id)
        .execution_options(yield_per=CSV_BATCH)
    )
    yes, no = _("Yes"), _("No")
    for uid, name, code, place, volunteer, priority, balance in db.session.execute(query):
        yield [
            uid,
            name,
            str(BAND_LABELS[code]),
            place,
            yes if volunteer else no,
            yes if priority else no,
            balance,
            hours_value(balance),
        ]


def _member_header() -> list[str]:
    return [
        _("Member number"),
        _("Name"),
        _("Age band"),
        _("Community"),
        _("Volunteer"),
        _("Priority elder"),
        _("Balance (minutes)"),
        _("Balance (hours)"),
    ]


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A report's header and its rows, read as they are iterated."""

    header: list[str]
    rows: Iterator[list]


def report_size(report: str, community_ids: list[int], period: ReportPeriod) -> int:
    """How many rows ``report`` has for ``community_ids`` and ``period`` (one count query)."""
    if report == "visits":
        query = _visits_in(
            select(func.count()).select_from(ServiceRecord), aliased(User), community_ids, period
        )
    elif report == "transfers":
        query = _transfers_in(
            select(func.count()).select_from(Transfer),
            aliased(Account),
            aliased(Account),
            community_ids,
            period,
        )
    else:
        query = _members_in(select(func.count()).select_from(User), community_ids)
    return int(db.session.scalar(query) or 0)


def report_table(
    report: str, community_ids: list[int], period: ReportPeriod, as_of: date
) -> ReportTable:
    """The header and rows of ``report`` ("visits", "transfers" or "members").

    Members are listed as of ``as_of`` whatever the period. Raises ValueError for
    an unknown report.
    """
    if report == "visits":
        return ReportTable(_visit_header(), _visit_rows(community_ids, period))
    if report == "transfers":
        return ReportTable(_transfer_header(), _transfer_rows(community_ids, period))
    if report == "members":
        return ReportTable(_member_header(), _member_rows(community_ids, as_of))
    raise ValueError(report)


def export_report(report: str, *, by: User, period: ReportPeriod, today: date) -> Iterator[str]:
    """The ``report`` ("visits", "transfers" or "members") for ``by``'s scope as CSV chunks.

    Members are listed as of ``today`` whatever the period. Checks happen now,
    before the first chunk: raises NotAllowed, InvalidReportPeriod,
    ReportTooLarge (more rows than one request may stream: the worker writes it,
    report_exports.request_export), and ValueError for an unknown report.
    """
    if report not in REPORTS:
        raise ValueError(report)
    ids = figures_scope(by).ids
    period.check()
    rows = report_size(report, ids, period)
    if rows > current_app.config["EXPORT_STREAM_MAX_ROWS"]:
        raise ReportTooLarge(rows)
    table = report_table(report, ids, period, today)
    return csv_chunks(table.header, table.rows)


# --- The volunteer service certificate ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Certificate:
    """Confirmed service a volunteer gave in a period, by category."""

    volunteer: User
    community: Community
    period: ReportPeriod
    issued_on: date
    minutes_by_category: list[tuple[str, int]]  # (category code, minutes), in list order

    @property
    def total_minutes(self) -> int:
        return sum(minutes for _code, minutes in self.minutes_by_category)

    @property
    def number(self) -> str:
        """Stable for one volunteer and period: community, member and the two dates."""
        return (
            f"LL-{self.community.id:03d}-{self.volunteer.id:06d}-"
            f"{self.period.start:%Y%m%d}-{self.period.end:%Y%m%d}"
        )


def certificate_for(
    volunteer_id: int, *, by: User, period: ReportPeriod, today: date
) -> Certificate:
    """The service certificate of member ``volunteer_id`` for ``period``, issued ``today``.

    Only the volunteer and their community's coordinators (or street admin) may
    have it. Raises UnknownMember, NotAllowed, InvalidReportPeriod.
    """
    volunteer = db.session.get(User, volunteer_id)
    if volunteer is None:
        raise UnknownMember(f"#{volunteer_id}")
    if by.id != volunteer.id and not coordinates(by, volunteer):
        raise NotAllowed(_l("Only the volunteer and their coordinators may see this certificate."))
    period.check()
    query = (
        select(ServiceRecord.category, func.sum(ServiceRecord.minutes))
        .where(
            ServiceRecord.volunteer_id == volunteer.id,
            ServiceRecord.status == RecordStatus.CONFIRMED,
            ServiceRecord.service_date >= period.start,
            ServiceRecord.service_date <= period.end,
        )
        .group_by(ServiceRecord.category)
    )
    totals = {code: int(minutes) for code, minutes in db.session.execute(query)}
    order = [c.code for c in CATEGORIES] + sorted(set(totals) - {c.code for c in CATEGORIES})
    return Certificate(
        volunteer=volunteer,
        community=volunteer.community,
        period=period,
        issued_on=today,
        minutes_by_category=[(code, totals[code]) for code in order if code in totals],
    )
