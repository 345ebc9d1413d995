"""The QR code on an elder's card: scanned with a phone's own camera, it opens the card page
of the signed-in volunteer's visit to that elder, and nothing for anyone else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import segno

from community.models import utcnow
from extensions import db
from tests.conftest import csrf_token, login
from timebank.card_qr import card_scan_url
from timebank.cards import ENTRY_WINDOW, card_by_public_id, card_public_id, issue_card, revoke_card
from timebank.clock import local_today
from timebank.scheduling import check_in, schedule_visit

from .test_cards import finished

pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture
def printed(elder, coordinator):
    return issue_card(elder, by=coordinator)


def scan_path(card) -> str:
    return f"/rounds/scan/{card_public_id(card)}"


def test_the_public_id_cannot_be_made_up(app, printed, elder, coordinator):
    public_id = card_public_id(printed.card)
    assert re.fullmatch(rf"{printed.card.id}-[a-z2-7]{{16}}", public_id)
    assert card_by_public_id(public_id) == printed.card
    for forged in (f"{printed.card.id}", f"{printed.card.id}-{'a' * 16}", "x-y", "", "9" * 40):
        assert card_by_public_id(forged) is None
    other = issue_card(elder, by=coordinator).card  # reissued: a new card, a new id
    assert card_public_id(other) != public_id


def test_the_printed_card_carries_the_qr_of_its_scan_page(app, client, elder, coordinator):
    db.session.commit()
    login(client, coordinator)
    path = f"/rounds/cards/{elder.id}"
    page = client.post(f"{path}/issue", data={"csrf_token": csrf_token(client, path)}).get_data(
        as_text=True
    )
    assert 'data-testid="card-qr"' in page and '<svg viewBox="0 0 ' in page
    from timebank.cards import active_card

    card = active_card(elder)
    url = card_scan_url(card)
    assert url.endswith(scan_path(card)) and url.startswith("http")
    # the drawing is the QR code of that very address
    expected = segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True)
    drawn = re.search(r'<path class="qrline"[^>]*d="([^"]+)"', page).group(1)
    assert drawn in expected


def test_scanning_opens_the_volunteers_card_page(client, printed, volunteer, elder, coordinator):
    visit = finished(volunteer, elder, coordinator)
    db.session.commit()
    login(client, volunteer)
    response = client.get(scan_path(printed.card))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/rounds/visits/{visit.id}/card"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "read out the number in box" in page


def test_scanning_during_the_visit_asks_to_check_out_first(
    client, printed, volunteer, elder, coordinator
):
    visit = schedule_visit(
        volunteer=volunteer,
        recipient=elder,
        category="companionship",
        scheduled_date=local_today(),
        scheduled_time=None,
        by=coordinator,
    )
    check_in(visit, by=volunteer, at=utcnow())
    db.session.commit()
    login(client, volunteer)
    response = client.get(scan_path(printed.card))
    assert response.headers["Location"] == f"/rounds/visits/{visit.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check out of the visit first" in page


def test_scanning_refuses_everyone_else(
    client, printed, volunteer, elder, coordinator, family, make_member
):
    finished(volunteer, elder, coordinator)
    stranger = make_member("别的志愿者", is_volunteer=True)
    db.session.commit()
    for someone in (stranger, elder, family, coordinator):
        login(client, someone)
        response = client.get(scan_path(printed.card))
        assert response.status_code == 404, someone.display_name
        assert elder.display_name not in response.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/hours")})


def test_scanning_signed_out_asks_to_sign_in_first(client, printed):
    db.session.commit()
    response = client.get(scan_path(printed.card))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_revoked_card_or_a_late_scan_opens_nothing(
    client, printed, volunteer, elder, coordinator, monkeypatch
):
    finished(volunteer, elder, coordinator)
    db.session.commit()
    login(client, volunteer)
    from timebank import cards

    later = utcnow() + ENTRY_WINDOW + timedelta(minutes=31)
    monkeypatch.setattr(cards, "utcnow", lambda: later)
    assert client.get(scan_path(printed.card)).status_code == 404
    monkeypatch.undo()
    revoke_card(printed.card, by=coordinator)
    db.session.commit()
    assert client.get(scan_path(printed.card)).status_code == 404
