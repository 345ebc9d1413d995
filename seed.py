"""`flask --app app seed-demo`: a believable demo street (filled in by the seeding work)."""

from __future__ import annotations

import click


@click.command("seed-demo")
@click.option(
    "--scale", type=int, default=0, help="Seed this many members and a proportional ledger."
)
def seed_demo_command(scale: int) -> None:
    """Create 沧浪街道 with its communities, residents, volunteers and visits."""
    raise click.ClickException("not yet written")
