"""The "more" links of the provider's dashboard and of my bookings, and the pages they open
(SQLite only): plain links that work without JavaScript, 20 bookings a page, and cursors
that do not parse start over instead of failing."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from community.models import utcnow
from marketplace.clock import local_today, to_utc
from tests.conftest import login

NEXT = re.compile(r'href="(/[^"]+)"[^>]*data-testid="(?:next-page|earlier-page)"')
BAD_CURSORS = (
    "x",
    "%00",
    "-1",
    "20261207083000000000-99999999999999999999",
    "9" * 3000,
    "20261207083000000000-1%00",
    "%EF%BC%92",
)


pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture
def busy_provider(make_booking, cleaning, elder):
    """25 bookings waiting for an answer tomorrow: more than the dashboard shows."""
    tomorrow = local_today() + timedelta(days=1)
    return [
        make_booking(cleaning, elder, starts_at=to_utc(tomorrow, time(8, n)), subsidy=False)
        for n in range(25)
    ]


@pytest.fixture
def long_history(make_booking, cleaning, elder):
    """25 earlier bookings of the elder, one a day."""
    now = utcnow()
    return [
        make_booking(
            cleaning,
            elder,
            starts_at=now - timedelta(days=1 + n),
            status="completed",
            completed_at=now,
            subsidy=False,
        )
        for n in range(25)
    ]


def _follow(client, path: str) -> list[str]:
    """The pages from ``path``, following the "more" link, as HTML."""
    pages = []
    while path and len(pages) < 10:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        pages.append(page)
        found = NEXT.search(page)
        path = found.group(1).replace("&amp;", "&") if found else None
    return pages


def test_the_dashboard_links_to_the_rest_of_the_coming_days(client, provider_owner, busy_provider):
    login(client, provider_owner)
    page = client.get("/provider/dashboard/").get_data(as_text=True)
    assert 'href="/provider/dashboard/upcoming" data-testid="more-upcoming"' in page
    assert 'data-testid="more-today"' not in page  # nothing today
    assert f'href="/bookings/{busy_provider[9].id}"' in page
    assert f'href="/bookings/{busy_provider[10].id}"' not in page  # the first ten only

    pages = _follow(client, "/provider/dashboard/upcoming")
    assert len(pages) == 2
    for n, booking in enumerate(busy_provider):
        where = 0 if n < 20 else 1
        assert f"/bookings/{booking.id}/accept" in pages[where]
        assert f"/bookings/{booking.id}/accept" not in pages[1 - where]


def test_my_bookings_links_to_earlier_ones(client, elder, long_history):
    login(client, elder)
    pages = _follow(client, "/bookings/")
    assert len(pages) == 2
    assert 'data-testid="earlier-page"' in pages[0]
    for n, booking in enumerate(long_history):  # latest first
        where = 0 if n < 20 else 1
        assert f'href="/bookings/{booking.id}"' in pages[where]
        assert f'href="/bookings/{booking.id}"' not in pages[1 - where]
    assert 'data-testid="earlier-page"' not in pages[1]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_cursor_that_does_not_parse_starts_over(client, elder, provider, provider_owner, cursor):
    login(client, elder)
    response = client.get(f"/bookings/earlier?before={cursor}")
    assert response.status_code in (200, 400)
    login(client, provider_owner)
    for path in ("/provider/dashboard/today", "/provider/dashboard/upcoming"):
        response = client.get(f"{path}?after={cursor}")
        assert response.status_code in (200, 400), path


def test_a_bad_cursor_shows_the_first_page(client, elder, long_history):
    login(client, elder)
    page = client.get("/bookings/earlier?before=nonsense").get_data(as_text=True)
    assert f'href="/bookings/{long_history[0].id}"' in page
    assert f'href="/bookings/{long_history[20].id}"' not in page


def test_only_the_owner_sees_the_lists(client, elder, busy_provider):
    login(client, elder)
    assert client.get("/provider/dashboard/upcoming").status_code == 404
    assert client.get("/provider/dashboard/today").status_code == 404


def test_signed_out_goes_to_sign_in(client):
    for path in ("/bookings/earlier", "/provider/dashboard/upcoming"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_empty_list_says_so(client, provider_owner, provider):
    login(client, provider_owner)
    page = client.get("/provider/dashboard/today").get_data(as_text=True)
    assert "No more bookings in this list." in page
