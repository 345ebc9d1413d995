"""The booking state machine: every (from, to) pair of statuses, allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from marketplace.booking_models import BOOKING_STATUSES
from marketplace.errors import TransitionNotAllowed
from marketplace.states import ALLOWED, FINAL, check_transition, may_move

# Written out here, not read from ALLOWED, so a change to the machine has to change this too.
EXPECTED = {
    ("pending_payment", "requested"),
    ("pending_payment", "expired"),
    ("pending_payment", "cancelled"),
    ("requested", "accepted"),
    ("requested", "declined"),
    ("requested", "expired"),
    ("requested", "cancelled"),
    ("accepted", "completed"),
    ("accepted", "cancelled"),
    ("accepted", "no_show"),
    ("accepted", "disputed"),
    ("completed", "disputed"),
    ("no_show", "disputed"),
    ("disputed", "completed"),
    ("disputed", "refunded"),
    ("disputed", "cancelled"),
}
PAIRS = list(itertools.product(BOOKING_STATUSES, repeat=2))


def test_the_machine_knows_every_status():
    assert set(ALLOWED) == set(BOOKING_STATUSES)
    assert {(a, b) for a, nexts in ALLOWED.items() for b in nexts} == EXPECTED
    assert {"declined", "expired", "cancelled", "refunded"} == FINAL


@pytest.mark.parametrize(("from_status", "to_status"), sorted(p for p in PAIRS if p in EXPECTED))
def test_allowed(from_status, to_status):
    assert may_move(from_status, to_status)
    check_transition(from_status, to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status"), sorted(p for p in PAIRS if p not in EXPECTED)
)
def test_refused(from_status, to_status):
    assert not may_move(from_status, to_status)
    with pytest.raises(TransitionNotAllowed) as refused:
        check_transition(from_status, to_status)
    assert refused.value.http_status == 409


def test_an_unknown_status_moves_nowhere():
    assert not may_move("lost", "requested")
