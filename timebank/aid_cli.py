"""`flask --app app aid …` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from community.models import utcnow
from extensions import db
from timebank.requests import flag_unclaimed

aid_cli = AppGroup("aid", help="Mutual-aid requests and offers.")


def flag_unclaimed_now() -> int:
    """Flag the requests nobody took in time, with the configured hours; return how many.

    Flushes, never commits (the command and the worker's job commit)."""
    return flag_unclaimed(
        utcnow(),
        hours=current_app.config["AID_UNCLAIMED_HOURS"],
        urgent_hours=current_app.config["AID_URGENT_UNCLAIMED_HOURS"],
    )


@aid_cli.command("flag-unclaimed")
def flag_unclaimed_command() -> None:
    """Flag open requests nobody took in time (AID_UNCLAIMED_HOURS, urgent: AID_URGENT_UNCLAIMED_HOURS)."""
    flagged = flag_unclaimed_now()
    db.session.commit()
    click.echo(f"flagged {flagged} unclaimed request(s)")
