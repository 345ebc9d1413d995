"""``flask marketplace …``: the scheduled jobs of the marketplace (run from cron), and its checks."""

from __future__ import annotations

from flask.cli import AppGroup

from marketplace.booking_cli import sweep_command
from marketplace.card_cli import charge_due_command
from marketplace.earnings_cli import verify_earnings_command

marketplace_cli = AppGroup(
    "marketplace", help="Marketplace jobs: expiry, completion, card charges; checks."
)

marketplace_cli.add_command(charge_due_command)
marketplace_cli.add_command(sweep_command)
marketplace_cli.add_command(verify_earnings_command)
