"""``flask marketplace charge-due``: hold the amount on saved cards about 2 days before."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from extensions import db
from marketplace import card, card_steps
from marketplace.errors import MarketplaceError


def charge_due_cards(on_error=None) -> dict[str, int]:
    """Authorise every saved card now due, committing each on its own; return the counts.

    A card Stripe cannot reach is left for the next run (``on_error(id, message)`` is told).
    """
    counts = {"authorised": 0, "failed": 0, "skipped": 0}
    for card_payment_id in card.charge_due():
        try:
            outcome = card_steps.charge_saved_card(card_payment_id)
        except MarketplaceError as error:  # e.g. Stripe unreachable: try again next run
            db.session.rollback()
            if on_error is not None:
                on_error(card_payment_id, str(error.message))
            continue
        db.session.commit()
        counts[outcome] += 1
    return counts


@click.command("charge-due")
@with_appcontext
def charge_due_command() -> None:
    """Authorise every saved card whose booking starts in about 2 days (the worker runs it hourly).

    Each charge is recorded and committed before Stripe is called, and its answer
    recorded in a transaction of its own (marketplace.card_steps); a declined card
    cancels its booking.
    """
    counts = charge_due_cards(
        lambda card_payment_id, message: click.echo(
            f"card payment {card_payment_id}: not charged ({message})", err=True
        )
    )
    click.echo(
        f"saved cards: {counts['authorised']} authorised, {counts['failed']} declined "
        f"(bookings cancelled), {counts['skipped']} skipped"
    )
