"""Civic figures' rows of the permission table (tests/test_permissions.py): staff read
their own community's or street's figures; members are refused."""

from __future__ import annotations

from collections.abc import Callable

from tests.permission_table import STAFF, get, only

BUILDERS: dict[str, Callable] = {}

ROWS = [
    get("/civic/figures/", only(STAFF, 200)),
    get("/civic/figures/figures.csv", only(STAFF, 200)),
    get("/civic/figures/?start=2026-04-01&end=2026-03-01", only(STAFF, 400)),
]
