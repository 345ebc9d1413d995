"""``flask marketplace charge-due``: hold the amount on saved cards about 2 days before."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from extensions import db
from marketplace import card
from marketplace.errors import MarketplaceError


@click.command("charge-due")
@with_appcontext
def charge_due_command() -> None:
    """Authorise every saved card whose booking starts in about 2 days (run hourly from cron).

    Each booking is committed on its own, so a Stripe call is never repeated
    for a booking already recorded; a declined card cancels its booking.
    """
    counts = {"authorised": 0, "failed": 0, "skipped": 0}
    for card_payment_id in card.charge_due():
        try:
            outcome = card.charge_saved_card(card_payment_id)
        except MarketplaceError as error:  # e.g. Stripe unreachable: try again next run
            db.session.rollback()
            click.echo(f"card payment {card_payment_id}: not charged ({error.message})", err=True)
            continue
        db.session.commit()
        counts[outcome] += 1
    click.echo(
        f"saved cards: {counts['authorised']} authorised, {counts['failed']} declined "
        f"(bookings cancelled), {counts['skipped']} skipped"
    )
