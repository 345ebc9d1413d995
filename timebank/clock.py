"""Today's date where the communities are (Asia/Shanghai), whatever the server's zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    return datetime.now(LOCAL_ZONE).date()


def local_now() -> datetime:
    return datetime.now(LOCAL_ZONE)
