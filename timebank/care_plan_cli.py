"""`flask --app app plans …` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from extensions import db
from timebank.care_plans import DAYS_AHEAD, generate_all

plans_cli = AppGroup("plans", help="Recurring care plans.")


@plans_cli.command("generate")
@click.option("--days", default=DAYS_AHEAD, show_default=True, help="How many days ahead.")
def generate_command(days: int) -> None:
    """Plan every active care plan's visits ahead (run daily); days that clash are reported."""
    results = generate_all(days_ahead=days)
    db.session.commit()
    created = sum(len(result.created) for result in results.values())
    click.echo(f"planned {created} visit(s) for {len(results)} active plan(s)")
    for plan_id, result in results.items():
        for day, reason in result.skipped:
            click.echo(f"plan {plan_id}, {day.isoformat()}: not planned: {reason}")
