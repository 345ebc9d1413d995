"""Group-session pages: what a coordinator sees happen (who may open and post what is in
test_views_permissions)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from tests.conftest import csrf_token, login
from tests.timebank.support import assert_ledger_clean, balance, key, transfer_count
from timebank.clock import local_today
from timebank.group_session_models import GroupSession
from timebank.group_sessions import log_group_session

TODAY = local_today()
KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture
def participant(make_member):
    return make_member("参加者", age=58, is_volunteer=True)


@pytest.fixture
def scene(community, people, participant):
    session = log_group_session(
        community=community,
        title="中秋游园会",
        category="companionship",
        held_on=TODAY,
        minutes=60,
        participant_lines=[participant.phone],
        by=people["coordinator"],
        idempotency_key=key(),
    )
    db.session.commit()
    return {"session": session.id, "community": community.id}


def form_for(client, path: str, **fields) -> dict:
    page = client.get(path).get_data(as_text=True)
    return {
        "csrf_token": csrf_token(client, path),
        "idempotency_key": KEY_RE.search(page).group(1),
        "title": "重阳节生日会",
        "category": "companionship",
        "held_on": TODAY.isoformat(),
        "minutes": "120",
        "participants": "",
        "note": "",
    } | fields


def test_a_coordinator_logs_a_party_and_everyone_sees_their_hours(client, people, make_member):
    helpers = [make_member(f"志愿者{i}", age=60, is_volunteer=True) for i in range(3)]
    login(client, people["coordinator"])
    lines = "\n".join([helpers[0].phone, f"#{helpers[1].id}", f"{helpers[2].phone}, 90"])
    response = client.post("/groups/new", data=form_for(client, "/groups/new", participants=lines))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 participants were credited" in page
    assert "Group session: 重阳节生日会" in page
    assert all(h.display_name in page for h in helpers)
    assert "In all: 5 h 30 min" in page
    assert [balance(h) for h in helpers] == [120, 120, 90]
    listing = client.get("/groups/").get_data(as_text=True)
    assert "重阳节生日会" in listing
    assert_ledger_clean()


def test_the_other_communitys_coordinator_does_not_see_the_session_listed(client, people, scene):
    login(client, people["other_coordinator"])
    assert "中秋游园会" not in client.get("/groups/").get_data(as_text=True)


def test_an_unknown_line_is_named_and_nothing_is_posted(client, people):
    login(client, people["coordinator"])
    lines = f"{people['volunteer'].phone}\n13800000000"
    transfers = transfer_count()
    response = client.post("/groups/new", data=form_for(client, "/groups/new", participants=lines))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Line 2: no member found for “13800000000”." in page
    assert "13800000000" in page  # the textarea keeps what was typed
    assert transfer_count() == transfers and balance(people["volunteer"]) == 0


def test_one_participant_over_the_daily_cap_stops_the_whole_session(
    client, people, participant, scene
):
    login(client, people["coordinator"])
    # the participant already has 1 hour today; 8 more would pass the 8-hour cap
    lines = f"{people['volunteer'].phone}\n{participant.phone}"
    fields = form_for(client, "/groups/new", participants=lines, minutes="480")
    transfers = transfer_count()
    response = client.post("/groups/new", data=fields)
    assert response.status_code == 409
    assert "Line 2: 参加者 can earn at most 8 hours a day" in response.get_data(as_text=True)
    assert transfer_count() == transfers
    assert balance(people["volunteer"]) == 0 and balance(participant) == 60
    assert db.session.scalar(select(func.count(GroupSession.id))) == 1
    assert_ledger_clean()


def test_duplicates_and_future_dates_are_refused(client, people):
    login(client, people["coordinator"])
    phone = people["volunteer"].phone
    twice = form_for(client, "/groups/new", participants=f"{phone}\n{phone}")
    response = client.post("/groups/new", data=twice)
    assert response.status_code == 400
    assert "Lines 1 and 2 both name 李志愿." in response.get_data(as_text=True)
    future = form_for(client, "/groups/new", participants=phone)
    future["held_on"] = (TODAY + timedelta(days=1)).isoformat()
    response = client.post("/groups/new", data=future)
    assert response.status_code == 400
    assert "A group session cannot be in the future." in response.get_data(as_text=True)
    assert balance(people["volunteer"]) == 0


def test_a_replayed_form_is_409_and_posts_once(client, people):
    login(client, people["coordinator"])
    fields = form_for(client, "/groups/new", participants=people["volunteer"].phone)
    assert client.post("/groups/new", data=fields).status_code == 302
    replay = client.post("/groups/new", data=fields)
    assert replay.status_code == 409
    assert "This form was already sent once." in replay.get_data(as_text=True)
    assert balance(people["volunteer"]) == 120
