"""The communities' wall clock (Asia/Shanghai) for civic: repair windows and appointments,
vote openings, deadlines and the figures' months. Instants are stored as naive UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from community.models import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_utc(day: date, at: time) -> datetime:
    """The stored (naive UTC) instant of ``at`` on ``day`` in Shanghai."""
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def to_local(stored: datetime) -> datetime:
    """A stored naive-UTC instant as a Shanghai wall-clock time (naive, for showing)."""
    return stored.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)


def local_today(now: datetime | None = None) -> date:
    """Today's date in Shanghai (``now``: a stored instant, for tests)."""
    return to_local(now or utcnow()).date()
