"""``flask marketplace sweep``: let go of late bookings and complete delivered ones.

The worker runs it every few minutes (jobs.tasks); the command runs it by hand."""

from __future__ import annotations

import click

from community.models import utcnow
from extensions import db
from marketplace.transitions import complete_due, expire_due


def sweep_bookings() -> tuple[int, int]:
    """Expire late bookings, then complete delivered ones; return (expired, completed).

    Each booking is committed on its own, so its lock is held only for its own step
    (and a card step it records is finished right after that commit).
    """
    now = utcnow()
    expired = expire_due(now, each_done=db.session.commit)
    completed = complete_due(now, each_done=db.session.commit)
    db.session.commit()
    return expired, completed


@click.command("sweep")
def sweep_command() -> None:
    """Expire bookings whose payment or answer came too late; complete bookings marked done
    more than MARKETPLACE_AUTO_COMPLETE_HOURS (default 48) ago."""
    expired, completed = sweep_bookings()
    click.echo(f"expired {expired} booking(s), completed {completed} booking(s)")
