"""Taking back (撤回) one's own gift or donation within UNDO_MINUTES: balances restored
exactly, the ledger still verifies, and never twice, late, or for someone else's step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.models import utcnow
from community.notification_models import Notification
from community.services import link_family
from extensions import db
from tests.conftest import csrf_token, login
from tests.test_simultaneous_submits import press_at_once
from timebank import take_back
from timebank.errors import AlreadySettled, BelowFloor, NotAllowed, NotFound
from timebank.models import Transfer, TransferKind
from timebank.take_back import TooLateToTakeBack, sent_hours_for, take_back_hours
from timebank.transfers import donate_hours, gift_hours

from .support import assert_ledger_clean, balance, fund, key, top_up, transfer_count


@pytest.fixture
def daughter(make_member, elder):
    """The elder's daughter; the elder has 300 minutes to give."""
    daughter = make_member("女儿", age=48)
    link_family(by=elder, elder=elder, relative=daughter, relation="daughter")
    top_up(elder, 300)
    top_up(daughter, 30)
    return daughter


def give(giver, recipient, minutes=120, by=None) -> Transfer:
    transfer_id = gift_hours(
        giver=giver, recipient=recipient, minutes=minutes, by=by or giver, idempotency_key=key()
    )
    return db.session.get(Transfer, transfer_id)


def run_verify(app):
    db.session.commit()
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


# --- the service -------------------------------------------------------------------------


def test_taking_back_a_gift_restores_both_balances_exactly(app, elder, daughter):
    before = (balance(elder), balance(daughter))
    gift = give(elder, daughter, 120)
    assert (balance(elder), balance(daughter)) == (180, 150)

    reversal_id = take_back_hours(gift, by=elder)

    assert (balance(elder), balance(daughter)) == before
    reversal = db.session.get(Transfer, reversal_id)
    assert (reversal.kind, reversal.reverses_id, reversal.entered_by_id) == (
        TransferKind.REVERSAL,
        gift.id,
        elder.id,
    )
    assert (reversal.from_account_id, reversal.to_account_id) == (
        gift.to_account_id,
        gift.from_account_id,
    )
    assert_ledger_clean()
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    # the daughter is told the gift was taken back
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == daughter.id)
    ).all()
    assert "gift_taken_back" in kinds


def test_taking_back_a_donation_empties_the_fund_again(app, elder, community):
    top_up(elder, 90)
    fund_before = fund(community).balance_minutes
    transfer_id = donate_hours(member=elder, minutes=60, by=elder, idempotency_key=key())
    take_back_hours(db.session.get(Transfer, transfer_id), by=elder)
    assert balance(elder) == 90
    db.session.expire_all()
    assert fund(community).balance_minutes == fund_before
    assert run_verify(app).exit_code == 0


def test_after_the_window_it_is_refused_and_nothing_is_written(app, elder, daughter):
    gift = give(elder, daughter)
    count = transfer_count()
    late = gift.created_at + timedelta(minutes=app.config["UNDO_MINUTES"], seconds=1)
    with pytest.raises(TooLateToTakeBack) as refused:
        take_back_hours(gift, by=elder, now=late)
    assert refused.value.http_status == 409
    assert transfer_count() == count
    assert (balance(elder), balance(daughter)) == (180, 150)
    # just inside the window it still works
    take_back_hours(gift, by=elder, now=late - timedelta(seconds=2))
    assert balance(elder) == 300


def test_the_window_is_the_setting(app, elder, daughter):
    app.config["UNDO_MINUTES"] = 2
    gift = give(elder, daughter)
    assert sent_hours_for(elder, gift.id).minutes_left == 2
    with pytest.raises(TooLateToTakeBack):
        take_back_hours(gift, by=elder, now=gift.created_at + timedelta(minutes=3))


def test_only_the_giver_takes_back_their_own_step(elder, daughter, coordinator):
    gift = give(elder, daughter)
    for someone in (daughter, coordinator):
        with pytest.raises(NotAllowed):
            take_back_hours(gift, by=someone)
        with pytest.raises(NotFound):
            sent_hours_for(someone, gift.id)
    # a gift a coordinator entered for the elder is the coordinator's step (the desk reverses it)
    entered_for_her = give(elder, daughter, 60, by=coordinator)
    with pytest.raises(NotAllowed):
        take_back_hours(entered_for_her, by=elder)
    # a visit's hours, a top-up: not a gift or donation of one's own
    top_up_transfer = db.session.scalars(
        select(Transfer).where(Transfer.kind == TransferKind.ADJUSTMENT)
    ).first()
    with pytest.raises(NotAllowed):
        take_back_hours(top_up_transfer, by=elder)


def test_taken_back_once_only(elder, daughter):
    gift = give(elder, daughter)
    take_back_hours(gift, by=elder)
    with pytest.raises(AlreadySettled):
        take_back_hours(gift, by=elder)
    assert balance(elder) == 300
    assert sent_hours_for(elder, gift.id).may_take_back is False


def test_hours_already_spent_cannot_be_taken_back(elder, daughter, make_member):
    gift = give(elder, daughter, 120)
    friend = make_member("朋友")
    link_family(by=daughter, elder=daughter, relative=friend)  # lets her give them on
    gift_hours(giver=daughter, recipient=friend, minutes=150, by=daughter, idempotency_key=key())
    count = transfer_count()
    with pytest.raises(BelowFloor):
        take_back_hours(gift, by=elder)
    assert transfer_count() == count


# --- the pages -----------------------------------------------------------------------------


def _gift_form(client, recipient, minutes="30") -> dict:
    return {
        "csrf_token": csrf_token(client, "/gift"),
        "recipient": recipient.phone,
        "hours": "0",
        "minutes": minutes,
        "idempotency_key": key(),
    }


@pytest.mark.usefixtures("english_pages")
def test_the_gift_page_offers_take_back_then_takes_it_back(app, client, elder, daughter):
    login(client, elder)
    response = client.post("/gift", data=_gift_form(client, daughter))
    assert response.status_code == 302
    sent_path = response.headers["Location"]
    assert re.fullmatch(r"/hours/sent/\d+", sent_path)
    page = client.get(sent_path).get_data(as_text=True)
    assert "You gave 30 min to 女儿." in page
    assert re.search(r"Take back \((10|9) min left\)", page)
    statement = client.get("/statement").get_data(as_text=True)
    assert 'data-testid="take-back"' in statement

    form = {"csrf_token": csrf_token(client, sent_path)}
    response = client.post(f"{sent_path}/take-back", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    assert (balance(elder), balance(daughter)) == (300, 30)
    page = client.get(sent_path).get_data(as_text=True)
    assert "Taken back" in page and "Take back (" not in page
    statement = client.get("/statement").get_data(as_text=True)
    assert 'data-testid="take-back"' not in statement
    assert f"Entry {sent_path.rsplit('/', 1)[1]} taken back" in statement
    assert run_verify(app).exit_code == 0


@pytest.mark.usefixtures("english_pages")
def test_the_pages_refuse_late_and_foreign_take_backs(app, client, elder, daughter, monkeypatch):
    gift = give(elder, daughter)
    db.session.commit()
    path = f"/hours/sent/{gift.id}"
    # someone else: not even the page
    login(client, daughter)
    assert client.get(path).status_code == 404
    token = csrf_token(client, "/hours")
    assert client.post(f"{path}/take-back", data={"csrf_token": token}).status_code == 404
    client.post("/logout", data={"csrf_token": token})

    login(client, elder)
    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(take_back, "utcnow", lambda: later)
    page = client.get(path).get_data(as_text=True)
    assert "Take back (" not in page and "The time to take it back is over" in page
    count = transfer_count()
    response = client.post(f"{path}/take-back", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    assert "can no longer be taken back" in response.get_data(as_text=True)
    db.session.expire_all()
    assert transfer_count() == count and balance(elder) == 180


def test_ten_take_backs_at_once_take_back_once(app, client, live_server, elder, daughter):
    gift = give(elder, daughter, 120)
    db.session.commit()
    login(client, elder)
    path = f"/hours/sent/{gift.id}"
    statuses = press_at_once(client, live_server, path, f"{path}/take-back")
    assert statuses == [302] + [409] * 9, statuses
    db.session.expire_all()
    reversals = db.session.scalars(select(Transfer).where(Transfer.reverses_id == gift.id)).all()
    assert len(reversals) == 1
    assert (balance(elder), balance(daughter)) == (300, 30)
    assert run_verify(app).exit_code == 0
