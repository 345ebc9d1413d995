"""Taking back (撤回) a booking just made: free within UNDO_MINUTES whatever the fee rules,
hours, card and subsidy given back; never late, never someone else's, never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.models import utcnow
from community.services import link_family
from extensions import db
from marketplace import card, take_back
from marketplace.booking_models import Booking, BookingEvent, BookingStatus
from marketplace.card_models import CardStatus
from marketplace.errors import Conflict, NotAllowed, TransitionNotAllowed
from marketplace.take_back import TooLateToTakeBack, take_back_left
from marketplace.transitions import accept
from tests.conftest import csrf_token, login
from tests.marketplace.stripe_server import paid
from tests.test_simultaneous_submits import press_at_once
from tests.timebank.support import available, balance, top_up
from timebank.verify import verify_ledger

from .booking_support import book, written


@pytest.fixture
def resident(elder):
    top_up(elder, 600)
    return elder


@pytest.fixture
def soon_booking(resident, cleaning, provider_owner, day, slots):
    """An hours booking made just now and accepted at once: cancelling it would cost the
    late fee if it started within a day, so make it start in a few hours."""
    booking = book(resident, cleaning, day, slots["morning"], payment_method="hours")
    accept(booking, by=provider_owner)
    return booking


def test_taking_back_an_hours_booking_costs_nothing_even_inside_the_fee_period(
    app, soon_booking, resident
):
    assert available(resident) == 600 - 120
    # pretend it starts in 3 hours: a cancellation now would cost the 20 % fee
    soon_booking.starts_at = utcnow() + timedelta(hours=3)
    take_back.take_back(soon_booking, by=resident)
    assert soon_booking.status == BookingStatus.CANCELLED
    assert soon_booking.cancel_fee_fen in (0, None)
    assert available(resident) == balance(resident) == 600
    event = soon_booking.events[-1]
    assert (event.to_status, event.note, event.actor_id) == ("cancelled", "taken back", resident.id)
    assert verify_ledger(db.session) == []
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def test_after_the_window_it_is_refused_and_nothing_written(app, soon_booking, resident):
    late = soon_booking.created_at + timedelta(minutes=app.config["UNDO_MINUTES"], seconds=1)
    assert take_back_left(soon_booking, resident, late) == 0
    before = written()
    with pytest.raises(TooLateToTakeBack) as refused:
        take_back.take_back(soon_booking, by=resident, now=late)
    assert refused.value.http_status == 409
    assert written() == before
    assert soon_booking.status == BookingStatus.ACCEPTED


def test_only_whoever_made_it_takes_it_back(soon_booking, resident, provider_owner, make_member):
    daughter = make_member("女儿", age=50)
    link_family(by=resident, elder=resident, relative=daughter)
    for someone in (provider_owner, daughter, make_member("陌生人")):
        assert take_back_left(soon_booking, someone) == 0
        with pytest.raises(NotAllowed):
            take_back.take_back(soon_booking, by=someone)
    assert soon_booking.status == BookingStatus.ACCEPTED


def test_family_who_booked_takes_their_own_booking_back(
    resident, cleaning, day, slots, make_member
):
    daughter = make_member("女儿", age=50)
    link_family(by=resident, elder=resident, relative=daughter)
    booking = book(
        daughter, cleaning, day, slots["morning"], resident_id=resident.id, payment_method="hours"
    )
    assert take_back_left(booking, resident) == 0  # the elder did not make this step
    assert take_back_left(booking, daughter) == 10
    take_back.take_back(booking, by=daughter)
    assert booking.events[-1].on_behalf_of_id == resident.id
    assert available(resident) == 600


def test_taken_back_once_only(soon_booking, resident):
    take_back.take_back(soon_booking, by=resident)
    with pytest.raises(TransitionNotAllowed):
        take_back.take_back(soon_booking, by=resident)
    assert take_back_left(soon_booking, resident) == 0


def test_a_started_or_finished_booking_is_not_taken_back(soon_booking, resident):
    soon_booking.starts_at = utcnow() - timedelta(minutes=1)
    assert take_back_left(soon_booking, resident) == 0
    with pytest.raises(Conflict):
        take_back.take_back(soon_booking, by=resident)


def test_a_card_booking_just_paid_lets_the_authorisation_go(book_by_card, localstripe, elder):
    booking = book_by_card()
    paid(booking, localstripe, elder)
    take_back.take_back(booking, by=elder)
    db.session.commit()  # the card step's Stripe call is made after the step commits
    assert card.card_payment(booking).status == CardStatus.CANCELLED
    held = localstripe.get(f"/v1/payment_intents/{card.card_payment(booking).payment_intent_id}")
    assert held["status"] == "canceled"
    assert card.card_payment(booking).captured_fen == 0


# --- the page ------------------------------------------------------------------------------


@pytest.mark.usefixtures("english_pages")
def test_the_booking_page_offers_take_back_and_takes_it_back(client, soon_booking, resident):
    db.session.commit()
    login(client, resident)
    path = f"/bookings/{soon_booking.id}"
    page = client.get(path).get_data(as_text=True)
    assert 'data-testid="take-back"' in page and "Take back (10 min left)" in page
    response = client.post(f"{path}/take-back", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, soon_booking.id).status == BookingStatus.CANCELLED
    assert available(resident) == 600
    page = client.get(path).get_data(as_text=True)
    assert 'data-testid="take-back"' not in page
    assert "taken back just after booking, free of charge" in page


@pytest.mark.usefixtures("english_pages")
def test_the_page_refuses_late_and_foreign_take_backs(
    client, soon_booking, resident, provider_owner, monkeypatch
):
    db.session.commit()
    path = f"/bookings/{soon_booking.id}"
    login(client, provider_owner)
    token = csrf_token(client, path)
    assert 'data-testid="take-back"' not in client.get(path).get_data(as_text=True)
    assert client.post(f"{path}/take-back", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})

    login(client, resident)
    monkeypatch.setattr(take_back, "utcnow", lambda: utcnow() + timedelta(minutes=11))
    page = client.get(path).get_data(as_text=True)
    assert 'data-testid="take-back"' not in page
    before = written()
    response = client.post(f"{path}/take-back", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    assert "can no longer be taken back" in response.get_data(as_text=True)
    assert written() == before


def test_ten_take_backs_at_once_cancel_once(app, client, live_server, soon_booking, resident):
    db.session.commit()
    login(client, resident)
    path = f"/bookings/{soon_booking.id}"
    statuses = press_at_once(client, live_server, path, f"{path}/take-back")
    assert statuses == [302] + [409] * 9, statuses
    db.session.expire_all()
    cancelled = db.session.scalar(
        select(func.count(BookingEvent.id)).where(
            BookingEvent.booking_id == soon_booking.id, BookingEvent.to_status == "cancelled"
        )
    )
    assert cancelled == 1
    assert available(resident) == balance(resident) == 600
    assert verify_ledger(db.session) == []


def test_a_booking_stamped_ahead_of_the_clock_is_not_just_made(soon_booking, resident):
    """A booking stamped ahead of the server's clock (a seeded demo, another server's
    clock) is not offered back; a few seconds ahead still counts, and never more than
    UNDO_MINUTES."""
    soon_booking.created_at = utcnow() + timedelta(days=1)
    assert take_back_left(soon_booking, resident) == 0
    soon_booking.created_at = utcnow() + timedelta(seconds=30)
    assert take_back_left(soon_booking, resident) == 10
