"""A street with history around the people whose pages are measured, grown in units.

Each unit adds, through the real services: a resident and a helper (a volunteer),
a visit by the helper to the elder waiting for the elder's answer, two visits by the
street's volunteer to the resident, one the resident confirms (hours post) and one
not answered yet, a completed booking with the provider for the elder (every second
one reviewed) and, every third unit, one for the resident (reviewed), an upcoming booking of the resident's, and
every third unit a relative linked to the elder. So every list on the measured
pages (visits, bookings, reviews, family, pending work on the desk) grows with
the units, and a page that reads rows one by one sends more statements.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from community.models import User, utcnow
from community.services import link_family
from extensions import db
from marketplace.models import Provider, ServiceItem
from marketplace.reviews import create_review
from timebank.visits import confirm_visit, log_visit

_numbers = itertools.count(1)


@dataclass
class Scene:
    """The people whose pages are measured, and what they use."""

    elder: User
    volunteer: User
    coordinator: User
    owner: User
    provider: Provider
    item: ServiceItem
    units: int = 0
    booking_ids: list[int] = field(default_factory=list)


def _key() -> str:
    return uuid.uuid4().hex


def grow(scene: Scene, units: int, *, make_member, make_booking, today: date) -> None:
    """Add ``units`` units of history (see the module's docstring), then commit."""
    for _ in range(units):
        n = next(_numbers)
        resident = make_member(f"居民{n}", age=75 + n % 15)
        helper = make_member(f"帮手{n}", age=60, is_volunteer=True)
        day = today - timedelta(days=n % 50)
        log_visit(
            volunteer=helper,
            recipient=scene.elder,
            category="meal",
            service_date=day,
            entered_by=helper,
            idempotency_key=_key(),
            minutes=60,
            note=f"送餐 {n}",
        )
        for answered in (True, False):
            visit = log_visit(
                volunteer=scene.volunteer,
                recipient=resident,
                category="cleaning",
                service_date=day,
                entered_by=scene.volunteer,
                idempotency_key=_key(),
                minutes=30,
                today=day,  # the volunteer's daily cap counts per service date
            )
            if answered:
                confirm_visit(visit, by=resident)
        done = make_booking(
            scene.item,
            scene.elder,
            starts_at=utcnow() - timedelta(days=2, hours=n % 24),
            status="completed",
            completed_at=utcnow() - timedelta(days=1),
            subsidy=False,
        )
        scene.booking_ids.append(done.id)
        if n % 2 == 0:
            create_review(by=scene.elder, booking_id=done.id, stars=1 + n % 5, text=f"很好 {n}")
        if n % 3 == 0:  # under a page of reviews at demo size, where a loop would show
            theirs = make_booking(
                scene.item,
                resident,
                starts_at=utcnow() - timedelta(days=3, hours=n % 24),
                status="completed",
                completed_at=utcnow() - timedelta(days=2),
                subsidy=False,
            )
            create_review(by=resident, booking_id=theirs.id, stars=1 + n % 5, text=f"准时 {n}")
        make_booking(
            scene.item,
            resident,
            starts_at=utcnow() + timedelta(days=1 + n % 5, hours=n % 8),
            subsidy=False,
        )
        if n % 3 == 0:
            relative = make_member(f"家属{n}", age=45)
            link_family(by=scene.elder, elder=scene.elder, relative=relative, relation="son")
    scene.units += units
    db.session.commit()
