"""A provider's answer is due before the service starts: a lunch at 11:00 booked at
10:10 must never say "they will answer by 11:10"."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from marketplace.bookings import answer_deadline
from marketplace.clock import to_utc

from .booking_support import book

START = datetime(2026, 12, 5, 3, 0)  # 11:00 in Shanghai, stored as naive UTC


@pytest.mark.parametrize(
    ("booked_before", "response_hours", "answer_before"),
    [
        (timedelta(days=3), 24, timedelta(days=2)),  # the usual response time fits
        (timedelta(hours=10), 24, timedelta(hours=1)),  # capped an hour before the start
        (timedelta(hours=3), 1, timedelta(hours=2)),  # the usual hour is early enough
        (timedelta(minutes=50), 1, timedelta(minutes=25)),  # short notice: halfway
        (timedelta(minutes=50), 24, timedelta(minutes=25)),
        (timedelta(minutes=4), 1, timedelta(minutes=2)),
    ],
)
def test_the_answer_is_due_before_the_start(booked_before, response_hours, answer_before):
    now = START - booked_before
    deadline = answer_deadline(now, START, response_hours)
    assert deadline == START - answer_before
    assert now < deadline < START


def test_a_booking_at_short_notice_is_answered_before_it(elder, provider, cleaning, day, slots):
    provider.min_notice_hours = 0
    provider.response_hours = 1
    starts_at = to_utc(day, time(9))
    now = starts_at - timedelta(minutes=50)  # booked at 8:10 for 9:00
    booking = book(elder, cleaning, day, slots["morning"], now=now)
    assert booking.expires_at == starts_at - timedelta(minutes=25)  # 8:35, not 9:10
