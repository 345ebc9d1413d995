"""The marketplace's part of "等您办的事" (marketplace.waiting): services marked done wait
for the resident's side to confirm, completed bookings wait to be rated (待评价) while
they may be; a provider marking a booking done asks the resident, and the booking's
status and history say so in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from community.models import utcnow
from community.notifications import inbox, render
from community.services import link_family
from marketplace import transitions
from marketplace.formatting import booking_state
from marketplace.reviews import create_review
from timebank.waiting import waiting_for

pytestmark = pytest.mark.usefixtures("english")


def items(member, group: int = 0) -> list[tuple[str, int]]:
    return [(item.kind, item.values["booking_id"]) for item in waiting_for(member)[group].items]


def test_a_service_marked_done_waits_for_the_residents_confirmation(
    make_booking, cleaning, elder, provider_owner
):
    start = utcnow() - timedelta(hours=3)
    booking = make_booking(cleaning, elder, status="accepted", starts_at=start)
    assert items(elder) == []  # accepted, not done yet: nothing for the elder to do
    transitions.deliver(booking, by=provider_owner)
    assert items(elder) == [("service_to_confirm", booking.id)]
    item = waiting_for(elder)[0].items[0]
    assert str(item.text).startswith(f"{booking.provider.name} says 日常保洁 (")
    assert str(item.text).endswith("is done. Please confirm it.")
    assert item.endpoint == "bookings.show"
    assert booking_state(booking) == "Done, waiting for confirmation"
    with force_locale("zh_CN"):
        assert booking_state(booking) == "服务已完成，待确认"
        # the history's step is the provider's marking, not a second "accepted"
        assert transitions.event_step(booking.events[-1]) == "服务商标记服务已完成"
    # the notice asks to confirm, and is not a second "accepted"
    [notice] = inbox(elder)
    assert notice.kind == "booking_delivered"
    assert render(notice).endswith("is done. Please confirm it.")


def test_a_confirmed_booking_waits_to_be_rated_until_it_is_rated(
    make_booking, cleaning, elder, provider_owner
):
    start = utcnow() - timedelta(hours=3)
    booking = make_booking(cleaning, elder, status="accepted", starts_at=start)
    transitions.deliver(booking, by=provider_owner)
    transitions.confirm(booking, by=elder)
    assert items(elder) == [("booking_to_rate", booking.id)]
    item = waiting_for(elder)[0].items[0]
    assert str(item.tag) == "To rate"
    with force_locale("zh_CN"):
        assert str(item.tag) == "待评价"
    assert (item.endpoint, dict(item.values)) == ("reviews.new", {"booking_id": booking.id})
    create_review(by=elder, booking_id=booking.id, stars=5, text="很好")
    assert items(elder) == []


def test_a_booking_past_its_rating_window_no_longer_waits(make_booking, cleaning, elder):
    long_ago = utcnow() - timedelta(days=20)
    make_booking(cleaning, elder, status="completed", starts_at=long_ago, completed_at=long_ago)
    assert items(elder) == []


def test_family_who_may_book_see_the_elders_bookings_others_do_not(
    make_booking, cleaning, elder, family, make_member
):
    recent = utcnow() - timedelta(days=1)
    booking = make_booking(
        cleaning, elder, status="completed", starts_at=recent, completed_at=recent
    )
    assert items(family, group=1) == [("booking_to_rate", booking.id)]
    confirms_only = make_member("只确认", age=45)
    link_family(by=elder, elder=elder, relative=confirms_only, may_book=False)
    assert items(confirms_only, group=1) == []
    stranger = make_member("路人", age=40)
    assert [g.items for g in waiting_for(stranger)] == [[]]


def test_paid_on_site_tells_nobody_a_second_time(make_booking, cleaning, elder, provider_owner):
    start = utcnow() - timedelta(hours=3)
    booking = make_booking(cleaning, elder, status="accepted", starts_at=start)
    transitions.mark_paid_on_site(booking, by=provider_owner)
    assert inbox(elder) == []
