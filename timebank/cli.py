"""`flask --app app ledger …` commands."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from extensions import db
from timebank.models import Account, Transfer
from timebank.verify import verify_ledger

ledger_cli = AppGroup("ledger", help="Check the hour ledger.")


@ledger_cli.command("verify")
def verify_command() -> None:
    """Check every ledger invariant; exit 1 naming each broken account."""
    started = time.perf_counter()
    problems = verify_ledger(db.session)
    accounts = db.session.scalar(select(func.count(Account.id)))
    transfers = db.session.scalar(select(func.count(Transfer.id)))
    elapsed = time.perf_counter() - started
    db.session.rollback()
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(
            f"{len(problems)} problem(s) in {accounts} accounts, {transfers} transfers", err=True
        )
        sys.exit(1)
    click.echo(
        f"ok: {accounts} accounts, {transfers} transfers, every invariant holds ({elapsed:.2f} s)"
    )
