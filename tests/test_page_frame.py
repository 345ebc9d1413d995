"""The page frame (header and footer) is rendered once per setting in each worker, yet
every page gets its own CSRF token and way back, and the member's own unread count."""

from __future__ import annotations

import re

from community.notifications import notify
from tests.conftest import counted_statements, login

NEXT_RE = re.compile(r'name="next" value="([^"]*)"')
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _header(page: str) -> str:
    return page[: page.index("</header>")]


def test_each_session_gets_its_own_token_in_the_cached_header(app, client, elder, volunteer):
    other = app.test_client()
    login(client, elder)
    login(other, volunteer)
    mine = set(TOKEN_RE.findall(_header(client.get("/").get_data(as_text=True))))
    theirs = set(TOKEN_RE.findall(_header(other.get("/").get_data(as_text=True))))
    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs


def test_the_headers_token_works_and_brings_the_member_back_to_the_page(client, elder):
    login(client, elder)
    page = client.get("/market/?q=保洁&sort=price").get_data(as_text=True)
    header = _header(page)
    # the path is escaped as the template would have escaped it
    assert NEXT_RE.findall(header) == ["/market/?q=保洁&amp;sort=price"] * 2
    response = client.post(
        "/language",
        data={
            "locale": "en",
            "next": "/market/?q=保洁&sort=price",
            "csrf_token": TOKEN_RE.search(header).group(1),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/market/?q=%E4%BF%9D%E6%B4%81&sort=price")
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_a_marker_in_the_path_is_never_taken_for_the_token(client, elder):
    login(client, elder)
    header = _header(client.get("/market/?q=%EE%80%80csrf%EE%80%80").get_data(as_text=True))
    # (a path keeps private-use characters percent-encoded, so it cannot carry a marker)
    assert NEXT_RE.findall(header) == ["/market/?q=%EE%80%80csrf%EE%80%80"] * 2
    assert all(len(token) > 20 for token in TOKEN_RE.findall(header))


def test_the_header_follows_the_member_and_their_messages(client, english_pages, elder, volunteer):
    login(client, elder)
    assert "Messages (1)" not in client.get("/").get_data(as_text=True)
    notify(elder, "low_balance", left="30")
    notify(volunteer, "low_balance", left="30")
    notify(volunteer, "low_balance", left="20")
    assert "Messages (1)" in client.get("/").get_data(as_text=True)


def test_a_read_only_page_counts_unread_messages_with_the_member(client, elder):
    login(client, elder)
    client.get("/market/")
    with counted_statements() as statements:
        client.get("/market/")
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1 and "FROM users" in counts[0]


def test_visitors_see_the_frame_without_the_members_menu(client, english_pages):
    page = client.get("/login").get_data(as_text=True)
    assert "Large text (elder mode)" in page and 'class="main-nav"' not in page
    assert "Sign out" not in page and "For service providers" not in page


def test_the_favicon_answers_for_visitors_and_every_page_names_it(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/x-icon"
        assert icon.get_data()[:4] == b"\x00\x00\x01\x00"  # an icon file, not a page
    page = client.get("/login").get_data(as_text=True)
    svg = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert svg
    with client.get(svg.group(1)) as named:
        assert named.status_code == 200
