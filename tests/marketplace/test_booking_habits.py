"""What people expect from the shopping apps they know: where a booking stands (steps),
待评价 on bookings not yet rated, 再订一次 (book again, filled in), and a reminder the
day before."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from community.models import utcnow
from community.notification_models import Notification
from community.notifications import render
from community.services import link_family
from extensions import db
from jobs.tasks import PERIODIC
from marketplace.clock import local_today, to_utc
from marketplace.progress import DONE, ENDED, LATER, NOW, booking_steps
from marketplace.review_models import Review
from tests.conftest import login
from tests.timebank.support import top_up
from timebank.notify_receivers import remind_tomorrow

# --- steps -----------------------------------------------------------------------------------


def states(booking) -> list[tuple[str, str]]:
    return [(str(step.label), step.state) for step in booking_steps(booking)]


@pytest.mark.usefixtures("english")
def test_steps_follow_the_booking(make_booking, cleaning, elder):
    now = utcnow()
    booking = make_booking(cleaning, elder, status="pending_payment")
    assert [s for _, s in states(booking)] == [NOW, LATER, LATER, LATER]
    booking.status = "requested"
    assert [s for _, s in states(booking)] == [DONE, NOW, LATER, LATER]
    booking.status = "accepted"
    assert [s for _, s in states(booking)] == [DONE, DONE, NOW, LATER]
    booking.delivered_at = now
    assert [s for _, s in states(booking)] == [DONE, DONE, DONE, NOW]
    assert booking_steps(booking)[3].note == "please confirm it was done"
    booking.status, booking.completed_at = "completed", now
    assert [s for _, s in states(booking)] == [DONE] * 4
    labels = [label for label, _ in states(booking)]
    assert labels == [
        "Booking made",
        "The provider accepts",
        "The service",
        "Confirming it was done",
    ]


@pytest.mark.usefixtures("english")
def test_a_booking_off_the_path_shows_how_it_ended(make_booking, cleaning, elder):
    declined = make_booking(cleaning, elder, status="declined")
    assert states(declined) == [("Booking made", DONE), ("Declined", ENDED)]
    unpaid = make_booking(cleaning, elder, status="expired")
    assert states(unpaid) == [("Expired", ENDED)]


@pytest.mark.usefixtures("english_pages")
def test_the_booking_page_lists_the_steps_without_script(client, make_booking, cleaning, elder):
    booking = make_booking(cleaning, elder, status="accepted")
    db.session.commit()
    login(client, elder)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    steps = re.search(r'<ol class="booking-steps".*?</ol>', page, re.S).group(0)
    assert steps.count("<li") == 4
    assert re.search(r'aria-current="step">.*?The service', steps, re.S)
    assert "now: the provider comes on " in steps


# --- 待评价 and 再订一次 ------------------------------------------------------------------------


@pytest.fixture
def completed(make_booking, cleaning, elder):
    done = utcnow() - timedelta(days=2)
    return make_booking(
        cleaning,
        elder,
        status="completed",
        starts_at=done - timedelta(hours=3),
        delivered_at=done,
        completed_at=done,
    )


def test_my_bookings_tag_the_unrated_and_offer_book_again(client, completed, elder, make_booking):
    login(client, elder)
    page = client.get("/bookings/").get_data(as_text=True)
    assert page.count('data-testid="to-rate"') == 1 and "待评价" in page
    assert 'data-testid="book-again"' in page and "再订一次" in page
    assert f"/bookings/new?item={completed.item_id}&amp;again={completed.id}" in page

    db.session.add(
        Review(
            booking_id=completed.id,
            provider_id=completed.provider_id,
            author_id=elder.id,
            stars=5,
            text="很好",
        )
    )
    db.session.commit()
    page = client.get("/bookings/").get_data(as_text=True)
    assert 'data-testid="to-rate"' not in page
    assert "再订一次" in page  # still offered once rated


def test_no_book_again_on_a_booking_under_way(client, make_booking, cleaning, elder):
    make_booking(cleaning, elder, status="accepted")
    db.session.commit()
    login(client, elder)
    page = client.get("/bookings/").get_data(as_text=True)
    assert 'data-testid="book-again"' not in page


@pytest.mark.usefixtures("english_pages")
def test_book_again_fills_the_form_as_before(client, make_booking, cleaning, elder, day, slots):
    top_up(elder, 600)
    before = make_booking(cleaning, elder, status="completed", quantity=2, payment_method="hours")
    before.slot_id = slots["afternoon"]
    before.address, before.note = "5号楼302", "请带拖把"
    db.session.commit()
    login(client, elder)
    page = client.get(f"/bookings/new?item={cleaning.id}&day={day}&again={before.id}").get_data(
        as_text=True
    )
    assert re.search(rf'value="{slots["afternoon"]}"\s*checked', page)
    assert re.search(r'name="quantity"[^>]*value="2"', page)
    assert re.search(r'value="hours"[^>]*checked|checked[^>]*value="hours"', page)
    assert "5号楼302" in page and "请带拖把" in page
    # another day keeps the filling
    assert f"again={before.id}" in page


def test_book_again_of_someone_elses_booking_is_not_found(
    client, make_booking, cleaning, elder, make_member, day
):
    theirs = make_booking(cleaning, make_member("邻居"), status="completed")
    db.session.commit()
    login(client, elder)
    response = client.get(f"/bookings/new?item={cleaning.id}&day={day}&again={theirs.id}")
    assert response.status_code == 404


# --- the reminder the day before ---------------------------------------------------------------


def reminders(user) -> list[str]:
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id, Notification.kind == "booking_tomorrow")
        .order_by(Notification.id)
    )
    return [render(row) for row in rows]


@pytest.mark.usefixtures("english")
def test_the_resident_is_reminded_the_day_before_once(
    make_booking, cleaning, elder, make_member, provider_owner
):
    daughter = make_member("女儿", age=50)
    link_family(by=elder, elder=elder, relative=daughter)
    tomorrow = local_today() + timedelta(days=1)
    accepted = make_booking(
        cleaning, elder, status="accepted", starts_at=to_utc(tomorrow, time(9)), booked_by=daughter
    )
    make_booking(cleaning, elder, status="declined", starts_at=to_utc(tomorrow, time(14)))
    make_booking(
        cleaning, elder, status="accepted", starts_at=to_utc(tomorrow, time(9)) + timedelta(days=1)
    )

    assert remind_tomorrow() == 2  # the elder, and the daughter who booked
    (message,) = reminders(elder)
    assert message.startswith("Reminder: 日常保洁 from 好帮手家政 tomorrow")
    assert len(reminders(daughter)) == 1 and reminders(provider_owner) == []
    link = db.session.scalar(
        select(Notification.link).where(Notification.kind == "booking_tomorrow")
    )
    assert link == f"/bookings/{accepted.id}"

    assert remind_tomorrow() == 0  # a second run, or a second worker, repeats nothing
    assert (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.kind == "booking_tomorrow")
        )
        == 2
    )


def test_the_reminder_runs_in_the_existing_periodic_job(app):
    cron, work = PERIODIC["notifications_remind"]
    assert work is remind_tomorrow and cron == "0 10 * * *"
    assert "booking_reminder" not in " ".join(PERIODIC)  # no second job for the same evening


def test_the_command_reminds_of_bookings_too(app, make_booking, cleaning, elder):
    tomorrow = local_today() + timedelta(days=1)
    make_booking(cleaning, elder, status="accepted", starts_at=to_utc(tomorrow, time(20)))
    db.session.commit()
    for expected in ("1 reminder(s)", "0 reminder(s)"):
        result = app.test_cli_runner().invoke(args=["notifications", "remind"])
        assert result.exit_code == 0 and expected in result.output, result.output
