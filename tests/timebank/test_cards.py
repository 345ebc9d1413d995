"""Confirmation cards (issue, reissue, revoke, the code as the elder's confirmation, the
hourly limit) and confirmation by a coordinator's call-back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from community.models import Role, utcnow
from community.services import link_family
from extensions import db
from timebank.cards import (
    MAX_ATTEMPTS_PER_HOUR,
    TooManyCardAttempts,
    WrongCardCode,
    active_card,
    attempts_in_last_hour,
    confirm_by_callback,
    confirm_with_card,
    issue_card,
    revoke_card,
)
from timebank.clock import local_today
from timebank.errors import AlreadySettled, InvalidVisit, NotAllowed
from timebank.models import RecordStatus, Transfer
from timebank.visit_models import CardAttempt
from timebank.visits import confirm_visit, log_visit

from .support import assert_ledger_clean, balance, key

pytestmark = pytest.mark.usefixtures("english")


def logged(volunteer, elder, minutes=60):
    return log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        service_date=local_today(),
        minutes=minutes,
        entered_by=volunteer,
        idempotency_key=key(),
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- issuing and revoking -----------------------------------------------------------------


def test_a_card_has_a_six_digit_code_stored_only_hashed(elder, coordinator):
    card, code = issue_card(elder, by=coordinator)
    assert len(code) == 6 and code.isdigit()
    assert code not in card.code_hash
    assert check_password_hash(card.code_hash, code)
    assert active_card(elder) == card


def test_reissuing_revokes_the_old_card(volunteer, elder, coordinator):
    old, old_code = issue_card(elder, by=coordinator)
    new, new_code = issue_card(elder, by=coordinator)
    assert old.revoked_at is not None and old.revoked_by_id == coordinator.id
    assert active_card(elder) == new
    record = logged(volunteer, elder)
    if old_code != new_code:  # one chance in a million they coincide
        with pytest.raises(WrongCardCode):
            confirm_with_card(record, old_code, by=volunteer)
    confirm_with_card(record, new_code, by=volunteer)
    assert record.status == RecordStatus.CONFIRMED


@pytest.mark.parametrize("who", ["elder", "volunteer", "other_coordinator"])
def test_only_a_coordinator_of_the_elder_issues_cards(
    who, elder, volunteer, make_member, make_community
):
    actor = {
        "elder": elder,
        "volunteer": volunteer,
        "other_coordinator": make_member(age=40, role=Role.COORDINATOR, community=make_community()),
    }[who]
    with pytest.raises(NotAllowed):
        issue_card(elder, by=actor)
    assert active_card(elder) is None


def test_a_revoked_card_no_longer_confirms(volunteer, elder, coordinator):
    card, code = issue_card(elder, by=coordinator)
    revoke_card(card, by=coordinator)
    assert active_card(elder) is None
    record = logged(volunteer, elder)
    with pytest.raises(WrongCardCode):
        confirm_with_card(record, code, by=volunteer)
    assert record.status == RecordStatus.PENDING
    with pytest.raises(AlreadySettled):
        revoke_card(card, by=coordinator)


# --- the code as the elder's confirmation -------------------------------------------------


def test_the_volunteer_enters_the_code_and_the_hours_post_for_the_elder(
    volunteer, elder, coordinator
):
    _, code = issue_card(elder, by=coordinator)
    record = logged(volunteer, elder, 60)
    transfer_id = confirm_with_card(record, code, by=volunteer)
    assert balance(volunteer) == 60
    assert record.status == RecordStatus.CONFIRMED
    assert record.confirmation_method == "card"
    assert record.decided_by_id == volunteer.id
    assert record.decided_on_behalf_of_id == elder.id
    assert db.session.get(Transfer, transfer_id).on_behalf_of_id == elder.id
    assert_ledger_clean()


def test_the_card_does_not_let_a_volunteer_confirm_their_own_visit_otherwise(volunteer, elder):
    record = logged(volunteer, elder)
    with pytest.raises(NotAllowed):
        confirm_visit(record, by=volunteer)


def test_only_the_visits_volunteer_enters_the_code(volunteer, elder, coordinator, make_member):
    _, code = issue_card(elder, by=coordinator)
    record = logged(volunteer, elder)
    with pytest.raises(NotAllowed):
        confirm_with_card(record, code, by=make_member(age=50, is_volunteer=True))
    assert attempts_in_last_hour(elder) == 0


def test_a_wrong_code_posts_nothing_and_counts(volunteer, elder, coordinator):
    _, code = issue_card(elder, by=coordinator)
    record = logged(volunteer, elder)
    with pytest.raises(WrongCardCode) as refused:
        confirm_with_card(record, wrong(code), by=volunteer)
    assert refused.value.http_status == 400
    assert record.status == RecordStatus.PENDING and balance(volunteer) == 0
    assert attempts_in_last_hour(elder) == 1


def test_an_elder_without_a_card_cannot_be_confirmed_by_code(volunteer, elder):
    with pytest.raises(WrongCardCode):
        confirm_with_card(logged(volunteer, elder), "123456", by=volunteer)


def test_the_sixth_try_within_an_hour_is_refused_even_with_the_right_code(
    volunteer, elder, coordinator
):
    _, code = issue_card(elder, by=coordinator)
    record = logged(volunteer, elder)
    for _ in range(MAX_ATTEMPTS_PER_HOUR):
        with pytest.raises(WrongCardCode):
            confirm_with_card(record, wrong(code), by=volunteer)
    with pytest.raises(TooManyCardAttempts) as refused:
        confirm_with_card(record, code, by=volunteer)
    assert refused.value.http_status == 429
    assert record.status == RecordStatus.PENDING and balance(volunteer) == 0


def test_tries_older_than_an_hour_no_longer_count(volunteer, elder, coordinator):
    _, code = issue_card(elder, by=coordinator)
    record = logged(volunteer, elder)
    for _ in range(MAX_ATTEMPTS_PER_HOUR):
        with pytest.raises(WrongCardCode):
            confirm_with_card(record, wrong(code), by=volunteer)
    for attempt in db.session.scalars(db.select(CardAttempt)):
        attempt.created_at = utcnow() - timedelta(minutes=61)
    db.session.flush()
    confirm_with_card(record, code, by=volunteer)
    assert balance(volunteer) == 60


# --- how a visit was confirmed ------------------------------------------------------------


def test_a_call_back_is_recorded_as_such(volunteer, elder, coordinator):
    record = logged(volunteer, elder, 30)
    confirm_by_callback(record, by=coordinator, note="Phoned at 15:00; she was pleased.")
    assert balance(volunteer) == 30
    assert record.confirmation_method == "callback"
    assert record.decided_by_id == coordinator.id and record.decided_on_behalf_of_id == elder.id
    assert record.decision_note == "Phoned at 15:00; she was pleased."


def test_a_call_back_needs_a_note_and_a_coordinator_of_the_elder(
    volunteer, elder, make_member, make_community, coordinator
):
    record = logged(volunteer, elder)
    with pytest.raises(InvalidVisit):
        confirm_by_callback(record, by=coordinator, note="  ")
    other = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    for actor in (other, volunteer, elder):
        with pytest.raises(NotAllowed):
            confirm_by_callback(record, by=actor, note="called")
    assert record.status == RecordStatus.PENDING


@pytest.mark.parametrize("who, method", [("elder", "online"), ("son", "family")])
def test_confirming_online_records_who_confirmed(who, method, volunteer, elder, make_member):
    son = make_member("王建国", age=50)
    link_family(elder=elder, relative=son, by=elder, relation="son")
    record = logged(volunteer, elder)
    confirm_visit(record, by={"elder": elder, "son": son}[who])
    assert record.confirmation_method == method
