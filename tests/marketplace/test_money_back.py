"""A booking that ended before its service says what came back (the refund, the hours
held given back, a fee kept) and leaves "Coming up"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.models import utcnow
from extensions import db
from marketplace import transitions
from marketplace.money_back import MoneyBack, money_back_for, money_back_lines
from tests.conftest import login
from tests.marketplace.stripe_server import paid
from tests.timebank.support import top_up

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def hours_booking(make_booking, cleaning, elder):
    """An accepted hours booking of the ¥80 / 120 min cleaning, three days ahead."""
    top_up(elder, 600)
    return make_booking(
        cleaning,
        elder,
        status="accepted",
        payment_method="hours",
        starts_at=utcnow().replace(microsecond=0) + timedelta(days=3),
    )


def back_of(booking) -> MoneyBack | None:
    return money_back_for([booking]).get(booking.id)


def test_a_free_cancellation_gives_the_held_hours_back(hours_booking, elder):
    transitions.cancel(hours_booking, by=elder, now=hours_booking.starts_at - timedelta(days=2))
    assert back_of(hours_booking) == MoneyBack("hours", minutes_back=120)
    assert money_back_lines(back_of(hours_booking)) == ["The 2 h held were given back"]


def test_a_late_cancellation_says_what_the_fee_kept(hours_booking, elder):
    transitions.cancel(hours_booking, by=elder, now=hours_booking.starts_at - timedelta(hours=2))
    assert back_of(hours_booking) == MoneyBack("hours", minutes_back=96, fee_minutes=24)
    assert money_back_lines(back_of(hours_booking)) == [
        "The 1 h 36 min held were given back",
        "Cancellation fee 24 min",
    ]


def test_a_booking_still_on_says_nothing(hours_booking):
    assert back_of(hours_booking) is None
    assert money_back_lines(None) == []


def test_a_cancelled_card_booking_says_refunded(book_by_card, localstripe, elder, provider_owner):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)
    transitions.cancel(booking, by=elder, now=booking.starts_at - timedelta(days=2))
    db.session.commit()
    assert money_back_lines(back_of(booking)) == ["Refunded ¥80"]


def test_a_late_card_cancellation_refunds_the_rest(
    book_by_card, localstripe, elder, provider_owner
):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    transitions.accept(booking, by=provider_owner)
    transitions.cancel(booking, by=elder, now=booking.starts_at - timedelta(hours=2))
    db.session.commit()
    assert money_back_lines(back_of(booking)) == ["Refunded ¥64", "Cancellation fee ¥16"]


def test_a_card_never_paid_was_never_charged(book_by_card, elder):
    booking = book_by_card()  # the card form was never filled in
    transitions.cancel(booking, by=elder)
    assert money_back_lines(back_of(booking)) == ["Nothing was charged to the card"]


def test_a_cancelled_booking_leaves_coming_up_and_shows_what_came_back(
    client, hours_booking, elder, english_pages
):
    transitions.cancel(hours_booking, by=elder, now=hours_booking.starts_at - timedelta(days=2))
    db.session.commit()
    login(client, elder)
    page = client.get("/bookings/").get_data(as_text=True)
    coming_up = page[page.index("Coming up") : page.index("Earlier or cancelled")]
    assert hours_booking.title not in coming_up
    assert "Nothing booked." in coming_up
    earlier = page[page.index("Earlier or cancelled") :]
    assert hours_booking.title in earlier
    assert "The 2 h held were given back" in earlier
    shown = client.get(f"/bookings/{hours_booking.id}").get_data(as_text=True)
    assert "The 2 h held were given back" in shown
