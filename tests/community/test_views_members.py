"""Coordinators' member pages: finding members, opening accounts for elders
without phones, changing their notes and linking family — and who may do it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from community.models import FamilyLink, LinkStatus, Role, User
from community.reach import family_may
from community.services import link_family
from extensions import db
from tests.conftest import csrf_token, login
from timebank.accounts import member_account

UNKNOWN = 999_999


@pytest.fixture
def people(make_member, community, other_community, volunteer, elder, coordinator):
    """Everyone the permission table signs in as, by name."""
    return {
        "member": volunteer,
        "elder": elder,
        "coordinator": coordinator,
        "other_coordinator": make_member(
            "外社工", age=41, role=Role.COORDINATOR, community=other_community
        ),
        "street_admin": make_member("街道管理员", age=45, role=Role.STREET_ADMIN),
    }


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


# (path, who, expected status). A member's own pages (/members/<id>, its edit and family
# pages) are rows of the whole app's permission table (tests/test_permissions.py).
PERMISSIONS = [
    ("/members", "member", 403),
    ("/members", "coordinator", 200),
    ("/members", "other_coordinator", 200),
    ("/members", "street_admin", 200),
    ("/members/new", "member", 403),
    ("/members/new", "coordinator", 200),
    ("/members/new", "street_admin", 200),
]


@pytest.mark.parametrize(("path", "who", "status"), PERMISSIONS)
def test_who_may_open_member_pages(client, people, path, who, status):
    login(client, people[who])
    assert client.get(path).status_code == status


@pytest.mark.parametrize(
    "path", ["/members", "/members/new", "/members/{elder}", "/members/{elder}/family"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, people, path):
    db.session.commit()
    response = client.get(path.format(elder=people["elder"].id))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_search_finds_by_name_and_phone_in_my_community_only(client, people, make_member):
    stranger = make_member("王秀英", community=people["other_coordinator"].community)
    login(client, people["coordinator"])
    page = client.get("/members?q=王秀").get_data(as_text=True)
    assert f"/desk/members/{people['elder'].id}" in page
    assert f"/desk/members/{stranger.id}" not in page
    by_phone = client.get(f"/members?q={people['elder'].phone}").get_data(as_text=True)
    assert f"/desk/members/{people['elder'].id}" in by_phone
    assert "李志愿" not in by_phone


def test_street_admin_searches_every_community_of_the_street(client, people, make_member):
    stranger = make_member("王秀英", community=people["other_coordinator"].community)
    login(client, people["street_admin"])
    page = client.get("/members?q=王秀").get_data(as_text=True)
    assert f"/desk/members/{people['elder'].id}" in page
    assert f"/desk/members/{stranger.id}" in page


def test_coordinator_opens_an_account_for_an_elder_without_a_phone(client, people):
    login(client, people["coordinator"])
    response = client.post(
        "/members/new",
        data={
            "display_name": "赵奶奶",
            "birth_date": "1938-05-04",
            "phone": "",
            "username": "",
            "password": "",
            "is_priority": "y",
            "csrf_token": csrf_token(client, "/members/new"),
        },
    )
    assert response.status_code == 302
    elder = db.session.scalar(select(User).where(User.display_name == "赵奶奶"))
    assert response.headers["Location"].endswith(f"/members/{elder.id}")
    assert elder.phone is None and elder.username is None and elder.password_hash is None
    assert elder.is_priority and not elder.is_volunteer
    assert elder.created_by_id == people["coordinator"].id
    assert elder.community_id == people["coordinator"].community_id
    assert member_account(elder).balance_minutes == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "赵奶奶" in page


def test_new_member_with_a_password_can_sign_in(client, people):
    login(client, people["coordinator"])
    response = client.post(
        "/members/new",
        data={
            "display_name": "钱阿姨",
            "phone": "138 0000 1111",
            "password": "garden88",
            "csrf_token": csrf_token(client, "/members/new"),
        },
    )
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    signed_in = client.post(
        "/login",
        data={"login": "13800001111", "password": "garden88", "csrf_token": csrf_token(client)},
    )
    assert signed_in.status_code == 302
    assert "钱阿姨" in client.get("/").get_data(as_text=True)


def test_a_bad_phone_number_is_refused_and_nothing_is_created(client, people):
    login(client, people["coordinator"])
    before = user_count()
    response = client.post(
        "/members/new",
        data={
            "display_name": "孙大爷",
            "phone": "12345",
            "csrf_token": csrf_token(client, "/members/new"),
        },
    )
    assert response.status_code == 400
    assert "11 digits" in response.get_data(as_text=True) or "11 位" in response.get_data(
        as_text=True
    )
    assert user_count() == before


def test_a_password_without_phone_or_username_is_refused(client, people):
    login(client, people["coordinator"])
    before = user_count()
    response = client.post(
        "/members/new",
        data={
            "display_name": "孙大爷",
            "password": "secret99",
            "csrf_token": csrf_token(client, "/members/new"),
        },
    )
    assert response.status_code == 400
    assert user_count() == before


def test_new_member_without_csrf_token_is_refused(client, people):
    login(client, people["coordinator"])
    before = user_count()
    response = client.post("/members/new", data={"display_name": "赵奶奶"})
    assert response.status_code == 400
    assert user_count() == before


def test_plain_member_cannot_open_accounts(client, people):
    login(client, people["member"])
    before = user_count()
    response = client.post(
        "/members/new",
        data={"display_name": "赵奶奶", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 403
    assert user_count() == before


def test_coordinator_marks_a_priority_elder(client, people):
    elder = people["elder"]
    login(client, people["coordinator"])
    response = client.post(
        f"/members/{elder.id}/edit",
        data={"is_priority": "y", "csrf_token": csrf_token(client, f"/members/{elder.id}/edit")},
    )
    assert response.status_code == 302
    db.session.refresh(elder)
    assert elder.is_priority and not elder.is_volunteer


def test_coordinator_records_a_missing_birth_date(client, people):
    elder = people["elder"]
    elder.birth_date = None
    login(client, people["coordinator"])
    path = f"/members/{elder.id}/edit"
    bad = client.post(
        path, data={"birth_date": "1850-01-01", "csrf_token": csrf_token(client, path)}
    )
    assert bad.status_code == 400
    db.session.refresh(elder)
    assert elder.birth_date is None
    good = client.post(
        path, data={"birth_date": "1941-05-04", "csrf_token": csrf_token(client, path)}
    )
    assert good.status_code == 302
    db.session.refresh(elder)
    assert elder.birth_date == date(1941, 5, 4)


def test_other_community_coordinator_cannot_change_details(client, people):
    elder = people["elder"]
    login(client, people["other_coordinator"])
    response = client.post(
        f"/members/{elder.id}/edit",
        data={"is_priority": "y", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 403
    db.session.refresh(elder)
    assert not elder.is_priority


def test_coordinator_links_a_relative_found_by_phone(client, people, make_member):
    elder = people["elder"]
    daughter = make_member("王女儿", age=50)
    login(client, people["coordinator"])
    response = client.post(
        f"/members/{elder.id}/family",
        data={
            "relative": daughter.phone,
            "relation": "女儿",
            "may_confirm": "y",
            "csrf_token": csrf_token(client, f"/members/{elder.id}/family"),
        },
    )
    assert response.status_code == 302
    assert family_may(daughter, elder, "may_confirm")
    assert not family_may(daughter, elder, "may_book")
    link = db.session.scalar(select(FamilyLink).where(FamilyLink.elder_id == elder.id))
    assert link.consented_by_id == people["coordinator"].id
    page = client.get(f"/members/{elder.id}/family").get_data(as_text=True)
    assert "王女儿" in page and "女儿" in page


def test_the_elder_links_their_own_relative_by_member_number(client, people, make_member):
    elder = people["elder"]
    son = make_member("王儿子", age=52)
    login(client, elder)
    response = client.post(
        f"/members/{elder.id}/family",
        data={
            "relative": f"#{son.id}",
            "may_book": "y",
            "may_confirm": "y",
            "may_receive_gifts": "y",
            "csrf_token": csrf_token(client, f"/members/{elder.id}/family"),
        },
    )
    assert response.status_code == 302
    assert family_may(son, elder, "may_receive_gifts")


def test_linking_an_unknown_relative_says_so(client, people):
    elder = people["elder"]
    login(client, people["coordinator"])
    response = client.post(
        f"/members/{elder.id}/family",
        data={
            "relative": "13000000000",
            "csrf_token": csrf_token(client, f"/members/{elder.id}/family"),
        },
    )
    assert response.status_code == 404
    assert "13000000000" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FamilyLink.id))) == 0


def test_family_link_without_csrf_is_refused(client, people, make_member):
    elder = people["elder"]
    daughter = make_member("王女儿", age=50)
    login(client, people["coordinator"])
    response = client.post(f"/members/{elder.id}/family", data={"relative": daughter.phone})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(FamilyLink.id))) == 0


@pytest.fixture
def daughter_link(people, make_member):
    daughter = make_member("王女儿", age=50)
    link = link_family(by=people["coordinator"], elder=people["elder"], relative=daughter)
    db.session.commit()
    return link


def test_coordinator_revokes_a_family_link(client, people, daughter_link):
    login(client, people["coordinator"])
    response = client.post(
        f"/family-links/{daughter_link.id}/revoke",
        data={"csrf_token": csrf_token(client, f"/members/{people['elder'].id}/family")},
    )
    assert response.status_code == 302
    db.session.refresh(daughter_link)
    assert daughter_link.status == LinkStatus.REVOKED
    assert not family_may(daughter_link.relative, people["elder"], "may_confirm")


def test_a_stranger_cannot_revoke_a_family_link(client, people, daughter_link):
    login(client, people["member"])
    response = client.post(
        f"/family-links/{daughter_link.id}/revoke", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 403
    db.session.refresh(daughter_link)
    assert daughter_link.status == LinkStatus.ACTIVE


def test_revoking_an_unknown_link_is_404(client, people):
    login(client, people["coordinator"])
    response = client.post(
        f"/family-links/{UNKNOWN}/revoke", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 404


def test_coordinators_see_desk_links_in_the_menu(client, people):
    login(client, people["coordinator"])
    page = client.get("/hours").get_data(as_text=True)
    assert 'href="/desk/"' in page and 'href="/members"' in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, people["member"])
    assert 'href="/desk/"' not in client.get("/").get_data(as_text=True)
