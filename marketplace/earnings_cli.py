"""``flask marketplace verify-earnings``: the providers' earnings summary against a recount."""

from __future__ import annotations

import sys
import time

import click

from extensions import db
from marketplace import earnings


@click.command("verify-earnings")
def verify_earnings_command() -> None:
    """Compare every provider's earnings summary with a full recount of the completed
    bookings; exit 1 naming each row that differs."""
    started = time.perf_counter()
    problems = earnings.differences(db.session)
    elapsed = time.perf_counter() - started
    db.session.rollback()
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(f"{len(problems)} summary row(s) differ from the bookings", err=True)
        sys.exit(1)
    click.echo(f"ok: the providers' earnings equal a recount of their bookings ({elapsed:.2f} s)")
