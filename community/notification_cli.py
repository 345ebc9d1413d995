"""`flask --app app notifications …`: the weekly digest and sending the outbox, by hand.

The worker runs both on its own schedule (jobs.tasks); timebank.notify_receivers
adds `remind` (tomorrow's visits) to this group.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from community.notifications import queue_weekly_digest
from community.outbox import send_outbox
from extensions import db

notifications_cli = AppGroup("notifications", help="Inbox reminders, the weekly digest, email.")


@notifications_cli.command("digest")
def digest_command() -> None:
    """Mail each member with an email their unread messages of the last 7 days (once a week)."""
    queued = queue_weekly_digest()
    db.session.commit()  # the worker sends them
    click.echo(f"{queued} digest(s) queued")


@notifications_cli.command("send-outbox")
def send_outbox_command() -> None:
    """Send every mail that is due; a failed one waits (backoff) with one more attempt counted."""
    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("MAIL_SERVER is not set; nothing can be sent")
    sent, failed = send_outbox()
    click.echo(f"{sent} sent, {failed} failed")
    if failed:
        raise SystemExit(1)
