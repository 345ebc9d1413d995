"""Civic figures for coordinators and street admins: per community and month, problems
reported by category, how long they took to close and whether in time, how satisfied
their reporters were, repairs done, and contact days held.

Everything is read for the chosen period only (twelve months by default), so the cost
grows with what happened in the period, not with the street's whole history. Months are
the communities' local months (Asia/Shanghai). A problem merged into another is counted
once, as the problem it was merged into.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic.clock import to_local, to_utc
from civic.contact_day_models import ContactDay, ContactDayStatus
from civic.errors import NotAllowed
from civic.problem_models import Problem, ProblemStatus
from civic.repair_models import Repair, RepairStatus
from community.models import Community, User
from community.reach import coordinated_community_ids
from extensions import db

CLOSED_STATUSES = (ProblemStatus.CLOSED, ProblemStatus.CONFIRMED)


def _local_day(stored: datetime) -> date:
    return to_local(stored).date()


def _utc(day: date) -> datetime:
    """The first instant (naive UTC) of a local day."""
    return to_utc(day, time(0))


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass
class MonthFigures:
    """One community's (or all of the scope's) figures for one month."""

    reported: dict[str, int] = field(default_factory=dict)  # category → problems reported
    days_to_close: list[int] = field(default_factory=list)  # of problems closed that month
    closed_in_time: int = 0
    closed_with_deadline: int = 0
    ratings: list[int] = field(default_factory=list)  # reporters' ratings given that month
    repairs_done: int = 0
    repair_ratings: list[int] = field(default_factory=list)
    contact_days: int = 0

    @property
    def reported_total(self) -> int:
        return sum(self.reported.values())

    @property
    def anything(self) -> bool:
        """True if anything at all was recorded (a month with nothing takes no row)."""
        return bool(
            self.reported_total
            or self.days_to_close
            or self.ratings
            or self.repairs_done
            or self.contact_days
        )

    @property
    def closed(self) -> int:
        return len(self.days_to_close)

    @property
    def median_days(self) -> float | None:
        return median(self.days_to_close) if self.days_to_close else None

    @property
    def in_time_percent(self) -> int | None:
        if not self.closed_with_deadline:
            return None
        return round(100 * self.closed_in_time / self.closed_with_deadline)

    @property
    def satisfaction(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def add(self, other: MonthFigures) -> None:
        for category, n in other.reported.items():
            self.reported[category] = self.reported.get(category, 0) + n
        self.days_to_close += other.days_to_close
        self.closed_in_time += other.closed_in_time
        self.closed_with_deadline += other.closed_with_deadline
        self.ratings += other.ratings
        self.repairs_done += other.repairs_done
        self.repair_ratings += other.repair_ratings
        self.contact_days += other.contact_days


@dataclass
class CivicFigures:
    """The scope's figures: per community and month, and summed per month and per
    community."""

    communities: list[Community]
    months: list[date]
    cells: dict[tuple[int, date], MonthFigures]

    def cell(self, community_id: int, month: date) -> MonthFigures:
        return self.cells.get((community_id, month)) or MonthFigures()

    def month_total(self, month: date) -> MonthFigures:
        total = MonthFigures()
        for community in self.communities:
            total.add(self.cell(community.id, month))
        return total

    def community_total(self, community_id: int) -> MonthFigures:
        total = MonthFigures()
        for month in self.months:
            total.add(self.cell(community_id, month))
        return total

    def total(self) -> MonthFigures:
        total = MonthFigures()
        for month in self.months:
            total.add(self.month_total(month))
        return total

    def categories(self) -> list[str]:
        """The categories reported in the period, most reported first."""
        counts: dict[str, int] = defaultdict(int)
        for cell in self.cells.values():
            for category, n in cell.reported.items():
                counts[category] += n
        return sorted(counts, key=lambda c: (-counts[c], c))


def figures_scope(actor: User) -> list[Community]:
    """The communities whose civic figures ``actor`` reads: a coordinator's own, a street
    admin's whole street. Raises NotAllowed for anyone else."""
    ids = coordinated_community_ids(actor)
    if ids is None:
        raise NotAllowed(_l("Only coordinators and street admins read these figures."))
    return list(
        db.session.scalars(select(Community).where(Community.id.in_(ids)).order_by(Community.id))
    )


def _months(start: date, end: date) -> list[date]:
    months, month = [], month_of(start)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def civic_figures(actor: User, *, start: date, end: date) -> CivicFigures:
    """The civic figures of ``actor``'s communities for the local days ``start``..``end``.

    Raises NotAllowed for a member."""
    communities = figures_scope(actor)
    ids = [c.id for c in communities]
    cells: dict[tuple[int, date], MonthFigures] = defaultdict(MonthFigures)
    since, until = _utc(start), _utc(end + timedelta(days=1))

    def cell(community_id: int, stored: datetime) -> MonthFigures:
        return cells[(community_id, month_of(_local_day(stored)))]

    reported = select(Problem.community_id, Problem.category, Problem.created_at).where(
        Problem.community_id.in_(ids),
        Problem.created_at >= since,
        Problem.created_at < until,
        Problem.merged_into_id.is_(None),
    )
    for community_id, category, created_at in db.session.execute(reported):
        figures = cell(community_id, created_at)
        figures.reported[category] = figures.reported.get(category, 0) + 1

    closed = select(
        Problem.community_id, Problem.created_at, Problem.closed_at, Problem.due_on
    ).where(
        Problem.community_id.in_(ids),
        Problem.closed_at >= since,
        Problem.closed_at < until,
        Problem.status.in_(CLOSED_STATUSES),
    )
    for community_id, created_at, closed_at, due_on in db.session.execute(closed):
        figures = cell(community_id, closed_at)
        figures.days_to_close.append((_local_day(closed_at) - _local_day(created_at)).days)
        if due_on is not None:
            figures.closed_with_deadline += 1
            figures.closed_in_time += _local_day(closed_at) <= due_on

    rated = select(Problem.community_id, Problem.finished_at, Problem.rating).where(
        Problem.community_id.in_(ids),
        Problem.rating.is_not(None),
        Problem.finished_at >= since,
        Problem.finished_at < until,
    )
    for community_id, finished_at, rating in db.session.execute(rated):
        cell(community_id, finished_at).ratings.append(rating)

    repairs = select(Repair.community_id, Repair.confirmed_at, Repair.rating).where(
        Repair.community_id.in_(ids),
        Repair.status == RepairStatus.DONE,
        Repair.confirmed_at >= since,
        Repair.confirmed_at < until,
    )
    for community_id, confirmed_at, rating in db.session.execute(repairs):
        figures = cell(community_id, confirmed_at)
        figures.repairs_done += 1
        if rating is not None:
            figures.repair_ratings.append(rating)

    held = select(ContactDay.community_id, ContactDay.held_on).where(
        ContactDay.community_id.in_(ids),
        ContactDay.status == ContactDayStatus.HELD,
        ContactDay.held_on >= start,
        ContactDay.held_on <= end,
    )
    for community_id, held_on in db.session.execute(held):
        cells[(community_id, month_of(held_on))].contact_days += 1

    return CivicFigures(communities, _months(start, end), dict(cells))
