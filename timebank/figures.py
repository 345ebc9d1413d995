"""The coordinator's figures: hours per month, active volunteers, elders served,
the share of members aged 65+, and the ledger's liability by age band.

A visit counts for the community of the person served (as on the desk). Hours
per month, active volunteers, the elder share and the liability are read from
the summary rows the ledger and the visits keep (timebank/summaries.py), so
their cost does not grow with the ledger's history. Elders served over the months
shown sums the people counted by the month they were last served
(timebank/served.py); another period reads the people served per month (and the
visits of a month the period covers only in part). Ages compare
birth dates with cut-off dates ("65 or older on ``as_of``" is "born on or
before ``as_of`` 65 years earlier").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, select, union, union_all
from sqlalchemy.orm import aliased

from community.models import ELDER_AGE, Community, Role, User
from community.reach import coordinated_community_ids, street_id_of
from extensions import db
from timebank.accounts import IS_POOL
from timebank.errors import NotAllowed
from timebank.models import Account, AccountKind, RecordStatus, ServiceRecord
from timebank.summary_models import (
    UNKNOWN_YEAR,
    MemberDay,
    MemberYear,
    RecipientMonth,
    ServedDay,
    ServedYear,
    StreetVolunteerDay,
    VisitMonth,
    VolunteerActivity,
    VolunteerDay,
)

ACTIVE_DAYS = 90
MONTHS_SHOWN = 12
UNKNOWN_BAND = "unknown"
# (code, label, youngest age in the band); the bands are read oldest first in SQL.
AGE_BANDS: tuple[tuple[str, object, int], ...] = (
    ("under_40", _l("Under 40"), 0),
    ("40_54", _l("40–54"), 40),
    ("55_64", _l("55–64"), 55),
    ("65_74", _l("65–74"), 65),
    ("75_plus", _l("75 and over"), 75),
)
BAND_LABELS = {code: label for code, label, _ in AGE_BANDS} | {
    UNKNOWN_BAND: _l("Birth date unknown")
}


@dataclass(frozen=True, slots=True)
class FigureScope:
    """The communities an actor's figures and reports cover, ordered by name."""

    communities: tuple[Community, ...]
    street_wide: bool

    @property
    def ids(self) -> list[int]:
        return [c.id for c in self.communities]


def figures_scope(by: User) -> FigureScope:
    """A coordinator's community, or every community of a street admin's street.

    Raises NotAllowed for anyone else.
    """
    communities = coordinated_community_ids(by)
    if communities is None:
        raise NotAllowed(_l("Only coordinators and street admins see figures and reports."))
    if by.role == Role.COORDINATOR:
        return FigureScope((by.community,), street_wide=False)
    scope = db.session.scalars(
        select(Community)
        .where(Community.id.in_(communities))
        .order_by(Community.name, Community.id)
    )
    return FigureScope(tuple(scope), street_wide=True)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_at_least(birth_date, age: int, as_of: date):
    """SQL: the person born on ``birth_date`` is ``age`` or older on ``as_of``."""
    return birth_date <= years_before(as_of, age)


def age_band(birth_date, as_of: date):
    """SQL: the AGE_BANDS code of a birth date on ``as_of`` (UNKNOWN_BAND when missing)."""
    whens = [(birth_date.is_(None), UNKNOWN_BAND)]
    for code, _label, youngest in reversed(AGE_BANDS[1:]):
        whens.append((age_at_least(birth_date, youngest, as_of), code))
    return case(*whens, else_=AGE_BANDS[0][0])


def first_of_month(day: date, months_back: int = 0) -> date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _confirmed_visits_in(community_ids: list[int], start: date, end: date):
    """SQL conditions: confirmed visits to the scope's members, served ``start``..``end``."""
    return and_(
        ServiceRecord.status == RecordStatus.CONFIRMED,
        ServiceRecord.service_date >= start,
        ServiceRecord.service_date <= end,
        User.community_id.in_(community_ids),
    )


def _recipients():
    return select().select_from(ServiceRecord).join(User, User.id == ServiceRecord.recipient_id)


# --- Hours per month by category ------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthlyHours:
    """Confirmed minutes per (month, category), the months oldest first."""

    months: list[date]
    minutes: dict[tuple[date, str], int]

    @property
    def categories(self) -> list[str]:
        """Categories with any minutes, most minutes first (then by code)."""
        totals: dict[str, int] = defaultdict(int)
        for (_month, category), minutes in self.minutes.items():
            totals[category] += minutes
        return sorted(totals, key=lambda c: (-totals[c], c))

    def month_total(self, month: date) -> int:
        return sum(m for (mo, _c), m in self.minutes.items() if mo == month)

    def category_total(self, category: str) -> int:
        return sum(m for (_mo, c), m in self.minutes.items() if c == category)

    @property
    def total(self) -> int:
        return sum(self.minutes.values())


def _last_of_month(day: date) -> date:
    return first_of_month(day, -1) - timedelta(days=1)


def _visits_after(community_ids: list[int], today: date):
    """SQL conditions: confirmed visits served after ``today`` in ``today``'s month.

    The month's summary row counts them; figures read for a past day take them
    off. For today's figures there are none (a visit cannot be in the future),
    and the service-date index finds that at once.
    """
    return _confirmed_visits_in(community_ids, today + timedelta(days=1), _last_of_month(today))


def _any_visit_between(start: date, end: date) -> bool:
    """Whether any visit at all is dated ``start``..``end`` (the service-date index alone:
    asked first, so the usual answer, none, costs one index probe)."""
    found = db.session.scalar(
        select(ServiceRecord.id)
        .where(ServiceRecord.service_date >= start, ServiceRecord.service_date <= end)
        .limit(1)
    )
    return found is not None


def hours_by_month(
    community_ids: list[int], *, today: date, months: int = MONTHS_SHOWN
) -> MonthlyHours:
    """Confirmed minutes served in the scope, per month and category, for the last
    ``months`` months up to ``today`` (this month included), from the month summaries."""
    shown = [first_of_month(today, back) for back in range(months - 1, -1, -1)]
    query = (
        select(VisitMonth.month, VisitMonth.category, func.sum(VisitMonth.minutes))
        .where(
            VisitMonth.community_id.in_(community_ids),
            VisitMonth.month >= shown[0],
            VisitMonth.month <= shown[-1],
        )
        .group_by(VisitMonth.month, VisitMonth.category)
    )
    minutes: dict[tuple[date, str], int] = defaultdict(int)
    for month, category, total in db.session.execute(query):
        minutes[(month, category)] += int(total)
    later = (
        _recipients()
        .add_columns(ServiceRecord.category, func.sum(ServiceRecord.minutes))
        .where(_visits_after(community_ids, today))
        .group_by(ServiceRecord.category)
    )
    if _any_visit_between(today + timedelta(days=1), _last_of_month(today)):
        for category, total in db.session.execute(later):
            minutes[(shown[-1], category)] -= int(total)
    return MonthlyHours(shown, {key: m for key, m in minutes.items() if m})


# --- People counts ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Count:
    """A figure per community and for the whole scope (distinct people are counted once)."""

    by_community: dict[int, int]
    total: int

    def of(self, community_id: int) -> int:
        return self.by_community.get(community_id, 0)


def _distinct_people(column, conditions) -> Count:
    """How many distinct ``column`` values meet ``conditions``, per community and in all."""
    per_community = (
        _recipients()
        .add_columns(User.community_id, func.count(func.distinct(column)))
        .where(conditions)
        .group_by(User.community_id)
    )
    overall = _recipients().add_columns(func.count(func.distinct(column))).where(conditions)
    return Count(
        by_community={cid: int(n) for cid, n in db.session.execute(per_community)},
        total=db.session.scalar(overall) or 0,
    )


def active_volunteers(
    community_ids: list[int],
    *,
    today: date,
    days: int = ACTIVE_DAYS,
    street_id: int | None = None,
) -> Count:
    """Volunteers with a confirmed visit in the scope served in the ``days`` days up to ``today``.

    Read from how many volunteers last served on each day, per community (a few dozen
    rows each, however many volunteers). The total counts a volunteer serving two of
    the communities once: from the street's day rows when the scope is every community
    of ``street_id``, else by a distinct count over the volunteers' last days. Read for a
    past day, a volunteer who served again since needs the visits themselves.
    """
    start = today - timedelta(days=days - 1)
    scope = VolunteerDay.community_id.in_(community_ids)
    served_since = db.session.scalar(
        select(VolunteerDay.day)
        .where(scope, VolunteerDay.day > today, VolunteerDay.volunteers > 0)
        .limit(1)
    )
    if served_since is not None:
        conditions = _confirmed_visits_in(community_ids, start, today)
        return _distinct_people(ServiceRecord.volunteer_id, conditions)
    per_community = (
        select(VolunteerDay.community_id, func.sum(VolunteerDay.volunteers))
        .where(scope, VolunteerDay.day >= start)
        .group_by(VolunteerDay.community_id)
    )
    by_community = {cid: int(n) for cid, n in db.session.execute(per_community) if n}
    if len(community_ids) == 1:
        return Count(by_community=by_community, total=sum(by_community.values()))
    if street_id is not None:
        overall = select(func.sum(StreetVolunteerDay.volunteers)).where(
            StreetVolunteerDay.street_id == street_id, StreetVolunteerDay.day >= start
        )
    else:
        overall = select(func.count(func.distinct(VolunteerActivity.volunteer_id))).where(
            VolunteerActivity.community_id.in_(community_ids),
            VolunteerActivity.last_served >= start,
        )
    return Count(by_community=by_community, total=int(db.session.scalar(overall) or 0))


def elders_served(community_ids: list[int], *, start: date, end: date, as_of: date) -> Count:
    """Distinct people aged 65+ on ``as_of`` with a confirmed visit served ``start``..``end``.

    From the first of a month to a day after which no one was served (the page's
    default, up to today), these are the people last served since that month: a
    few sums over the people-served rows, by birth year, and by birth date on the
    smaller side of the 65th birthday in the one year it falls in on ``as_of``. Other
    periods read the people served per month (_served_in_months).
    """
    if start.day != 1 or _served_after(end):
        return _served_in_months(community_ids, start=start, end=end, as_of=as_of)
    # Born before the edge year: 65 or older on as_of; in it, up to the edge day. The
    # edge year's people are read by birth date on the smaller side of the edge day.
    edge = _edge_year(as_of, ELDER_AGE)
    last_full_year = edge.year if edge.counted_older else edge.year - 1
    by_year = select(ServedYear.community_id, func.sum(ServedYear.people)).where(
        ServedYear.community_id.in_(community_ids),
        ServedYear.last_month >= start,
        ServedYear.birth_year.between(UNKNOWN_YEAR + 1, last_full_year),
    )
    by_day = select(ServedDay.community_id, func.sum(ServedDay.people)).where(
        ServedDay.community_id.in_(community_ids),
        ServedDay.last_month >= start,
        ServedDay.birth_date.between(*edge.moved_days),
    )
    sign = -1 if edge.counted_older else 1  # the moved days are younger than 65, or not
    counts: dict[int, int] = defaultdict(int)
    for query, community, factor in (
        (by_year, ServedYear.community_id, 1),
        (by_day, ServedDay.community_id, sign),
    ):
        for cid, people in db.session.execute(query.group_by(community)):
            counts[cid] += factor * int(people)
    # each person is counted in one community (their own), so the total is the sum
    by_community = {cid: n for cid, n in counts.items() if n}
    return Count(by_community=by_community, total=sum(by_community.values()))


def _served_after(day: date) -> bool:
    """Whether anyone at all was served on a confirmed visit after ``day`` (one index probe)."""
    found = db.session.scalar(
        select(ServiceRecord.id)
        .where(ServiceRecord.status == RecordStatus.CONFIRMED, ServiceRecord.service_date > day)
        .limit(1)
    )
    return found is not None


def _served_in_months(community_ids: list[int], *, start: date, end: date, as_of: date) -> Count:
    """elders_served for any period: whole months from the people served per month, a
    month the period only partly covers from its visits, unless no visit at all falls
    in the part left out."""
    months: list[date] = []
    edges: list[tuple[date, date]] = []
    month = start.replace(day=1)
    while month <= end:
        last = _last_of_month(month)
        part = (max(start, month), min(end, last))
        left_out = [(month, part[0] - timedelta(days=1)), (part[1] + timedelta(days=1), last)]
        if any(a <= b and _any_visit_between(a, b) for a, b in left_out):
            edges.append(part)
        else:
            months.append(month)
        month = last + timedelta(days=1)
    served = [
        select(RecipientMonth.community_id, RecipientMonth.recipient_id).where(
            RecipientMonth.community_id.in_(community_ids), RecipientMonth.month.in_(months)
        )
    ]
    served += [
        _recipients()
        .add_columns(User.community_id, ServiceRecord.recipient_id)
        .where(_confirmed_visits_in(community_ids, a, b))
        for a, b in edges
    ]
    people = union(*served).subquery() if len(served) > 1 else served[0].subquery()
    elder = aliased(User)
    counted = (
        select()
        .select_from(people)
        .join(elder, elder.id == people.c.recipient_id)
        .where(age_at_least(elder.birth_date, ELDER_AGE, as_of))
    )
    per_community = counted.add_columns(
        people.c.community_id, func.count(func.distinct(people.c.recipient_id))
    ).group_by(people.c.community_id)
    overall = counted.add_columns(func.count(func.distinct(people.c.recipient_id)))
    return Count(
        by_community={cid: int(n) for cid, n in db.session.execute(per_community)},
        total=db.session.scalar(overall) or 0,
    )


@dataclass(frozen=True, slots=True)
class ElderShare:
    """Active resident members (not staff), how many are 65+, and how many lack a birth date."""

    members: int
    elders: int
    unknown_age: int

    @property
    def percent(self) -> int | None:
        """Whole percent of members aged 65+ (rounded half up), None with no members."""
        if not self.members:
            return None
        return (200 * self.elders + self.members) // (2 * self.members)


@dataclass(frozen=True, slots=True)
class _MemberRow:
    """A community's members in one age band, 65+ or not: their balances, accounts, residents."""

    community_id: int
    band: str
    elder: bool
    balance: int
    accounts: int
    residents: int


def _band_at(age: int) -> str:
    """The AGE_BANDS code of someone ``age`` years old."""
    code = AGE_BANDS[0][0]
    for band, _label, youngest in AGE_BANDS:
        if age >= youngest:
            code = band
    return code


@dataclass(frozen=True, slots=True)
class _EdgeYear:
    """A birth year that a band's edge (or 65) falls in on the day read: those born up to
    ``edge_day`` are ``age`` years old, those born after it ``age - 1``. Its year row is
    counted with the larger part (the older one when ``counted_older``); the day rows
    of the smaller part are then moved across, so at most half a year of them is read."""

    year: int
    age: int
    edge_day: date
    counted_older: bool

    @property
    def moved_days(self) -> tuple[date, date]:
        if self.counted_older:
            return self.edge_day + timedelta(days=1), date(self.year, 12, 31)
        return date(self.year, 1, 1), self.edge_day


def _edge_year(as_of: date, age: int) -> _EdgeYear:
    """The birth year in which people turn ``age`` around ``as_of``."""
    edge_day = years_before(as_of, age)
    older_part = (edge_day - date(edge_day.year, 1, 1)).days + 1
    return _EdgeYear(as_of.year - age, age, edge_day, counted_older=2 * older_part > 365)


def _edge_years(as_of: date) -> list[_EdgeYear]:
    """The edge years of every age band, and of 65."""
    ages = {youngest for _c, _l, youngest in AGE_BANDS[1:]} | {ELDER_AGE}
    return [_edge_year(as_of, age) for age in sorted(ages)]


def _year_columns(year, as_of: date, edges: list[_EdgeYear]) -> tuple:
    """SQL: the band and 65+ flag (1/0) of a birth year on ``as_of``: any day of the year
    stands for it, except that an edge year counts as the part its row is counted with."""
    older = {edge.year: edge.age for edge in edges if edge.counted_older}
    band = [(year == UNKNOWN_YEAR, UNKNOWN_BAND)]
    band += [(year == y, _band_at(age)) for y, age in older.items()]
    for code, _label, youngest in reversed(AGE_BANDS[1:]):
        band.append((year < as_of.year - youngest, code))
    elder = [(year == UNKNOWN_YEAR, 0)]
    elder += [(year == y, int(age >= ELDER_AGE)) for y, age in older.items()]
    elder.append((year < as_of.year - ELDER_AGE, 1))
    return case(*band, else_=AGE_BANDS[0][0]), case(*elder, else_=0)


def _member_sums(table) -> tuple:
    return (
        func.sum(table.balance_minutes),
        func.sum(table.accounts),
        func.sum(table.residents),
    )


def _member_rows(community_ids: list[int], as_of: date) -> list[_MemberRow]:
    """The member summaries of the scope added up by community, age band and elder status
    on ``as_of``, in SQL (a few rows per community, however many people).

    A birth year lies wholly in one band on ``as_of`` unless a band's edge (or 65)
    falls inside it. Every year is read by its year row; for the few edge years, the
    birth-date rows of the smaller side of the edge are moved to their band.
    """
    edges = _edge_years(as_of)
    year = MemberYear.birth_year
    band, elder = _year_columns(year, as_of, edges)
    years = (
        select(MemberYear.community_id, band, elder, *_member_sums(MemberYear))
        .where(MemberYear.community_id.in_(community_ids))
        .group_by(MemberYear.community_id, band, elder)
    )
    moved = union_all(
        *(
            select(MemberDay.community_id, literal(edge.year), *_member_sums(MemberDay))
            .where(
                MemberDay.community_id.in_(community_ids),
                MemberDay.birth_date.between(*edge.moved_days),
            )
            .group_by(MemberDay.community_id)
            for edge in edges
        )
    )
    sums: dict[tuple[int, str, bool], list[int]] = {}

    def add(cid: int, band: str, elder: bool, balance: int, accounts: int, residents: int):
        total = sums.setdefault((cid, band, elder), [0, 0, 0])
        total[0] += int(balance)
        total[1] += int(accounts)
        total[2] += int(residents)

    for cid, band_code, is_elder, *counts in db.session.execute(years):
        add(cid, band_code, bool(is_elder), *counts)
    by_year = {edge.year: edge for edge in edges}
    for cid, edge_year, balance, accounts, residents in db.session.execute(moved):
        edge = by_year[int(edge_year)]
        counted, actual = (edge.age, edge.age - 1)[:: 1 if edge.counted_older else -1]
        add(cid, _band_at(counted), counted >= ELDER_AGE, -balance, -accounts, -residents)
        add(cid, _band_at(actual), actual >= ELDER_AGE, balance, accounts, residents)
    return [
        _MemberRow(cid, band_code, is_elder, *total)
        for (cid, band_code, is_elder), total in sums.items()
        if any(total)
    ]


def elder_share(community_ids: list[int], *, as_of: date) -> dict[int, ElderShare]:
    """Per community: active resident members, those aged 65+ on ``as_of``, and those with
    no birth date, from the member summaries."""
    return _shares(_member_rows(community_ids, as_of))


def _shares(rows: list[_MemberRow]) -> dict[int, ElderShare]:
    counts: dict[int, list[int]] = {}
    for row in rows:
        if not row.residents:
            continue
        count = counts.setdefault(row.community_id, [0, 0, 0])
        count[0] += row.residents
        count[1] += row.residents if row.elder else 0
        count[2] += row.residents if row.band == UNKNOWN_BAND else 0
    return {cid: ElderShare(*count) for cid, count in counts.items()}


def total_share(shares: dict[int, ElderShare]) -> ElderShare:
    """The scope's share, adding up each community's."""
    return ElderShare(
        members=sum(s.members for s in shares.values()),
        elders=sum(s.elders for s in shares.values()),
        unknown_age=sum(s.unknown_age for s in shares.values()),
    )


# --- Liability ----------------------------------------------------------------------


@dataclass(slots=True)
class Liability:
    """Minutes in member accounts by the holder's age band, against the community accounts.

    ``stored`` is net (a member below zero owes hours); by the ledger's first
    invariant, stored + guarantee + fund is zero unless hours crossed communities.
    """

    stored_by_band: dict[str, int] = field(default_factory=dict)
    holders_by_band: dict[str, int] = field(default_factory=dict)
    guarantee: int = 0
    fund: int = 0

    @property
    def stored(self) -> int:
        return sum(self.stored_by_band.values())

    @property
    def bands(self) -> list[str]:
        """Every age band in order, then "unknown" if anyone's birth date is missing."""
        codes = [code for code, _label, _youngest in AGE_BANDS]
        return codes + ([UNKNOWN_BAND] if self.holders_by_band.get(UNKNOWN_BAND) else [])

    def add(self, other: Liability) -> None:
        for band, minutes in other.stored_by_band.items():
            self.stored_by_band[band] = self.stored_by_band.get(band, 0) + minutes
        for band, holders in other.holders_by_band.items():
            self.holders_by_band[band] = self.holders_by_band.get(band, 0) + holders
        self.guarantee += other.guarantee
        self.fund += other.fund


def liability(community_ids: list[int], *, as_of: date) -> dict[int, Liability]:
    """Per community: member balances summed by age band on ``as_of`` (from the member
    summaries), and the guarantee and fund balances."""
    return _liabilities(community_ids, _member_rows(community_ids, as_of))


def _liabilities(community_ids: list[int], rows: list[_MemberRow]) -> dict[int, Liability]:
    result = {cid: Liability() for cid in community_ids}
    for row in rows:
        if not row.accounts:
            continue
        owed = result[row.community_id]
        owed.stored_by_band[row.band] = owed.stored_by_band.get(row.band, 0) + row.balance
        owed.holders_by_band[row.band] = owed.holders_by_band.get(row.band, 0) + row.accounts
    systems = select(Account.community_id, Account.kind, Account.balance_minutes).where(
        IS_POOL, Account.community_id.in_(community_ids)
    )
    for cid, kind, balance in db.session.execute(systems):
        if kind == AccountKind.FUND:
            result[cid].fund = balance
        else:
            result[cid].guarantee = balance
    return result


def total_liability(per_community: dict[int, Liability]) -> Liability:
    """The scope's liability, adding up each community's."""
    total = Liability()
    for part in per_community.values():
        total.add(part)
    return total


# --- Everything the figures page shows ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """All the figures for a scope, with a per-community breakdown."""

    scope: FigureScope
    today: date
    served_from: date
    served_to: date
    monthly: MonthlyHours
    active: Count
    elders: Count
    shares: dict[int, ElderShare]
    share: ElderShare
    liabilities: dict[int, Liability]
    liability: Liability
    confirmed_by_community: dict[int, int]


def _confirmed_minutes_by_community(community_ids: list[int], monthly: MonthlyHours, today: date):
    """Per community, the minutes of the months shown (from the month summaries)."""
    query = (
        select(VisitMonth.community_id, func.sum(VisitMonth.minutes))
        .where(
            VisitMonth.community_id.in_(community_ids),
            VisitMonth.month >= monthly.months[0],
            VisitMonth.month <= monthly.months[-1],
        )
        .group_by(VisitMonth.community_id)
    )
    minutes = {cid: int(total) for cid, total in db.session.execute(query)}
    later = (
        _recipients()
        .add_columns(User.community_id, func.sum(ServiceRecord.minutes))
        .where(_visits_after(community_ids, today))
        .group_by(User.community_id)
    )
    if _any_visit_between(today + timedelta(days=1), _last_of_month(today)):
        for cid, total in db.session.execute(later):
            minutes[cid] -= int(total)
    return {cid: total for cid, total in minutes.items() if total}


def figures_for(
    by: User, *, today: date, served_from: date | None = None, served_to: date | None = None
) -> Figures:
    """Every figure for ``by``'s scope; elders served counts visits ``served_from``..``served_to``
    (default: the twelve months shown). Raises NotAllowed for members."""
    scope = figures_scope(by)
    ids = scope.ids
    monthly = hours_by_month(ids, today=today)
    start = served_from or monthly.months[0]
    end = served_to or today
    members = _member_rows(ids, today)  # read once for the share and the liability
    shares = _shares(members)
    liabilities = _liabilities(ids, members)
    return Figures(
        scope=scope,
        today=today,
        served_from=start,
        served_to=end,
        monthly=monthly,
        active=active_volunteers(
            ids, today=today, street_id=street_id_of(by) if scope.street_wide else None
        ),
        elders=elders_served(ids, start=start, end=end, as_of=today),
        shares=shares,
        share=total_share(shares),
        liabilities=liabilities,
        liability=total_liability(liabilities),
        confirmed_by_community=_confirmed_minutes_by_community(ids, monthly, today),
    )
