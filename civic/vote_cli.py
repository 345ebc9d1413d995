"""`flask --app app civic …` commands: checking the record of owners' and residents' votes."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from civic.consultation_models import Consultation
from civic.vote_chain import verify_votes
from civic.vote_models import Ballot
from extensions import db

civic_cli = AppGroup("civic", help="Residents' voice: check the votes' record.")


@civic_cli.command("verify")
def verify_command() -> None:
    """Recount every vote's ballot chain and tally; exit 1 naming each broken vote."""
    breaks = verify_votes(db.session)
    consultations = db.session.scalar(select(func.count(Consultation.id)))
    ballots = db.session.scalar(select(func.count(Ballot.id)))
    db.session.rollback()
    if breaks:
        for broken in breaks:
            click.echo(f"consultation {broken.consultation_id}: {broken.message}", err=True)
        click.echo(f"{len(breaks)} vote(s) broken of {consultations}", err=True)
        sys.exit(1)
    click.echo(f"ok: {consultations} consultations, {ballots} ballots, every chain holds")
