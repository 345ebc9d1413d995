"""Each person lands on their work (community.landing): after signing in and on "/" (the
brand link), a coordinator or street admin on the desk, a provider's owner on their
dashboard, everyone else on the time bank's home; a next= page still wins.

Here beside the marketplace's tests for its provider fixtures: the rule is the whole
app's (community.landing, with the time bank's and the marketplace's rules).
"""

from __future__ import annotations

import pytest

from community.models import Role
from tests.conftest import PASSWORD, csrf_token, login

PATHS = {
    "member": "/hours",
    "volunteer": "/hours",
    "coordinator": "/desk/",
    "street_admin": "/desk/",
    "provider": "/provider/dashboard/",
}


@pytest.fixture
def persons(make_member, make_provider, provider_owner, elder, volunteer, coordinator):
    make_provider()  # run by provider_owner
    return {
        "member": elder,
        "volunteer": volunteer,
        "coordinator": coordinator,
        "street_admin": make_member("街道管理", age=45, role=Role.STREET_ADMIN),
        "provider": provider_owner,
    }


@pytest.mark.parametrize("who", sorted(PATHS))
def test_signing_in_lands_each_person_on_their_work(client, persons, who):
    response = login(client, persons[who])
    assert response.headers["Location"] == PATHS[who]
    assert client.get(PATHS[who]).status_code == 200


@pytest.mark.parametrize("who", sorted(PATHS))
def test_the_brand_link_lands_each_person_on_their_work(client, persons, who):
    login(client, persons[who])
    response = client.get("/")
    if PATHS[who] == "/hours":
        assert response.status_code == 200  # shown at once, no second request
        assert 'data-testid="waiting"' in response.get_data(as_text=True)
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == PATHS[who]
    page = client.get(PATHS[who]).get_data(as_text=True)
    assert 'class="brand" href="/"' in page


def test_a_next_page_still_wins(client, persons):
    person = persons["provider"]
    response = client.post(
        "/login?next=/bookings/",
        data={"login": person.login_name, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/bookings/"


def test_an_owner_turned_down_lands_on_the_time_bank(client, make_provider, make_member):
    owner = make_member("被拒的店主", age=40)
    make_provider(owner=owner, status="rejected")
    assert login(client, owner).headers["Location"] == "/hours"


def test_staff_and_providers_still_reach_their_hours_from_the_menu(client, persons):
    login(client, persons["coordinator"])
    page = client.get("/desk/").get_data(as_text=True)
    assert 'href="/hours"' in page  # "My hours" in the main menu
    assert client.get("/hours").status_code == 200


def test_the_providers_area_in_the_menu_leads_an_owner_to_their_bookings(client, persons):
    login(client, persons["provider"])
    page = client.get("/hours").get_data(as_text=True)
    assert 'href="/provider/"' in page  # the main menu's "我是服务商：开店和管理"
    area = client.get("/provider/").get_data(as_text=True)
    first_button = area.index("button button--primary")
    assert area.index('href="/provider/dashboard/"', first_button) < area.index("<dl")
