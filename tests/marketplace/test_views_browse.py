"""The market pages: the filter form, provider cards, a provider's page and who sees what."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from community.models import Role, Street
from community.services import found_community
from extensions import db
from marketplace.clock import local_today
from marketplace.models import ProviderStatus
from marketplace.reviews import create_review
from tests.conftest import csrf_token, login
from tests.marketplace.test_reviews import booking_row


@pytest.fixture
def other_street(app, make_provider):
    """A second street with a provider of its own: 双塔街道 and 外街道家政."""
    street = Street(name="双塔街道")
    db.session.add(street)
    db.session.flush()
    make_provider("外街道家政", communities=[found_community(street_id=street.id, name="别处社区")])
    return street


def test_a_visitor_looks_without_signing_in_and_signs_in_to_book(
    client, english_pages, provider, cleaning
):
    page = client.get("/market/").get_data(as_text=True)
    assert provider.name in page and "Anyone may look. To book, sign in" in page
    page = client.get(f"/market/providers/{provider.id}").get_data(as_text=True)
    assert "日常保洁" in page and f"/bookings/new?item={cleaning.id}" in page
    response = client.get(f"/bookings/new?item={cleaning.id}")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_the_sign_in_page_links_to_the_services(client, english_pages):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/market/">Look at the services near you without signing in</a>' in page


def test_with_several_streets_a_visitor_chooses_one(
    client, english_pages, street, provider, other_street
):
    page = client.get("/market/").get_data(as_text=True)
    assert "Choose your street" in page
    assert f'href="/market/?street={other_street.id}"' in page and "沧浪街道" in page
    assert provider.name not in page and "外街道家政" not in page
    page = client.get(f"/market/?street={other_street.id}").get_data(as_text=True)
    assert "外街道家政" in page and provider.name not in page
    # the filters keep the street
    assert f'<input type="hidden" name="street" value="{other_street.id}">' in page
    page = client.get(f"/market/?street={street.id}&q=帮手").get_data(as_text=True)
    assert provider.name in page and "外街道家政" not in page


def test_a_street_that_does_not_exist_is_a_404(client, english_pages, provider, other_street):
    for street in ("99999", "abc", "-1", "9" * 20):
        response = client.get(f"/market/?street={street}")
        assert response.status_code == 404
        assert "There is no such street." in response.get_data(as_text=True)


def test_a_member_sees_their_own_street_whatever_the_query_says(
    client, english_pages, elder, provider, other_street
):
    login(client, elder)
    page = client.get(f"/market/?street={other_street.id}").get_data(as_text=True)
    assert provider.name in page and "外街道家政" not in page
    assert "Anyone may look" not in page and 'name="street"' not in page


def test_a_visitor_never_sees_unverified_providers(client, make_provider, provider):
    for status in (ProviderStatus.APPLIED, ProviderStatus.SUSPENDED, ProviderStatus.REJECTED):
        hidden = make_provider(f"看不见{status}", status=status)
        db.session.commit()
        assert client.get(f"/market/providers/{hidden.id}").status_code == 404
        assert hidden.name not in client.get("/market/").get_data(as_text=True)


def test_browse_shows_cards_with_prices_stars_and_a_link(
    client, english_pages, elder, provider, cleaning
):
    provider.rating_count, provider.rating_sum = 23, 106
    login(client, elder)
    page = client.get("/market/").get_data(as_text=True)
    assert provider.name in page
    assert f'href="/market/providers/{provider.id}"' in page
    assert "From ¥80 or " in page and " in hours" in page
    assert "4.6 ★ (23 reviews)" in page
    assert 'aria-label="Rated 4.6 out of 5 from 23 reviews"' in page
    for label in ("Search", "Kind of service", "Community", "Day", "Highest price (yuan)"):
        assert f">{label}</label>" in page


def test_filters_come_from_the_query_string(client, elder, make_provider, make_item):
    cheap = make_provider("便宜保洁", categories="housekeeping")
    make_item(cheap, "日常保洁", price_fen=3000)
    dear = make_provider("贵的托育", categories="childcare")
    make_item(dear, "全日托", category="childcare", unit="session", price_fen=20000)
    login(client, elder)
    page = client.get("/market/?max_price=50").get_data(as_text=True)
    assert "便宜保洁" in page and "贵的托育" not in page
    page = client.get("/market/?q=保洁").get_data(as_text=True)
    assert "便宜保洁" in page and "贵的托育" not in page
    page = client.get("/market/?category=childcare").get_data(as_text=True)
    assert "贵的托育" in page and "便宜保洁" not in page


def test_bad_filter_input_is_a_400_with_the_form(client, elder, provider):
    login(client, elder)
    response = client.get("/market/?max_price=abc&day=someday")
    assert response.status_code == 400
    assert provider.name not in response.get_data(as_text=True)


def test_provider_page_shows_menu_rating_chart_and_meal_menus(
    client, english_pages, elder, provider, cleaning, lunch, make_meal_menu, make_item
):
    make_item(provider, "暂停的项目", is_paused=True)
    make_item(
        provider,
        "半日托",
        category="childcare",
        unit="session",
        price_fen=12000,
        min_age_months=18,
        max_age_months=36,
    )
    make_meal_menu(lunch, local_today() + timedelta(days=1), dishes="清蒸鲈鱼、米饭")
    make_meal_menu(lunch, local_today() + timedelta(days=9), dishes="太远的菜")
    login(client, elder)
    page = client.get(f"/market/providers/{provider.id}").get_data(as_text=True)
    assert "日常保洁" in page and "¥80" in page and "per visit" in page
    assert "暂停的项目" not in page
    assert "For children aged 18 to 36 months" in page
    assert "清蒸鲈鱼、米饭" in page and "太远的菜" not in page
    assert '<div class="chart" id="rating-chart" role="img"' in page
    assert "<caption>Reviews by number of stars</caption>" in page


def test_unverified_and_suspended_providers_are_404_to_residents(client, elder, make_provider):
    login(client, elder)
    for status in (ProviderStatus.APPLIED, ProviderStatus.SUSPENDED, ProviderStatus.REJECTED):
        hidden = make_provider(f"看不见{status}", status=status)
        db.session.commit()
        assert client.get(f"/market/providers/{hidden.id}").status_code == 404
    assert client.get("/market/providers/99999").status_code == 404


def test_a_coordinator_overseeing_it_previews_with_a_notice(
    client, english_pages, coordinator, make_provider, make_member, make_community
):
    applied = make_provider("待审核家政", status=ProviderStatus.APPLIED)
    elsewhere = make_member("别的社工", age=40, role=Role.COORDINATOR, community=make_community())
    login(client, coordinator)
    page = client.get(f"/market/providers/{applied.id}").get_data(as_text=True)
    assert "Preview: residents cannot see this provider" in page
    assert "waiting for a coordinator" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/market/")})
    login(client, elsewhere)
    assert client.get(f"/market/providers/{applied.id}").status_code == 404


def test_reviews_come_twenty_to_a_page_newest_first(
    client, english_pages, elder, provider, cleaning
):
    for n in range(21):
        booking = booking_row(elder, cleaning)
        review = create_review(by=elder, booking_id=booking.id, stars=5, text=f"第{n:02d}条评价")
        review.created_at = review.created_at.replace(microsecond=0) + timedelta(minutes=n)
    login(client, elder)
    first = client.get(f"/market/providers/{provider.id}").get_data(as_text=True)
    assert "第20条评价" in first and "第01条评价" in first and "第00条评价" not in first
    assert first.index("第20条评价") < first.index("第19条评价")
    assert "Older reviews" in first
    second = client.get(f"/market/providers/{provider.id}?page=2").get_data(as_text=True)
    assert "第00条评价" in second and "第01条评价" not in second


def test_an_individuals_address_is_for_members_only(client, elder, provider, make_provider):
    person = make_provider("张阿姨钟点工")
    person.kind, person.address = "individual", "十全街88号3楼"
    db.session.commit()
    assert "十全街88号3楼" not in client.get(f"/market/providers/{person.id}").get_data(
        as_text=True
    )
    company = client.get(f"/market/providers/{provider.id}").get_data(as_text=True)
    assert provider.address in company
    login(client, elder)
    assert "十全街88号3楼" in client.get(f"/market/providers/{person.id}").get_data(as_text=True)


def phone_link(client, provider) -> str | None:
    page = client.get(f"/market/providers/{provider.id}").get_data(as_text=True)
    found = re.search(r'<a class="button" href="tel:(\d+)" data-testid="provider-phone">', page)
    return found.group(1) if found else None


def test_a_companys_phone_is_a_tap_to_call_link_for_members_not_visitors(client, elder, provider):
    db.session.commit()
    assert phone_link(client, provider) is None
    login(client, elder)
    assert phone_link(client, provider) == provider.contact_phone


def test_an_individuals_phone_is_for_those_who_may_open_a_booking_of_theirs(
    app,
    client,
    elder,
    volunteer,
    coordinator,
    provider_owner,
    make_provider,
    make_item,
    make_booking,
):
    person = make_provider("张阿姨钟点工")
    person.kind = "individual"
    make_booking(make_item(person), elder, status="accepted")
    db.session.commit()
    for who, sees in (
        (volunteer, False),
        (elder, True),
        (provider_owner, True),
        (coordinator, True),
    ):
        other = app.test_client()
        login(other, who)
        assert (phone_link(other, person) is not None) is sees, who.display_name
