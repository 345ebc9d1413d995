"""The family and inbox pages: the journeys through them (who may see and answer what is in
tests/timebank/test_views_permissions.py)."""

from __future__ import annotations

import pytest

from community.family import request_family_link
from community.models import FamilyLink, LinkStatus
from community.notifications import notify
from community.reach import family_may
from extensions import db
from tests.conftest import csrf_token, login


@pytest.fixture
def daughter(make_member):
    return make_member("王小红", age=45)


@pytest.fixture
def asked(people, daughter):
    link = request_family_link(
        by=daughter, elder=people["elder"], relation="女儿", may_receive_gifts=False
    )
    db.session.commit()
    return link


def client_for(app, user):
    """A client signed in as ``user`` reading English (the msgids), whatever the default."""
    client = app.test_client()
    login(client, user)
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/family/")})
    return client


def test_pending_requests_show_only_in_the_elders_community(app, people, asked):
    mine = client_for(app, people["coordinator"]).get("/family/pending").get_data(as_text=True)
    theirs = client_for(app, people["other_coordinator"]).get("/family/pending")
    assert "王小红" in mine and "王秀英" in mine
    assert "王小红" not in theirs.get_data(as_text=True)


def test_a_relative_asks_and_the_elder_agrees_to_less(app, people, daughter):
    elder = people["elder"]
    relative_client = client_for(app, daughter)
    response = relative_client.post(
        "/family/request",
        data={
            "csrf_token": csrf_token(relative_client, "/family/request"),
            "elder": elder.phone,
            "relation": "女儿",
            "may_book": "y",
            "may_confirm": "y",
        },
    )
    assert response.status_code == 302
    link = db.session.query(FamilyLink).filter_by(relative_id=daughter.id).one()
    assert (link.status, link.may_receive_gifts) == (LinkStatus.REQUESTED, False)

    elder_client = client_for(app, elder)
    home = elder_client.get("/family/").get_data(as_text=True)
    assert "Messages (1)" in home
    page = elder_client.get(f"/family/requests/{link.id}").get_data(as_text=True)
    assert 'name="may_book"' in page and 'name="may_receive_gifts"' not in page
    response = elder_client.post(
        f"/family/requests/{link.id}",
        data={
            "csrf_token": csrf_token(elder_client, f"/family/requests/{link.id}"),
            "may_confirm": "y",  # may_book left unticked
            "decision": "consent",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert family_may(daughter, elder, "may_confirm")
    assert not family_may(daughter, elder, "may_book")
    mine = relative_client.get("/family/").get_data(as_text=True)
    assert "王秀英" in mine


def test_a_relative_asking_for_someone_unknown_is_told(app, daughter):
    client = client_for(app, daughter)
    response = client.post(
        "/family/request",
        data={"csrf_token": csrf_token(client, "/family/request"), "elder": "#999999"},
    )
    assert response.status_code == 404
    assert "No member found for “#999999”." in response.get_data(as_text=True)
    assert db.session.query(FamilyLink).count() == 0


def test_a_coordinator_must_say_they_checked_in_person(app, people, asked):
    client = client_for(app, people["coordinator"])
    token = csrf_token(client, f"/family/requests/{asked.id}")
    refused = client.post(
        f"/family/requests/{asked.id}",
        data={"csrf_token": token, "may_book": "y", "decision": "consent"},
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(FamilyLink, asked.id).status == LinkStatus.REQUESTED
    agreed = client.post(
        f"/family/requests/{asked.id}",
        data={
            "csrf_token": token,
            "may_book": "y",
            "checked_in_person": "y",
            "decision": "consent",
        },
    )
    assert agreed.status_code == 302
    db.session.expire_all()
    link = db.session.get(FamilyLink, asked.id)
    assert (link.status, link.consented_by_id) == (LinkStatus.ACTIVE, people["coordinator"].id)


def test_the_elder_declines_and_the_relative_ends_nothing_more(app, people, asked):
    client = client_for(app, people["elder"])
    token = csrf_token(client, f"/family/requests/{asked.id}")
    response = client.post(
        f"/family/requests/{asked.id}", data={"csrf_token": token, "decision": "decline"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    link = db.session.get(FamilyLink, asked.id)
    assert (link.status, link.ended_by_id) == (LinkStatus.REVOKED, people["elder"].id)
    again = client.post(
        f"/family/requests/{asked.id}",
        data={"csrf_token": token, "may_book": "y", "decision": "consent"},
    )
    assert again.status_code == 409


def test_the_relative_ends_an_active_link(app, people, daughter, asked):
    elder = people["elder"]
    asked.status = LinkStatus.ACTIVE
    db.session.commit()
    client = client_for(app, daughter)
    response = client.post(
        f"/family/links/{asked.id}/end", data={"csrf_token": csrf_token(client, "/family/")}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert not family_may(daughter, elder, "may_book")
    assert db.session.get(FamilyLink, asked.id).ended_by_id == daughter.id


def test_the_inbox_marks_unread_and_mark_all_read_clears_the_header_count(app, people):
    elder, neighbour = people["elder"], people["volunteer"]
    notify(elder, "gift_received", giver="王小红", amount=90)
    notify(elder, "low_balance", left=60)
    db.session.commit()
    client = client_for(app, elder)
    page = client.get("/inbox/").get_data(as_text=True)
    assert "Messages (2)" in page
    assert page.index("1 h left") < page.index("王小红 gave you")  # newest first
    assert page.count("New:") == 2
    client.post("/inbox/read", data={"csrf_token": csrf_token(client, "/inbox/")})
    page = client.get("/inbox/").get_data(as_text=True)
    assert "Messages (2)" not in page and "New:" not in page
    assert "Messages (" not in client_for(app, neighbour).get("/inbox/").get_data(as_text=True)


def test_opening_a_message_marks_it_read_and_follows_its_link_but_not_anothers(app, people):
    elder, neighbour = people["elder"], people["volunteer"]
    message = notify(elder, "low_balance", link="/statement", left=60)
    db.session.commit()
    stranger = client_for(app, neighbour)
    refused = stranger.post(
        f"/inbox/{message.id}/open", data={"csrf_token": csrf_token(stranger, "/inbox/")}
    )
    assert refused.status_code == 403
    client = client_for(app, elder)
    opened = client.post(
        f"/inbox/{message.id}/open", data={"csrf_token": csrf_token(client, "/inbox/")}
    )
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/statement")
    db.session.expire_all()
    assert db.session.get(type(message), message.id).read_at is not None
