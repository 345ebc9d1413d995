"""`flask --app app seed-demo`: the demo street, or a large street for benchmarks."""

from __future__ import annotations

import random
import time
import unicodedata

import click
from sqlalchemy import func, select

from community.models import Street, User, utcnow
from extensions import db
from seed.civic import seed_places
from seed.civic_contact_days import seed_contact_days
from seed.civic_problems import seed_problems
from seed.civic_repairs import seed_repairs
from seed.civic_votes import seed_consultations
from seed.demo import DEMO_PASSWORD, DemoLogin, build_street
from seed.history import play_history
from seed.marketplace import seed_marketplace
from seed.property_services import seed_service_station
from seed.scale import seed_scale
from timebank.clock import local_now
from timebank.models import Transfer


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_logins(logins: list[DemoLogin]) -> str:
    """The demo logins as a small aligned table."""
    rows = [("who", "name", "sign in with", "community")]
    rows += [(d.role, d.name, d.login, d.community) for d in logins]
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def seed_demo(seed: int = 2026) -> tuple[list[DemoLogin], dict[str, int]]:
    """Create the demo street and its history (flushes; the caller commits).

    Returns the demo logins and counts of what was created.
    """
    rng = random.Random(seed)
    now = local_now().replace(tzinfo=None, second=0, microsecond=0)
    street = build_street(rng, now.date())
    tally = play_history(street, rng, now)
    market_logins, market_counts = seed_marketplace(street, now)
    places = seed_places(street, rng)
    contact_day_count = seed_contact_days(street, places, now.date())
    consultations = seed_consultations(street, now.date())
    problems = seed_problems(street, places, rng)
    repairs = seed_repairs(street, places, utcnow())
    station_login = seed_service_station(street, places, now.date())
    counts = {
        "communities": len(street.communities),
        "members": db.session.scalar(select(func.count(User.id))),
        "family links": len(street.families),
        "visits confirmed": tally.confirmed,
        "visits pending": tally.pending,
        "visits disputed": tally.disputed,
        "visits rejected": tally.rejected,
        "gifts": tally.gifts,
        "donations": tally.donations,
        "grants": tally.grants,
        "reversals": tally.reversals,
        "transfers": db.session.scalar(select(func.count(Transfer.id))),
        **market_counts,
        "compounds": len(places.compounds),
        "homes": len(places.homes),
        "contact days": contact_day_count,
        "consultations": len(consultations),
        "problems reported": len(problems.problems),
        "repairs": repairs + 1,  # and the demo elder's, priced, to pay online
    }
    return street.logins + market_logins + places.logins + [station_login], counts


@click.command("seed-demo")
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    default=None,
    help="Seed this many members and about 20 transfers each, fast, for benchmarks.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing if a street already exists.")
@click.option("--seed", "seed", type=int, default=2026, show_default=True, help="Random seed.")
def seed_demo_command(scale: int | None, if_empty: bool, seed: int) -> None:
    """Create 沧浪街道 with its communities, residents, volunteers and visits."""
    existing = db.session.scalar(select(Street.name).limit(1))
    if existing is not None:
        if if_empty:
            click.echo(f"The database already has a street ({existing}); not seeding.")
            return
        raise click.ClickException(
            f"The database already has a street ({existing}). Seed an empty database."
        )
    started = time.perf_counter()
    if scale:
        counts = seed_scale(scale, seed=seed, progress=True)
        db.session.commit()
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        click.echo(f"Seeded {summary} in {time.perf_counter() - started:.1f} s.")
        return
    try:
        logins, counts = seed_demo(seed)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    click.echo(f"Seeded 沧浪街道: {summary} ({time.perf_counter() - started:.1f} s).")
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
    click.echo(format_logins(logins))
