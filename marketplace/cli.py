"""``flask marketplace …``: the scheduled jobs of the marketplace (run from cron)."""

from __future__ import annotations

from flask.cli import AppGroup

marketplace_cli = AppGroup(
    "marketplace", help="Marketplace jobs: expiry, completion, card charges."
)
