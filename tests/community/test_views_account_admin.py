"""The account buttons on a member's page (/members/<id>): which ones each staff member
sees, and what pressing them does or refuses."""

from __future__ import annotations

import pytest

from community.models import Role, User
from extensions import db
from tests.conftest import csrf_token, login


def fresh(member: User) -> User:
    db.session.expire_all()
    return db.session.get(User, member.id)


def press(client, path: str, **data):
    token = csrf_token(client, "/")
    return client.post(path, data={**data, "csrf_token": token})


@pytest.mark.parametrize(
    "who, shown, hidden",
    [
        ("coordinator", ["/password-reset", "/suspend"], ["/role", "/reinstate", "/unlock"]),
        ("street_admin", ["/password-reset", "/suspend", "/role"], ["/reinstate", "/unlock"]),
    ],
)
def test_the_page_offers_what_its_reader_may_do(client, people, who, shown, hidden):
    elder = people["elder"]
    login(client, people[who])
    page = client.get(f"/members/{elder.id}").get_data(as_text=True)
    for action in shown:
        assert f"/members/{elder.id}{action}" in page, action
    for action in hidden:
        assert f"/members/{elder.id}{action}" not in page, action


def test_suspending_asks_why_then_ends_the_members_sessions(app, client, people, english_pages):
    elder = people["elder"]
    elder_device = app.test_client()
    login(elder_device, elder)
    login(client, people["coordinator"])
    assert client.get(f"/members/{elder.id}/suspend").status_code == 200
    empty = press(client, f"/members/{elder.id}/suspend", reason="  ")
    assert empty.status_code == 400 and fresh(elder).is_active_member
    done = press(client, f"/members/{elder.id}/suspend", reason="lost phone, asked us to")
    assert done.status_code == 302
    assert not fresh(elder).is_active_member
    assert elder_device.get("/").status_code == 302  # signed out
    page = client.get(f"/members/{elder.id}").get_data(as_text=True)
    assert "lost phone, asked us to" in page and f"/members/{elder.id}/reinstate" in page
    again = press(client, f"/members/{elder.id}/suspend", reason="twice")
    assert again.status_code == 409
    assert press(client, f"/members/{elder.id}/reinstate").status_code == 302
    assert fresh(elder).is_active_member


def test_a_street_admin_makes_a_coordinator_and_back(client, people):
    volunteer = people["volunteer"]
    login(client, people["street_admin"])
    assert press(client, f"/members/{volunteer.id}/role", role="coordinator").status_code == 302
    assert fresh(volunteer).role == Role.COORDINATOR
    assert press(client, f"/members/{volunteer.id}/role", role="member").status_code == 302
    assert fresh(volunteer).role == Role.MEMBER
    assert press(client, f"/members/{volunteer.id}/role", role="street_admin").status_code == 400


@pytest.mark.parametrize(
    "who, action, data, status",
    [
        ("coordinator", "role", {"role": "coordinator"}, 403),
        ("other_coordinator", "suspend", {"reason": "x"}, 403),
        ("other_coordinator", "reinstate", {}, 403),
        ("far_street_admin", "role", {"role": "coordinator"}, 403),
        ("volunteer", "suspend", {"reason": "x"}, 403),
    ],
)
def test_others_are_refused_and_nothing_changes(
    client, people, far_people, who, action, data, status
):
    elder = people["elder"]
    before = (fresh(elder).role, fresh(elder).is_active_member, fresh(elder).session_version)
    login(client, {**people, **far_people}[who])
    assert press(client, f"/members/{elder.id}/{action}", **data).status_code == status
    after = fresh(elder)
    assert (after.role, after.is_active_member, after.session_version) == before


def test_a_post_without_its_token_changes_nothing(client, people):
    elder = people["elder"]
    login(client, people["coordinator"])
    response = client.post(f"/members/{elder.id}/suspend", data={"reason": "no token"})
    assert response.status_code == 400 and fresh(elder).is_active_member


@pytest.mark.parametrize(
    "who, whom", [("coordinator", "coordinator"), ("other_coordinator", "elder")]
)
def test_the_suspend_form_is_only_for_those_who_may(client, people, who, whom):
    login(client, people[who])
    assert client.get(f"/members/{people[whom].id}/suspend").status_code == 403
