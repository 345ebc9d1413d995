"""The marketplace's one-tap steps that change someone else's plans ask first (issue 10):
accepting a booking (the resident expects the provider), removing a calendar slot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.models import utcnow
from extensions import db
from marketplace.models import WeeklySlot
from tests.conftest import login
from tests.test_confirm_steps import asks_first

pytestmark = pytest.mark.usefixtures("english_pages")


def test_accepting_a_booking(client, make_booking, cleaning, elder, provider_owner):
    booking = make_booking(cleaning, elder, expires_at=utcnow() + timedelta(hours=5))
    db.session.commit()
    login(client, provider_owner)
    asks_first(
        client,
        f"/bookings/{booking.id}",
        f"/bookings/{booking.id}/accept",
        "The resident is told that you will come at this time.",
    )


def test_removing_a_calendar_slot(client, provider, provider_owner):
    slot = db.session.scalars(
        select(WeeklySlot).where(WeeklySlot.provider_id == provider.id)
    ).first()
    db.session.commit()
    login(client, provider_owner)
    asks_first(
        client,
        "/provider/calendar",
        f"/provider/calendar/slots/{slot.id}/remove",
        "Residents can no longer book this time.",
    )
