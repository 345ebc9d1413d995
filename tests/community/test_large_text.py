"""Large text (长辈版) is a member's setting: kept across sign-ins and devices, carried in
from the sign-in page, and set for an elder by a coordinator of their community."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from community.audit import Action
from community.audit_models import AuditEntry
from community.errors import NotPermitted
from community.large_text import COOKIE, set_large_text
from community.models import User
from extensions import db
from tests.conftest import csrf_token, login


def fresh(member: User) -> User:
    db.session.expire_all()
    return db.session.get(User, member.id)


def large_text_page(client) -> bool:
    return 'class="elder-mode"' in client.get("/").get_data(as_text=True)


def toggle(client):
    return client.post("/elder-mode", data={"csrf_token": csrf_token(client), "next": "/"})


def test_a_members_choice_follows_them_to_another_device(app, elder):
    phone, tablet = app.test_client(), app.test_client()
    login(phone, elder)
    assert not large_text_page(phone)

    assert toggle(phone).status_code == 302

    assert fresh(elder).large_text is True
    login(tablet, elder)  # another device, which never pressed the switch
    assert large_text_page(tablet)
    toggle(tablet)
    assert fresh(elder).large_text is False and not large_text_page(phone)


def test_a_visitors_choice_lives_in_a_cookie_and_comes_along_at_sign_in(client, elder):
    response = toggle(client)
    assert f"{COOKIE}=1" in response.headers["Set-Cookie"]
    assert 'class="elder-mode"' in client.get("/login").get_data(as_text=True)
    assert fresh(elder).large_text is False

    login(client, elder)  # they pressed 长辈版 to read the sign-in page: keep it

    assert fresh(elder).large_text is True and large_text_page(client)


def test_signing_in_sets_the_devices_cookie_from_the_members_setting(client, elder):
    elder.large_text = True
    response = login(client, elder)
    assert f"{COOKIE}=1" in response.headers["Set-Cookie"]


def test_a_coordinator_sets_it_for_an_elder_and_it_is_recorded(client, people):
    elder, coordinator = people["elder"], people["coordinator"]
    login(client, coordinator)
    page = client.get(f"/members/{elder.id}").get_data(as_text=True)
    assert f"/members/{elder.id}/large-text" in page

    response = client.post(
        f"/members/{elder.id}/large-text",
        data={"large_text": "on", "csrf_token": csrf_token(client)},
    )

    assert response.status_code == 302
    assert fresh(elder).large_text is True
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == Action.ACTED_FOR)
    ).one()
    assert (entry.actor_id, entry.subject_id, entry.target) == (
        coordinator.id,
        elder.id,
        f"user:{elder.id}",
    )
    assert '"large_text_set"' in entry.after


@pytest.mark.parametrize("value", ["", "yes", "on\x00", "x" * 5000])
def test_a_bad_choice_is_refused_and_changes_nothing(client, people, value):
    elder = people["elder"]
    login(client, people["coordinator"])
    response = client.post(
        f"/members/{elder.id}/large-text",
        data={"large_text": value, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert fresh(elder).large_text is False


def test_no_one_else_may_set_it(app, people, far_people):
    elder = people["elder"]
    for who in ("volunteer", "family", "other_coordinator"):
        with pytest.raises(NotPermitted):
            set_large_text(elder, True, by=people[who])
    with pytest.raises(NotPermitted):
        set_large_text(elder, True, by=far_people["far_coordinator"])
    assert fresh(elder).large_text is False
