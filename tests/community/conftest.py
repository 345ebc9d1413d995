"""Audit entries at chosen times, for the audit log's tests."""

from __future__ import annotations

from datetime import datetime

import pytest

from community import audit


@pytest.fixture
def audit_clock(monkeypatch):
    """The time (naive UTC) the next audit entries are recorded at: set ``clock.at``."""

    class Clock:
        at = datetime(2026, 3, 1, 2, 0)

    clock = Clock()
    monkeypatch.setattr(audit, "utcnow", lambda: clock.at)
    return clock
