"""``flask marketplace sweep``: let go of late bookings and complete delivered ones (cron)."""

from __future__ import annotations

import click

from community.models import utcnow
from extensions import db
from marketplace.transitions import complete_due, expire_due


@click.command("sweep")
def sweep_command() -> None:
    """Expire bookings whose payment or answer came too late; complete bookings marked done
    more than MARKETPLACE_AUTO_COMPLETE_HOURS (default 48) ago."""
    now = utcnow()
    expired = expire_due(now)
    completed = complete_due(now)
    db.session.commit()
    click.echo(f"expired {expired} booking(s), completed {completed} booking(s)")
