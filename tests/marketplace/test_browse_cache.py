"""The browse results cache: fresh for its lifetime, then read again; per app, per filters."""

from __future__ import annotations

from extensions import db
from marketplace.browse_cache import MAX_ENTRIES, FragmentCache, browse_cache
from marketplace.models import ProviderStatus
from tests.conftest import counted_statements, csrf_token, login


def _results(page: str) -> str:
    """The page's main part (the header's CSRF tokens carry the second they were made)."""
    return page[page.index("<h1>") : page.index("</main>")]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_fragment_is_kept_for_its_lifetime_then_dropped():
    clock = Clock()
    cache = FragmentCache(15, clock)
    cache.put("k", "<p>cards</p>")
    clock.now += 14.9
    assert cache.get("k") == "<p>cards</p>"
    clock.now += 0.1
    assert cache.get("k") is None


def test_a_cache_with_no_lifetime_keeps_nothing():
    cache = FragmentCache(0)
    cache.put("k", "x")
    assert cache.get("k") is None


def test_the_least_recently_used_fragment_goes_first():
    cache = FragmentCache(60)
    for n in range(MAX_ENTRIES):
        cache.put(n, str(n))
    assert cache.get(0) == "0"  # now the most recently used
    cache.put("new", "new")
    assert cache.get(1) is None
    assert cache.get(0) == "0" and cache.get("new") == "new"


def test_the_page_reads_the_list_once_and_shows_a_change_after_its_lifetime(
    app, client, elder, make_provider, make_item
):
    clock = Clock()
    app.extensions["linli_browse_cache"] = FragmentCache(15, clock)
    shown, hidden = make_provider("好帮手家政"), make_provider("阳光托育中心")
    make_item(shown)
    make_item(hidden, "托育半日", category="childcare", min_age_months=12, max_age_months=36)
    login(client, elder)

    with counted_statements() as first:
        page = client.get("/market/").get_data(as_text=True)
    assert "阳光托育中心" in page
    with counted_statements() as second:
        again = client.get("/market/").get_data(as_text=True)
    assert _results(again) == _results(page)
    assert len(second) < len(first)

    hidden.status = ProviderStatus.SUSPENDED
    db.session.commit()
    assert "阳光托育中心" in client.get("/market/").get_data(as_text=True)  # still cached
    clock.now += 15
    page = client.get("/market/").get_data(as_text=True)
    assert "阳光托育中心" not in page and "好帮手家政" in page


def test_each_set_of_filters_and_each_language_has_its_own_entry(
    app, client, elder, make_provider, make_item
):
    app.extensions["linli_browse_cache"] = FragmentCache(60)
    make_item(make_provider("好帮手家政"))
    login(client, elder)
    client.get("/market/")
    assert "好帮手家政" not in client.get("/market/?q=理发").get_data(as_text=True)
    assert "好帮手家政" in client.get("/market/?q=保洁").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/market/")})
    assert "Services near you" in client.get("/market/").get_data(as_text=True)
    assert len(browse_cache(app)._entries) == 4


def test_visitors_and_members_do_not_share_an_entry(
    app, client, english_pages, elder, make_provider, make_item
):
    app.extensions["linli_browse_cache"] = FragmentCache(60)
    make_item(make_provider("好帮手家政"))
    with counted_statements() as visitor_first:
        assert "Anyone may look" in client.get("/market/").get_data(as_text=True)
    with counted_statements() as visitor_again:
        assert "Anyone may look" in client.get("/market/").get_data(as_text=True)
    assert visitor_first and not visitor_again  # a visitor's page from the cache reads nothing
    login(client, elder)
    page = client.get("/market/").get_data(as_text=True)
    assert "好帮手家政" in page and "Anyone may look" not in page
    assert len(browse_cache(app)._entries) == 2
