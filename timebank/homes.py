"""Where time-bank members land (community.landing): coordinators and street admins on
the coordinator desk, everyone else on the time bank's home ("My hours")."""

from __future__ import annotations

from community.landing import register_home

DESK_RANK = 10  # staff work first; it costs no query to know
MEMBER_RANK = 100  # everyone: the last rule asked


def connect_home_rules() -> None:
    """Register the time bank's landing rules (idempotent)."""
    register_home("desk.index", lambda member: member.is_coordinator, rank=DESK_RANK)
    register_home("timebank.my_hours", lambda member: True, rank=MEMBER_RANK)
