"""Group-session pages: who may open and post what, and what a coordinator sees happen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.models import Role
from extensions import db
from tests.conftest import csrf_token, login
from tests.timebank.support import assert_ledger_clean, balance, key, transfer_count
from timebank.clock import local_today
from timebank.group_session_models import GroupSession
from timebank.group_sessions import log_group_session

TODAY = local_today()
KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


@pytest.fixture
def other_community(make_community):
    return make_community("金狮河沿社区")


@pytest.fixture
def people(make_member, other_community, volunteer, elder, coordinator):
    return {
        "member": elder,
        "volunteer": volunteer,
        "participant": make_member("参加者", age=58, is_volunteer=True),
        "coordinator": coordinator,
        "other_coordinator": make_member(
            "外社工", age=41, role=Role.COORDINATOR, community=other_community
        ),
        "street_admin": make_member("街道管理员", age=45, role=Role.STREET_ADMIN),
    }


@pytest.fixture
def scene(community, people):
    session = log_group_session(
        community=community,
        title="中秋游园会",
        category="companionship",
        held_on=TODAY,
        minutes=60,
        participant_lines=[people["participant"].phone],
        by=people["coordinator"],
        idempotency_key=key(),
    )
    db.session.commit()
    return {"session": session.id, "community": community.id}


def english(client) -> None:
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/")})


ROUTES = {
    "/groups/": {"coordinator": 200, "other_coordinator": 200, "street_admin": 200},
    "/groups/new": {"coordinator": 200, "other_coordinator": 200, "street_admin": 200},
    "/groups/new?community={community}": {"coordinator": 200, "street_admin": 200},
    "/groups/{session}": {"participant": 200, "coordinator": 200, "street_admin": 200},
}
WHO = ("member", "volunteer", "participant", "coordinator", "other_coordinator", "street_admin")
TABLE = [(path, who, expected.get(who, 403)) for path, expected in ROUTES.items() for who in WHO]


@pytest.mark.parametrize(("path", "who", "status"), TABLE)
def test_who_may_open_group_pages(client, people, scene, path, who, status):
    login(client, people[who])
    assert client.get(path.format(**scene)).status_code == status


@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(client, scene, path):
    response = client.get(path.format(**scene))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_unknown_sessions_and_communities_are_404(client, people):
    login(client, people["coordinator"])
    assert client.get("/groups/999999").status_code == 404
    assert client.get("/groups/new?community=999999").status_code == 404


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


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 403),
        ("volunteer", 403),
        ("other_coordinator", 403),
        ("coordinator", 302),
        ("street_admin", 302),
    ],
)
def test_who_may_log_a_session_for_this_community(client, people, scene, who, status):
    login(client, people[who])
    path = f"/groups/new?community={scene['community']}"
    fields = {"csrf_token": csrf_token(client, "/"), "idempotency_key": key()}
    fields |= {"title": "读书会", "category": "companionship", "held_on": TODAY.isoformat()}
    fields |= {"minutes": "30", "participants": people["volunteer"].phone}
    assert client.post(path, data=fields).status_code == status
    assert balance(people["volunteer"]) == (30 if status == 302 else 0)


def test_a_coordinator_logs_a_party_and_everyone_sees_their_hours(client, people, make_member):
    helpers = [make_member(f"志愿者{i}", age=60, is_volunteer=True) for i in range(3)]
    login(client, people["coordinator"])
    english(client)
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
    english(client)
    lines = f"{people['volunteer'].phone}\n13800000000"
    transfers = transfer_count()
    response = client.post("/groups/new", data=form_for(client, "/groups/new", participants=lines))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Line 2: no member found for “13800000000”." in page
    assert "13800000000" in page  # the textarea keeps what was typed
    assert transfer_count() == transfers and balance(people["volunteer"]) == 0


def test_one_participant_over_the_daily_cap_stops_the_whole_session(client, people, scene):
    login(client, people["coordinator"])
    english(client)
    # the participant already has 1 hour today; 8 more would pass the 8-hour cap
    lines = f"{people['volunteer'].phone}\n{people['participant'].phone}"
    fields = form_for(client, "/groups/new", participants=lines, minutes="480")
    transfers = transfer_count()
    response = client.post("/groups/new", data=fields)
    assert response.status_code == 409
    assert "Line 2: 参加者 can earn at most 8 hours a day" in response.get_data(as_text=True)
    assert transfer_count() == transfers
    assert balance(people["volunteer"]) == 0 and balance(people["participant"]) == 60
    assert db.session.scalar(select(func.count(GroupSession.id))) == 1
    assert_ledger_clean()


def test_duplicates_and_future_dates_are_refused(client, people):
    login(client, people["coordinator"])
    english(client)
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
    english(client)
    fields = form_for(client, "/groups/new", participants=people["volunteer"].phone)
    assert client.post("/groups/new", data=fields).status_code == 302
    replay = client.post("/groups/new", data=fields)
    assert replay.status_code == 409
    assert "This form was already sent once." in replay.get_data(as_text=True)
    assert balance(people["volunteer"]) == 120
