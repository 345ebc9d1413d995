"""The coordinator's figures: hours per month, active volunteers, elders served,
the share of members aged 65+, and the ledger's liability by age band.

A visit counts for the community of the person served (as on the desk). Each
figure is one or two aggregate queries over the scope's communities, grouped by
community so a street admin also gets the per-community breakdown. Ages are
worked out in SQL by comparing birth dates with cut-off dates ("65 or older on
``as_of``" is "born on or before ``as_of`` 65 years earlier"), which reads the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, extract, func, select
from sqlalchemy.orm import aliased

from community.models import ELDER_AGE, Community, Role, User
from community.reach import coordinated_community_ids
from extensions import db
from timebank.errors import NotAllowed
from timebank.models import Account, AccountKind, RecordStatus, ServiceRecord

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


def hours_by_month(
    community_ids: list[int], *, today: date, months: int = MONTHS_SHOWN
) -> MonthlyHours:
    """Confirmed minutes served in the scope, per month and category, for the last
    ``months`` months up to ``today`` (this month included)."""
    shown = [first_of_month(today, back) for back in range(months - 1, -1, -1)]
    year = extract("year", ServiceRecord.service_date)
    month = extract("month", ServiceRecord.service_date)
    query = (
        _recipients()
        .add_columns(year, month, ServiceRecord.category, func.sum(ServiceRecord.minutes))
        .where(_confirmed_visits_in(community_ids, shown[0], today))
        .group_by(year, month, ServiceRecord.category)
    )
    minutes = {
        (date(int(y), int(m), 1), category): int(total)
        for y, m, category, total in db.session.execute(query)
    }
    return MonthlyHours(shown, minutes)


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


def active_volunteers(community_ids: list[int], *, today: date, days: int = ACTIVE_DAYS) -> Count:
    """Volunteers with a confirmed visit in the scope served in the ``days`` days up to ``today``."""
    start = today - timedelta(days=days - 1)
    conditions = _confirmed_visits_in(community_ids, start, today)
    return _distinct_people(ServiceRecord.volunteer_id, conditions)


def elders_served(community_ids: list[int], *, start: date, end: date, as_of: date) -> Count:
    """Distinct people aged 65+ on ``as_of`` with a confirmed visit served ``start``..``end``."""
    conditions = and_(
        _confirmed_visits_in(community_ids, start, end),
        age_at_least(User.birth_date, ELDER_AGE, as_of),
    )
    return _distinct_people(ServiceRecord.recipient_id, conditions)


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


def elder_share(community_ids: list[int], *, as_of: date) -> dict[int, ElderShare]:
    """Per community: members, those aged 65+ on ``as_of``, and those with no birth date."""
    is_elder = case((age_at_least(User.birth_date, ELDER_AGE, as_of), 1), else_=0)
    no_birth_date = case((User.birth_date.is_(None), 1), else_=0)
    query = (
        select(User.community_id, func.count(User.id), func.sum(is_elder), func.sum(no_birth_date))
        .where(
            User.community_id.in_(community_ids),
            User.role == Role.MEMBER,
            User.is_active_member.is_(True),
        )
        .group_by(User.community_id)
    )
    return {
        cid: ElderShare(int(members), int(elders or 0), int(unknown or 0))
        for cid, members, elders, unknown in db.session.execute(query)
    }


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
    """Per community: member balances summed by age band on ``as_of``, and the
    guarantee and fund balances. Two queries whatever the number of communities."""
    holder = aliased(User)
    band = age_band(holder.birth_date, as_of)
    members = (
        select(
            Account.community_id,
            band,
            func.sum(Account.balance_minutes),
            func.count(Account.id),
        )
        .join(holder, holder.id == Account.user_id)
        .where(Account.kind == AccountKind.MEMBER, Account.community_id.in_(community_ids))
        .group_by(Account.community_id, band)
    )
    systems = select(Account.community_id, Account.kind, Account.balance_minutes).where(
        Account.kind.in_([AccountKind.FUND, AccountKind.GUARANTEE]),
        Account.community_id.in_(community_ids),
    )
    result = {cid: Liability() for cid in community_ids}
    for cid, code, minutes, holders in db.session.execute(members):
        result[cid].stored_by_band[code] = int(minutes or 0)
        result[cid].holders_by_band[code] = int(holders)
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


def _confirmed_minutes_by_community(community_ids: list[int], start: date, end: date):
    query = (
        _recipients()
        .add_columns(User.community_id, func.sum(ServiceRecord.minutes))
        .where(_confirmed_visits_in(community_ids, start, end))
        .group_by(User.community_id)
    )
    return {cid: int(minutes) for cid, minutes in db.session.execute(query)}


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
    shares = elder_share(ids, as_of=today)
    liabilities = liability(ids, as_of=today)
    return Figures(
        scope=scope,
        today=today,
        served_from=start,
        served_to=end,
        monthly=monthly,
        active=active_volunteers(ids, today=today),
        elders=elders_served(ids, start=start, end=end, as_of=today),
        shares=shares,
        share=total_share(shares),
        liabilities=liabilities,
        liability=total_liability(liabilities),
        confirmed_by_community=_confirmed_minutes_by_community(ids, monthly.months[0], today),
    )
