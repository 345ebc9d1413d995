"""Words say what happens, in Chinese: a crawl of every page each demo login reaches on
the demo street (the Flask test client, following the links of each page) finds no run
of two or more Latin words on a Chinese page, outside names and stored data ("payment
authorised", "aid request #1" once stood on Chinese pages).

Stored data is what the demo's people typed (names, titles, dishes, reviews): a Latin run
found inside such a stored value is theirs, not the app's. Two links of each route are
followed (two bookings, two visits), which keeps the crawl to every kind of page each
login reaches, in seconds.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import String, Text, inspect, select

from extensions import db
from seed.demo import DEMO_PASSWORD
from storage import read_only
from tests.conftest import csrf_token

LOGINS = (
    "13900000001",  # the volunteer
    "13900000002",  # the elder
    "13900000003",  # the family member
    "guihua.coord",  # a coordinator
    "canglang.admin",  # the street admin
    "haobangshou.shop",  # a housekeeping provider
    "guihua.canteen",  # a meal provider
)
# Links that start, change or download something rather than show a page.
NOT_FOLLOWED = ("/logout", "/language", "/elder-mode", "/large-text", ".csv", "/pay/", "/static/")
PER_ROUTE = 2  # pages followed per route rule (/bookings/<id>: two bookings)
MOST_PAGES = 120  # per login: a runaway crawl fails rather than runs for minutes

LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z’'-]*(?:[ \t]+[A-Za-z][A-Za-z’'-]*)+")
HREF = re.compile(r"""<a\b[^>]*\bhref=(["'])(.*?)\1""", re.S)
UNSEEN = re.compile(r"<(script|style|svg)\b.*?</\1>|<!--.*?-->", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
# attribute text a reader hears or sees: labels, hints, placeholders, titles
SPOKEN = re.compile(r"""\b(?:aria-label|title|placeholder|alt|data-label)=(["'])(.*?)\1""", re.S)


@pytest.fixture
def database_url(demo_database_url):
    """The crawl reads the demo street (seeded once a run, copied for each test)."""
    return demo_database_url


@pytest.fixture
def demo_street(app):
    """The app on its copy of the demo street."""


# Columns that hold what people typed: names, titles, descriptions, dishes, reviews. Not
# notes or memos: the app keeps its own codes there too ("payment authorised"), and those
# must read in the page's language.
PEOPLES_WORDS = frozenset(
    {"display_name", "username", "name", "contact_name", "title", "description", "dishes"}
    | {"text", "reply", "address", "email"}
)


def stored_latin_texts() -> list[str]:
    """Every stored value people typed with a Latin letter in it (names, titles…)."""
    texts: set[str] = set()
    with read_only():
        existing = set(inspect(db.session.connection()).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name in existing:
                texts.update(_latin_values(table))
    db.session.rollback()  # hold no lock while the pages are read (and signed into)
    return sorted(texts)


def _latin_values(table) -> set[str]:
    columns = [
        c
        for c in table.columns
        if isinstance(c.type, String | Text) and c.name in PEOPLES_WORDS and not c.primary_key
    ]
    if not columns:
        return set()
    return {
        value
        for row in db.session.execute(select(*columns))
        for value in row
        if isinstance(value, str) and re.search(r"[A-Za-z]", value)
    }


def page_text(body: str) -> str:
    """What a reader sees or hears of the page: its text and its spoken attributes."""
    shown = UNSEEN.sub(" ", body)
    spoken = " ".join(m.group(2) for m in SPOKEN.finditer(shown))
    return html.unescape(TAG.sub("\n", shown) + "\n" + spoken)


def latin_runs(text: str, stored: list[str]) -> list[str]:
    return [
        run
        for run in LATIN_RUN.findall(text)
        if not any(run in value for value in stored)  # someone typed it
    ]


def links_of(body: str) -> list[str]:
    found = []
    for match in HREF.finditer(body):
        href = urldefrag(html.unescape(match.group(2)))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue  # another site, tel:, mailto:
        if any(skip in href for skip in NOT_FOLLOWED):
            continue
        found.append(href)
    return found


def route_of(app, path: str) -> str:
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(urlsplit(path).path, method="GET", return_rule=True)
    except Exception:  # noqa: BLE001 - a link to no page is another test's business
        return path
    return rule.rule


def crawl(app, client, stored: list[str]) -> tuple[dict[str, list[str]], int]:
    """Every page reachable from the home, two per route: {path: Latin runs}, pages seen."""
    seen: set[str] = set()
    per_route: Counter[str] = Counter()
    queue = deque(["/"])
    found: dict[str, list[str]] = {}
    pages = 0
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        route = route_of(app, path)
        if per_route[route] >= PER_ROUTE:
            continue
        per_route[route] += 1
        response = client.get(path)
        if response.status_code in (301, 302, 303):
            queue.append(response.headers["Location"])
            continue
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        pages += 1
        assert pages <= MOST_PAGES, "the crawl runs away: more pages than any login has"
        body = response.get_data(as_text=True)
        assert '<html lang="zh' in body, path  # Chinese is the default
        runs = latin_runs(page_text(body), stored)
        if runs:
            found[path] = runs
        queue.extend(link for link in links_of(body) if link not in seen)
    return found, pages


def test_chinese_pages_have_no_english_phrases(app, demo_street):
    stored = stored_latin_texts()
    english: dict[str, dict[str, list[str]]] = {}
    for login in LOGINS:
        client = app.test_client()
        response = client.post(
            "/login",
            data={"login": login, "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 302, login
        found, pages = crawl(app, client, stored)
        assert pages >= 8, (login, pages)  # each login reaches its pages
        if found:
            english[login] = found
    assert english == {}


def test_the_check_sees_english_and_lets_stored_text_be():
    text = page_text(
        '<p>已授权 payment authorised</p><p title="Tap here">x</p><script>var a = "b c"</script>'
    )
    assert latin_runs(text, []) == ["payment authorised", "Tap here"]
    assert latin_runs(page_text("<p>Anna Li 来访</p>"), ["Anna Li"]) == []
