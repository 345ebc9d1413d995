"""Who is told what when a booking moves or a provider is decided (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.notification_models import Notification
from community.notifications import render
from community.services import link_family
from extensions import db
from marketplace import providers, transitions
from marketplace.errors import TransitionNotAllowed
from marketplace.models import ProviderStatus

from .booking_support import book

pytestmark = pytest.mark.usefixtures("english")


def inbox(user) -> list[str]:
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [render(row) for row in rows]


def test_the_provider_hears_of_a_new_booking_and_the_resident_of_the_answer(
    elder,
    provider,
    provider_owner,
    cleaning,
    day,
    slots,
):
    booking = book(elder, cleaning, day, slots["morning"])
    (asked,) = inbox(provider_owner)
    assert "New booking to answer" in asked and "日常保洁" in asked and elder.display_name in asked
    assert inbox(elder) == []

    transitions.accept(booking, by=provider_owner)
    (answer,) = inbox(elder)
    assert answer.startswith(f"{provider.name} accepted your booking: 日常保洁")
    assert len(inbox(provider_owner)) == 1  # nobody is told of their own step


def test_family_who_booked_hear_the_answer_too(
    make_member,
    elder,
    provider_owner,
    cleaning,
    day,
    slots,
):
    son = make_member("儿子", age=50)
    link_family(by=elder, elder=elder, relative=son)
    booking = book(son, cleaning, day, slots["morning"], resident_id=elder.id)
    transitions.decline(booking, by=provider_owner, reason="没有人手")
    for person in (elder, son):
        (told,) = inbox(person)
        assert "cannot take your booking" in told and "Nothing was charged" in told


def test_a_cancellation_is_told_to_the_other_side(
    elder,
    provider_owner,
    cleaning,
    day,
    slots,
):
    by_resident = book(elder, cleaning, day, slots["morning"])
    transitions.cancel(by_resident, by=elder)
    assert "A booking was cancelled" in inbox(provider_owner)[-1]
    assert inbox(elder) == []

    by_provider = book(elder, cleaning, day, slots["afternoon"])
    transitions.cancel(by_provider, by=provider_owner)
    (told,) = inbox(elder)
    assert "A booking was cancelled" in told


def test_a_booking_nobody_answered_is_told_to_the_resident(
    elder,
    cleaning,
    day,
    slots,
):
    booking = book(elder, cleaning, day, slots["morning"])
    transitions.expire_due(booking.expires_at + timedelta(minutes=1))
    (told,) = inbox(elder)
    assert "did not answer your booking in time" in told


def test_the_owner_hears_the_coordinators_decision(make_provider, make_member, coordinator):
    owner = make_member("新服务商", age=40)
    applied = make_provider(
        "新家政", owner=owner, status=ProviderStatus.APPLIED, categories="housekeeping"
    )
    providers.verify_provider(applied.id, by=coordinator)
    assert inbox(owner) == ["新家政 is checked: residents can now find and book it."]
    providers.suspend_provider(applied.id, by=coordinator, reason="投诉较多，暂停核查")
    assert inbox(owner)[-1] == "新家政 is not shown to residents: 投诉较多，暂停核查"


def test_no_one_is_told_twice_when_a_step_is_refused(elder, provider_owner, cleaning, day, slots):
    booking = book(elder, cleaning, day, slots["morning"])
    transitions.accept(booking, by=provider_owner)
    with pytest.raises(TransitionNotAllowed):
        transitions.accept(booking, by=provider_owner)
    assert len(inbox(elder)) == 1
