"""Confirmation cards of numbered one-time codes (口令卡): issuing, reissuing, revoking, the
box a visit asks for, one code for one visit, the hourly limit; and confirmation by a
coordinator's call-back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.audit_models import AuditEntry
from community.models import Role, utcnow
from community.services import link_family
from extensions import db
from timebank.callbacks import confirm_by_callback
from timebank.cards import (
    CODES_PER_CARD,
    ENTRY_WINDOW,
    LOW_CODES,
    MAX_ATTEMPTS_PER_HOUR,
    CardNotUsable,
    TooManyCardAttempts,
    WrongCardCode,
    active_card,
    attempts_in_last_hour,
    boxes_left,
    card_entry_for,
    cards_running_low,
    confirm_with_card,
    issue_card,
    revoke_card,
)
from timebank.clock import local_today
from timebank.errors import AlreadySettled, InvalidVisit, NotAllowed, NotFound
from timebank.models import RecordStatus, Transfer
from timebank.scheduling import check_in, check_out, schedule_visit
from timebank.visit_models import CardAttempt, CardCode
from timebank.visits import confirm_visit, log_visit

from .support import assert_ledger_clean, balance, key

pytestmark = pytest.mark.usefixtures("english")


def finished(volunteer, elder, coordinator, minutes=30):
    """A visit planned by the elder's coordinator, checked in now and out ``minutes`` later."""
    visit = schedule_visit(
        volunteer=volunteer,
        recipient=elder,
        category="companionship",
        scheduled_date=local_today(),
        scheduled_time=None,
        by=coordinator,
    )
    now = utcnow()
    check_in(visit, by=volunteer, at=now)
    return check_out(visit, by=volunteer, at=now + timedelta(minutes=minutes))


def code_asked(printed, visit, volunteer) -> str:
    """The code the elder reads out: the one in the box this visit asks for."""
    return dict(printed.codes)[card_entry_for(volunteer, visit).position]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def printed(elder, coordinator):
    return issue_card(elder, by=coordinator)


# --- issuing and revoking -----------------------------------------------------------------


def test_a_card_has_numbered_six_digit_codes_stored_only_as_keyed_hashes(printed, elder):
    positions = [position for position, _code in printed.codes]
    codes = [code for _position, code in printed.codes]
    assert positions == list(range(1, CODES_PER_CARD + 1))
    assert all(re.fullmatch(r"\d{6}", code) for code in codes)
    assert len(set(codes)) == CODES_PER_CARD
    stored = db.session.scalars(select(CardCode).where(CardCode.card_id == printed.card.id)).all()
    assert len(stored) == CODES_PER_CARD
    assert all(len(box.code_hash) == 64 and box.code_hash not in codes for box in stored)
    assert not any(code in box.code_hash for box in stored for code in codes)
    assert active_card(elder) == printed.card
    assert boxes_left(printed.card) == CODES_PER_CARD


def test_reissuing_revokes_the_old_card(volunteer, elder, coordinator, printed):
    new = issue_card(elder, by=coordinator)
    assert printed.card.revoked_at is not None and printed.card.revoked_by_id == coordinator.id
    assert active_card(elder) == new.card
    visit = finished(volunteer, elder, coordinator)
    entry = card_entry_for(volunteer, visit)
    old_code = dict(printed.codes)[entry.position]
    if old_code != dict(new.codes)[entry.position]:  # one chance in a million they coincide
        with pytest.raises(WrongCardCode):
            confirm_with_card(visit, old_code, by=volunteer)
    confirm_with_card(visit, dict(new.codes)[entry.position], by=volunteer)
    assert visit.service_record.status == RecordStatus.CONFIRMED


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


def test_a_revoked_card_no_longer_confirms(volunteer, elder, coordinator, printed):
    visit = finished(volunteer, elder, coordinator)
    code = code_asked(printed, visit, volunteer)
    revoke_card(printed.card, by=coordinator)
    assert active_card(elder) is None
    with pytest.raises(CardNotUsable):
        confirm_with_card(visit, code, by=volunteer)
    assert visit.service_record.status == RecordStatus.PENDING
    with pytest.raises(AlreadySettled):
        revoke_card(printed.card, by=coordinator)


# --- the box a visit asks for --------------------------------------------------------------


def test_the_volunteer_enters_the_box_asked_for_and_the_hours_post_for_the_elder(
    volunteer, elder, coordinator, printed
):
    visit = finished(volunteer, elder, coordinator, minutes=30)
    transfer_id = confirm_with_card(visit, code_asked(printed, visit, volunteer), by=volunteer)
    record = visit.service_record
    assert balance(volunteer) == 30
    assert record.status == RecordStatus.CONFIRMED
    assert record.confirmation_method == "card"
    assert record.decided_by_id == volunteer.id
    assert record.decided_on_behalf_of_id == elder.id
    assert db.session.get(Transfer, transfer_id).on_behalf_of_id == elder.id
    assert boxes_left(printed.card) == CODES_PER_CARD - 1
    assert_ledger_clean()


def test_the_box_is_fixed_for_the_visit_so_retries_cannot_shop(
    volunteer, elder, coordinator, printed
):
    visit = finished(volunteer, elder, coordinator)
    asked = card_entry_for(volunteer, visit).position
    assert {card_entry_for(volunteer, visit).position for _ in range(5)} == {asked}
    other_code = next(code for position, code in printed.codes if position != asked)
    with pytest.raises(WrongCardCode, match=f"box {asked}"):
        confirm_with_card(visit, other_code, by=volunteer)
    assert visit.service_record.status == RecordStatus.PENDING


def test_a_used_code_from_a_photographed_card_cannot_confirm_a_later_visit(
    volunteer, elder, coordinator, printed, make_member
):
    first = finished(volunteer, elder, coordinator)
    first_box = card_entry_for(volunteer, first).position
    used = dict(printed.codes)[first_box]
    confirm_with_card(first, used, by=volunteer)
    later = finished(volunteer, elder, coordinator)
    assert card_entry_for(volunteer, later).position != first_box
    with pytest.raises(WrongCardCode):
        confirm_with_card(later, used, by=volunteer)
    # nor can another volunteer's visit, with whichever code they photographed
    stranger = make_member("路人", age=45, is_volunteer=True)
    theirs = finished(stranger, elder, coordinator)
    with pytest.raises(WrongCardCode):
        confirm_with_card(theirs, used, by=stranger)
    assert later.service_record.status == theirs.service_record.status == RecordStatus.PENDING
    assert balance(stranger) == 0


def test_two_visits_never_ask_for_the_same_box(volunteer, elder, coordinator, printed, make_member):
    other = make_member(age=50, is_volunteer=True)
    one, two = finished(volunteer, elder, coordinator), finished(other, elder, coordinator)
    assert card_entry_for(volunteer, one).position != card_entry_for(other, two).position


def test_only_the_visits_volunteer_enters_the_code(volunteer, elder, coordinator, printed):
    visit = finished(volunteer, elder, coordinator)
    code = code_asked(printed, visit, volunteer)
    for actor in (elder, coordinator):
        with pytest.raises(NotAllowed):
            confirm_with_card(visit, code, by=actor)
        with pytest.raises(NotAllowed):
            card_entry_for(actor, visit)
    assert attempts_in_last_hour(elder) == 0


def test_only_after_check_out_and_within_the_hour(volunteer, elder, coordinator, printed):
    visit = schedule_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        scheduled_date=local_today(),
        scheduled_time=None,
        by=coordinator,
    )
    with pytest.raises(NotFound):
        card_entry_for(volunteer, visit)
    check_in(visit, by=volunteer, at=utcnow())
    with pytest.raises(NotFound):
        confirm_with_card(visit, "123456", by=volunteer)
    check_out(visit, by=volunteer, at=utcnow() + timedelta(minutes=10))
    code = code_asked(printed, visit, volunteer)
    too_late = visit.checked_out_at + ENTRY_WINDOW + timedelta(seconds=1)
    with pytest.raises(CardNotUsable, match="within an hour"):
        confirm_with_card(visit, code, by=volunteer, now=too_late)
    assert attempts_in_last_hour(elder, too_late) == 0
    confirm_with_card(visit, code, by=volunteer, now=too_late - timedelta(seconds=2))
    assert visit.service_record.status == RecordStatus.CONFIRMED


def test_a_visit_logged_without_checking_in_and_out_asks_no_box(volunteer, elder, printed):
    record = log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        service_date=local_today(),
        minutes=30,
        entered_by=volunteer,
        idempotency_key=key(),
    )
    assert record.status == RecordStatus.PENDING
    assert (
        db.session.scalar(select(func.count(CardCode.id)).where(CardCode.asked_at.is_not(None)))
        == 0
    )


def test_an_elder_without_a_card_is_not_confirmed_by_code(volunteer, elder, coordinator):
    visit = finished(volunteer, elder, coordinator)
    with pytest.raises(CardNotUsable, match="no confirmation card"):
        card_entry_for(volunteer, visit)
    with pytest.raises(CardNotUsable):
        confirm_with_card(visit, "123456", by=volunteer)


# --- tries -----------------------------------------------------------------------------------


def test_a_wrong_code_posts_nothing_and_counts(volunteer, elder, coordinator, printed):
    visit = finished(volunteer, elder, coordinator)
    code = code_asked(printed, visit, volunteer)
    with pytest.raises(WrongCardCode) as refused:
        confirm_with_card(visit, wrong(code), by=volunteer)
    assert refused.value.http_status == 400
    assert visit.service_record.status == RecordStatus.PENDING and balance(volunteer) == 0
    assert attempts_in_last_hour(elder) == 1


def test_the_sixth_try_within_an_hour_is_refused_even_with_the_right_code_and_counts(
    volunteer, elder, coordinator, printed
):
    visit = finished(volunteer, elder, coordinator)
    code = code_asked(printed, visit, volunteer)
    for _ in range(MAX_ATTEMPTS_PER_HOUR):
        with pytest.raises(WrongCardCode):
            confirm_with_card(visit, wrong(code), by=volunteer)
    with pytest.raises(TooManyCardAttempts) as refused:
        confirm_with_card(visit, code, by=volunteer)
    assert refused.value.http_status == 429
    assert attempts_in_last_hour(elder) == MAX_ATTEMPTS_PER_HOUR + 1
    assert visit.service_record.status == RecordStatus.PENDING and balance(volunteer) == 0


def test_tries_older_than_an_hour_no_longer_count(volunteer, elder, coordinator, printed):
    visit = finished(volunteer, elder, coordinator)
    code = code_asked(printed, visit, volunteer)
    for _ in range(MAX_ATTEMPTS_PER_HOUR):
        with pytest.raises(WrongCardCode):
            confirm_with_card(visit, wrong(code), by=volunteer)
    for attempt in db.session.scalars(select(CardAttempt)):
        attempt.created_at = utcnow() - timedelta(minutes=61)
    db.session.flush()
    confirm_with_card(visit, code, by=volunteer)
    assert balance(volunteer) == 30


# --- the card runs out -----------------------------------------------------------------------


def test_a_card_runs_out_and_the_coordinator_is_told(volunteer, elder, coordinator, printed):
    for box in db.session.scalars(select(CardCode).where(CardCode.card_id == printed.card.id)):
        if box.position > LOW_CODES + 1:
            box.asked_for_record_id = finished(volunteer, elder, coordinator, 1).service_record_id
    db.session.flush()
    assert boxes_left(printed.card) == LOW_CODES + 1
    assert cards_running_low(coordinator) == []
    visit = finished(volunteer, elder, coordinator, 1)
    confirm_with_card(visit, code_asked(printed, visit, volunteer), by=volunteer)
    assert cards_running_low(coordinator) == [(elder, LOW_CODES)]
    other_community_coordinator = volunteer  # a member coordinates nobody
    assert cards_running_low(other_community_coordinator) == []
    for box in db.session.scalars(select(CardCode).where(CardCode.asked_for_record_id.is_(None))):
        box.asked_for_record_id = finished(volunteer, elder, coordinator, 1).service_record_id
    db.session.flush()
    last = finished(volunteer, elder, coordinator, 1)
    with pytest.raises(CardNotUsable, match="Every box"):
        card_entry_for(volunteer, last)


def test_issuing_and_revoking_are_audited(elder, coordinator, printed):
    revoke_card(printed.card, by=coordinator)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.subject_id, e.target) for e in entries[-2:]] == [
        ("card_issued", coordinator.id, elder.id, f"card:{printed.card.id}"),
        ("card_revoked", coordinator.id, elder.id, f"card:{printed.card.id}"),
    ]
    assert '"boxes": 20' in entries[-2].after
    assert '"boxes_left": 20' in entries[-1].before


# --- how a visit was confirmed ------------------------------------------------------------


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


def test_the_card_does_not_let_a_volunteer_confirm_their_own_visit_otherwise(volunteer, elder):
    with pytest.raises(NotAllowed):
        confirm_visit(logged(volunteer, elder), by=volunteer)
