"""Asia/Shanghai wall-clock time for calendars, UTC (naive) for what is stored.

Providers' schedules are local times; bookings store UTC like every other
timestamp. Everything that converts between the two comes through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from community.models import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_utc(day: date, at: time) -> datetime:
    """The stored (naive UTC) instant of ``at`` on ``day`` in Shanghai."""
    local = datetime.combine(day, at, tzinfo=SHANGHAI)
    return local.astimezone(UTC).replace(tzinfo=None)


def to_local(stored: datetime) -> datetime:
    """A stored naive-UTC instant as an aware Shanghai datetime."""
    return stored.replace(tzinfo=UTC).astimezone(SHANGHAI)


def local_now(now: datetime | None = None) -> datetime:
    """Now (or the stored instant ``now``) in Shanghai."""
    return to_local(now or utcnow())


def local_today(now: datetime | None = None) -> date:
    """Today's date in Shanghai."""
    return local_now(now).date()


def month_start(day: date) -> date:
    """The first day of ``day``'s month (subsidy budgets run per calendar month)."""
    return day.replace(day=1)
