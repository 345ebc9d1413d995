"""One permission table for the whole app (issue 9): every route that takes an object id,
in its path or its query string, GET and POST, and for each of nine people the exact
status they get.

The people: an elder, their family, a volunteer and a provider owner; a coordinator of
the elder's community, a coordinator of another community of the same street (the
provider serves both), the street admin; a coordinator and a street admin of a second
street. The rows live beside each package's tests (tests/*/permission_rows.py).

Every page (GET) and every refusal must change nothing: each cell compares a snapshot
of every table before and after. No page shows someone outside the elder's side (B's
coordinator, another street) who the elder is or what their records say, and a refusal
shows them nothing of the record, whether the form was filled or empty. Pages and
refusals share one scene per person; each POST that is allowed to act gets a scene of
its own and must change something.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from tests.civic import permission_rows as civic_rows
from tests.civic import permission_rows_contact_days as contact_day_rows
from tests.civic import permission_rows_figures as civic_figure_rows
from tests.civic import permission_rows_repairs as repair_rows
from tests.civic import permission_rows_votes as civic_vote_rows
from tests.community import permission_rows as community_rows
from tests.conftest import csrf_token
from tests.marketplace import permission_rows as marketplace_rows
from tests.permission_table import (
    COMMON_BUILDERS,
    GET,
    PEOPLE,
    POST,
    REFUSED,
    Row,
    Scene,
    SignedIn,
    merged,
    snapshot,
)
from tests.property_services import permission_rows as property_services_rows
from tests.table_rows import changed_tables, table_names
from tests.timebank import permission_rows as timebank_rows

pytestmark = pytest.mark.views

PACKAGES = (
    timebank_rows,
    marketplace_rows,
    community_rows,
    civic_rows,
    contact_day_rows,
    civic_vote_rows,
    repair_rows,
    civic_figure_rows,
    property_services_rows,
)
BUILDERS = merged(COMMON_BUILDERS, *(package.BUILDERS for package in PACKAGES))
ROWS: list[Row] = [row for package in PACKAGES for row in package.ROWS]


@pytest.fixture
def cast(people, far_people) -> dict:
    return {**people, **far_people}


@pytest.fixture
def scene(cast, make_member) -> Scene:
    return Scene(BUILDERS, cast, make_member)


NAME = re.compile(r"\{(\w+)\}")  # a scene's id in a row's path
MAIN = re.compile(r'<main id="main"[^>]*>(.*?)</main>', re.S)
TAG = re.compile(r"<[^>]+>")


def _words(response) -> str:
    """The response as text (a photo's bytes too, read as far as they decode)."""
    return response.get_data().decode("utf-8", errors="replace")


def _gist(response) -> str:
    """The words of a page's main part (a failure's message, short)."""
    page = _words(response)
    found = MAIN.search(page)
    words = " ".join(TAG.sub(" ", found.group(1) if found else page).split())
    return f"{response.status_code} {response.headers.get('Location', '')} {words[:300]}"


# What no page shows to anyone outside the elder's side (B's coordinator, another street):
# who the elder is, their phone, what their bookings are called, their community's
# subsidy, the providers serving only their community that residents cannot see (one
# applying, one suspended). A refusal shows them none of the record's public words
# either (a review's text, the item booked).
OUTSIDE_THE_ELDERS_SIDE = {"other_coordinator", "far_coordinator", "far_street_admin"}
UNSHOWN = ("王家每周保洁", "高龄助洁补贴", "新来家政", "停业家政")
NOT_IN_REFUSALS = ("阿姨骂人很难听", "阿姨很细心", "日常保洁")
# Words of the scene's records that only some read, on any page, and who (each package's
# READERS): a request's private note, a review hidden as abusive.
READERS = {
    word: readers
    for package in PACKAGES
    for word, readers in getattr(package, "READERS", {}).items()
}


def _hidden_from(who: str, scene: Scene, row: Row, refused: bool) -> list[str]:
    """The words ``row``'s page must not show ``who`` (a refusal's, if ``refused``)."""
    hidden = [word for word, readers in READERS.items() if who not in readers]
    if who in OUTSIDE_THE_ELDERS_SIDE:
        elder = scene.people["elder"]
        if who not in row.names_elder:
            hidden.append(elder.display_name)
        hidden += [elder.phone, *UNSHOWN, *(NOT_IN_REFUSALS if refused else ())]
    return hidden


def _shown(page: str, hidden: list[str], typed: dict) -> list[str]:
    """The hidden words on ``page``, but for what the request itself sent."""
    sent = " ".join(map(str, typed.values()))
    return [word for word in hidden if word in page and word not in sent]


# --- pages and refusals: one scene per person, every cell that must change nothing -----------


@pytest.mark.parametrize("who", PEOPLE)
def test_what_each_person_may_see_and_is_refused(app, cast, scene, who, subtests):
    for row in ROWS:  # the whole scene first: lists show everything there is
        for name in NAME.findall(row.path):
            scene[name]
    person = SignedIn(app, cast[who])
    tables = table_names()
    before, built = snapshot(tables), scene.built
    for row in ROWS:
        if row.changes(who):
            continue
        with subtests.test(row=row.label):
            url, data = scene.url(row), row.data(scene)
            if (
                scene.built != built
            ):  # a form named something new: it is the scene's, not the cell's
                before, built = snapshot(tables), scene.built
            response = person.send(row, url, data)
            after = snapshot(tables)  # before asserting: a failure must not spill into the next
            changed, before = changed_tables(before, after), after
            status = response.status_code
            assert status == row.expected[who], f"{row.label} as {who}: {_gist(response)}"
            assert changed == [], f"{row.label} as {who} changed {changed}"
            hidden = _hidden_from(who, scene, row, refused=status in REFUSED)
            shown = _shown(_words(response), hidden, data)
            assert shown == [], f"{row.label} as {who} shows {shown}"
            if status in REFUSED and row.method == POST and who in OUTSIDE_THE_ELDERS_SIDE:
                before = _an_empty_form_is_refused_alike(person, row, url, who, hidden, tables)


def _an_empty_form_is_refused_alike(person, row, url, who, hidden, tables) -> dict:
    """A record out of reach is refused before its form is read: an empty form gets the
    same answer and shows nothing either (the issue's stranger on a review page). Rows
    naming their people in the form alone (schedule a visit) are read first, rightly."""
    before = snapshot(tables)
    if not NAME.search(row.path):
        return before
    response = person.send(row, url, {})
    after = snapshot(tables)
    assert response.status_code == row.expected[who], f"empty {row.label} as {who}"
    assert changed_tables(before, after) == [], f"empty {row.label} as {who} changed"
    shown = _shown(_words(response), hidden, {})
    assert shown == [], f"empty {row.label} as {who} shows {shown}"
    return after


# --- what people may do: each allowed POST on a scene of its own ------------------------------

ACTS = [
    pytest.param(row, who, id=f"{row.path} as {who}")
    for row in ROWS
    for who in PEOPLE
    if row.changes(who)
]


@pytest.mark.parametrize(("row", "who"), ACTS)
def test_who_may_act(app, cast, scene, row, who):
    person = SignedIn(app, cast[who])
    tables = table_names()
    url, data = scene.url(row), row.data(scene)
    before = snapshot(tables)
    response = person.send(row, url, data)
    assert response.status_code == row.expected[who], _gist(response)
    assert "/login" not in response.headers.get("Location", "")
    if not row.idle:
        assert changed_tables(before, snapshot(tables)), f"{row.label} as {who} changed nothing"


# --- signed out, and ids that do not exist ---------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, scene, subtests):
    token = csrf_token(client, "/login")
    for row in ROWS:
        with subtests.test(row=row.label):
            url = scene.url(row)
            if row.method == GET:
                response = client.get(url)
            else:
                response = client.post(url, data={**row.data(scene), "csrf_token": token})
            expected = ANONYMOUS.get(row.path, 302)
            assert response.status_code == expected, _gist(response)
            if expected == 302:
                assert "/login" in response.headers["Location"]


# Pages open to everyone, signed in or not (the street's notice board of checked services).
ANONYMOUS = {
    "/market/": 200,
    "/market/providers/{shop}": 200,
    "/market/providers/{applied}": 404,
    "/market/?community={community}": 200,
    "/market/?community={far_community}": 200,
    "/market/?street={far_street}": 200,
}

UNKNOWN = "999999"
NOT_IDS = {"day": "{day}"}  # a row's names that are not ids stay the scene's


# An unknown notification is answered as someone else's is: "not yours" (its id reveals
# nothing). A filter's community is chosen from a list: an unknown one, like another
# street's, is not a choice (400). A member browses their own street whatever ?street= says.
UNKNOWN_ANSWERS = {
    "POST /inbox/{notification}/open": 403,
    "GET /market/?street={far_street}": 200,
    **dict.fromkeys(
        (
            "GET /market/?community={community}",
            "GET /market/?community={far_community}",
            "GET /aid/requests?community={other_community}",
            "GET /aid/offers?community={other_community}",
            "GET /subsidies/report?community={community}",
            "GET /subsidies/report.csv?community={community}",
            "GET /admin/audit?community={community}",
            "GET /admin/audit.csv?community={community}",
        ),
        400,
    ),
}


def test_unknown_ids_are_not_found(app, cast, scene, subtests):
    """Each route with an id, asked by someone it serves, with ids naming nothing."""
    signed_in: dict[str, SignedIn] = {}
    for row in ROWS:
        if not NAME.search(row.path):
            continue
        who = next((w for w in PEOPLE if row.expected[w] not in REFUSED), "coordinator")
        with subtests.test(row=row.label, who=who):
            if who not in signed_in:
                signed_in[who] = SignedIn(app, cast[who])
            url = NAME.sub(lambda name: NOT_IDS.get(name[1], UNKNOWN), row.path).format_map(scene)
            response = signed_in[who].send(row, url, row.data(scene))
            assert response.status_code == UNKNOWN_ANSWERS.get(row.label, 404), _gist(response)


# --- the table is complete ------------------------------------------------------------------


def _rows_by_route(app) -> set[tuple[str, str]]:
    """(endpoint, method) for every row, as the app routes the row's path."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for row in ROWS:
        path = NAME.sub("1", row.path.partition("?")[0])
        endpoint, _args = adapter.match(path, method=row.method)
        covered.add((endpoint, row.method))
    return covered


def test_every_route_with_an_id_has_a_row(app):
    """A new route taking an id (GET or POST) fails here until the table has a row for it."""
    covered = _rows_by_route(app)
    missing = sorted(
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and any(isinstance(c, IntegerConverter) for c in rule._converters.values())
        for method in sorted(rule.methods & {GET, POST})
        if (rule.endpoint, method) not in covered
    )
    assert missing == [], "routes with an id and no row in the permission table:\n" + "\n".join(
        missing
    )


# Routes that name an object by an id in their query string: each must have a row that does.
QUERY_IDS = {
    ("aid.new_request", GET, "for"),
    ("aid.new_request", POST, "for"),
    ("aid.ask_offer", GET, "for"),
    ("aid.ask_offer", POST, "for"),
    ("timebank.log_visit", GET, "for"),
    ("timebank.log_visit", POST, "for"),
    ("timebank.gift", GET, "for"),
    ("timebank.gift", POST, "for"),
    ("timebank.donate", GET, "for"),
    ("timebank.donate", POST, "for"),
    ("timebank.statement", GET, "member"),
    ("timebank.statement_csv", GET, "member"),
    ("groups.new", GET, "community"),
    ("groups.new", POST, "community"),
    ("reports.find_certificate", GET, "volunteer"),
    ("bookings.new", GET, "item"),
    ("bookings.new", GET, "again"),
    ("bookings.new", GET, "for"),
    ("bookings.new", POST, "for"),
    ("aid.open_list", GET, "community"),
    ("aid.offer_list", GET, "community"),
    ("market.browse", GET, "community"),
    ("market.browse", GET, "street"),
    ("subsidies.report", GET, "community"),
    ("subsidies.report_csv", GET, "community"),
    ("admin.audit", GET, "community"),
    ("admin.audit_csv", GET, "community"),
    ("problems.new", GET, "for"),
    ("problems.new", POST, "for"),
    ("problems.new", GET, "compound"),
    ("problems.new", POST, "compound"),
}


def test_every_id_in_a_query_string_has_a_row(app):
    adapter = app.url_map.bind("localhost")
    covered = set()
    for row in ROWS:
        path, _, query = row.path.partition("?")
        endpoint, _args = adapter.match(NAME.sub("1", path), method=row.method)
        for pair in filter(None, query.split("&")):
            name, _, value = pair.partition("=")
            if NAME.fullmatch(value):
                covered.add((endpoint, row.method, name))
    assert sorted(QUERY_IDS - covered) == []


def test_every_row_is_asked_of_all_nine():
    assert len(PEOPLE) == 9
    assert all(set(row.expected) == set(PEOPLE) for row in ROWS)
    labels = [row.label for row in ROWS]
    assert len(labels) == len(set(labels)), "a row is in the table twice"
