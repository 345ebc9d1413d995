"""No input makes a server error, and a refusal writes nothing: every route, fuzzed.

Every rule of the app's URL map (so a route added later is covered too) is sent
GET and POST by a member, a provider, a coordinator and a street admin, with
hypothesis choosing: ids from the seeded rows, from 2**31 to 2**70 and negative;
text with NUL bytes, lone surrogates, right-to-left marks, control characters and
huge sizes; dates from year 1 to 9999; amounts such as NaN and 1e999999. The
names filled in are every field name of every form of the app, and the query
names the pages read.

Each answer must be below 500, and when it refuses (4xx) every table must hold
the same rows as before the request.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import string
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, DateField, DecimalField, IntegerField, MonthField, TimeField

import storage
from extensions import db
from form_limits import BIRTH_DATE
from marketplace.models import Provider
from tests.conftest import csrf_token, login
from tests.form_harvest import PageForm, harvest
from tests.marketplace.conftest import make_booking, make_item  # noqa: F401  (fixtures)
from tests.table_rows import changed_tables, table_names, table_rows
from tests.test_form_limits import _fields, _forms
from timebank.clock import local_today
from timebank.requests import Need, post_request
from timebank.visits import log_visit

# A few per route keep the suite quick; LINLI_FUZZ_EXAMPLES=50 digs deeper.
EXAMPLES_PER_ROUTE = int(os.environ.get("LINLI_FUZZ_EXAMPLES", "5"))
MAX_FIELDS = 5  # fuzzed at once; the other fields keep plausible values
PEOPLE = ("elder", "provider", "coordinator", "street_admin")
# file servers (the favicon too: tests/test_page_frame.py); signing out ends the fuzzing;
# /readyz takes no input and answers 503 by design while no worker beats
# (tests/jobs/test_readyz.py checks every answer it gives)
SKIPPED = {"static", "favicon", "community.logout", "readiness.readyz"}
# Names the pages read from the query string (besides form fields).
QUERY_NAMES = (
    "for", "member", "item", "day", "community", "street", "page", "start", "end", "kind",
    "category", "on_date", "q", "month", "report", "volunteer", "to", "next", "before", "after",
)  # fmt: skip
ACTIONS = (
    "accept", "decline", "deliver", "confirm", "cancel", "no_show", "mark_paid", "dispute",
    "verify", "reject", "suspend", "reinstate",
)  # fmt: skip

KEYS = itertools.count()
ROUTE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")

# --- what hypothesis sends ------------------------------------------------------------------

NASTY_CHARACTERS = st.one_of(
    st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\x85", "\u200f", "\u202e", "\ufeff"]),
    st.characters(categories=["Cs"]),  # lone surrogates
    st.characters(categories=["Cc"]),
    st.characters(codec="utf-8"),
)
HUGE_TEXT = st.sampled_from(["长" * 100_000, "x" * 600_000, "长" * 2_000_000])  # 0.3, 0.6, 6 MB
TEXT = st.one_of(st.text(NASTY_CHARACTERS, max_size=30), st.text(string.printable, max_size=30))
BIG_INTS = st.one_of(st.integers(2**31, 2**70), st.integers(-(2**70), -1))
IDS = st.one_of(st.integers(1, 8), BIG_INTS)
DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.integers(-30, 400).map(lambda days: (local_today() + timedelta(days=days)).isoformat()),
    st.sampled_from(["9999-12", "0001-01", "2026-02-30", "10000-01-01"]),
)
NUMBERS = st.one_of(
    IDS.map(str),
    st.integers(0, 120).map(str),
    st.sampled_from(["NaN", "sNaN", "-Infinity", "1e999999", "1e-999999", "0.001", "12.5"]),
    st.just("9" * 5000),  # more digits than Python turns into a number
)
TIMES = st.one_of(st.sampled_from(["09:00", "23:59", "24:00", "-1:00"]), TEXT)
VALUES = st.one_of(TEXT, NUMBERS, DATES, TIMES)
# Names read as numbers or dates get mostly those (and sometimes anything).
NUMBER_NAMES = {"page", "for", "member", "item", "community", "street", "slot", "quantity"}
DATE_NAMES = {"day", "start", "end", "on_date", "month", "needed_on", "service_date"}


def _strategy_for(name: str) -> st.SearchStrategy[str]:
    if name in NUMBER_NAMES:
        return st.one_of(NUMBERS, VALUES)
    if name in DATE_NAMES:
        return st.one_of(DATES, VALUES)
    return VALUES


def _plausible_value(name: str, field) -> str:
    """A value a person might well send for ``field`` (so that fuzzing reaches the services)."""
    kind = field.field_class
    choices = field.kwargs.get("choices")
    if choices:
        values = [str(getattr(c, "value", c[0] if isinstance(c, tuple) else c)) for c in choices]
        return next((value for value in values if value), "")
    if any(v is BIRTH_DATE for v in field.kwargs.get("validators", ())):
        return "1950-01-01"
    if issubclass(kind, MonthField):
        return local_today().strftime("%Y-%m")
    if issubclass(kind, DateField):
        return (local_today() + timedelta(days=1)).isoformat()
    if issubclass(kind, TimeField):
        return "11:00" if name.endswith(("end", "ended_at", "ends_at", "until")) else "10:00"
    if issubclass(kind, BooleanField):
        return "y"
    if issubclass(kind, IntegerField | DecimalField):
        return "1"
    return "3"


def _plausible_forms() -> dict[str, list[str]]:
    """For every field name of every form of the app, the values plausible in one form or
    another ("category" is a kind of help in one form, a kind of service in another)."""
    plausible: dict[str, set[str]] = {}
    for form in _forms():
        if issubclass(form, FlaskForm):
            for name, field in _fields(form):
                plausible.setdefault(name, set()).add(_plausible_value(name, field))
    return {name: sorted(values) for name, values in plausible.items()}


PLAUSIBLE = _plausible_forms()
FIELD_NAMES = sorted(PLAUSIBLE)


@st.composite
def _plausible_form(draw) -> dict[str, str]:
    return {name: draw(st.sampled_from(values)) for name, values in PLAUSIBLE.items()}


@st.composite
def _values(draw, names, huge: bool = False) -> dict[str, str]:
    """Some of ``names``, each with a value (a date, a number, text or a time); if ``huge``,
    one in ten times one of them is huge (only in a body: servers cap a URL at a few KB)."""
    chosen = draw(st.lists(st.sampled_from(names), max_size=MAX_FIELDS, unique=True))
    values = {name: draw(_strategy_for(name)) for name in chosen}
    if huge and draw(st.sampled_from([False] * 9 + [True])):
        values[draw(st.sampled_from(names))] = draw(HUGE_TEXT)
    return values


def _encode(pairs: list[tuple[str, str]]) -> str:
    """URL-encoded, lone surrogates and all (the test client would refuse to encode them)."""
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in pairs)


@functools.lru_cache(maxsize=64)  # the huge texts are quoted once
def _quote(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _path_value(converter: str | None, draw) -> str:
    if converter == "int":
        return str(draw(IDS))
    return _quote(draw(st.one_of(st.sampled_from(ACTIONS), TEXT)))


# --- what must hold -------------------------------------------------------------------------


def snapshot(tables: list[str]) -> dict[str, list[str]]:
    """Every table's rows (as text, sorted): cheap on the few rows these tests make."""
    db.session.rollback()
    with storage.read_only():
        rows = table_rows(db.session.connection(), tables)
    db.session.rollback()
    return rows


# --- the scene ------------------------------------------------------------------------------


@pytest.fixture
def scene(app, people, request):
    """A few rows for the small ids to find (a request for help, a logged visit, a menu
    item and a booking), signed-in clients, and the forms their pages show."""
    tomorrow = local_today() + timedelta(days=1)
    post_request(
        Need(category="meal", estimated_minutes=60, needed_on=tomorrow),
        requester=people["elder"],
        by=people["elder"],
        idempotency_key="scene-need",
    )
    log_visit(
        volunteer=people["volunteer"],
        recipient=people["elder"],
        category="meal",
        service_date=local_today(),
        entered_by=people["volunteer"],
        idempotency_key="scene-visit",
        minutes=60,
    )
    provider = db.session.scalar(select(Provider).where(Provider.owner_id == people["provider"].id))
    item = request.getfixturevalue("make_item")(provider)
    request.getfixturevalue("make_booking")(item, people["elder"])
    db.session.commit()
    clients, tokens, forms = {}, {}, {}
    for name in PEOPLE:
        client = app.test_client()
        login(client, people[name])
        clients[name], tokens[name] = client, csrf_token(client, "/")
        for form in harvest(client, _pages(app)):
            endpoint = _endpoint(app, form)
            if endpoint is not None:
                forms.setdefault((name, endpoint, form.method), []).append(form)
    # who a form names (a recipient, a relative…): people who exist, so services are reached
    known = {
        "recipient": people["elder"].phone,
        "elder": people["elder"].phone,
        "member": people["elder"].phone,
        "volunteer": people["volunteer"].phone,
        "relative": people["family"].phone,
        "participants": people["volunteer"].phone,
        "communities": str(people["elder"].community_id),
        "community": str(people["elder"].community_id),
    }
    return Scene(clients, tokens, known, forms, table_names())


@dataclass
class Scene:
    clients: dict
    tokens: dict
    known: dict[str, str]
    forms: dict[tuple[str, str, str], list[PageForm]]  # (who, endpoint, method) → forms
    tables: list[str]  # every table of its database
    # Every table's rows as the last answer left them (None: not known). Nothing else writes
    # between two requests here (no worker runs in tests), so one request's "after" is the
    # next one's "before": one read of every table per request, not two.
    rows: dict[str, list[str]] | None = None


def _pages(app) -> list[str]:
    """Every page with ids 1 and 2 (the scene's rows), to read their forms."""
    pages = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in SKIPPED:
            for number in ("1", "2"):
                pages.add(ROUTE_ARGUMENT.sub(lambda part, n=number: n, rule.rule))
    return sorted(pages)


def _endpoint(app, form: PageForm) -> str | None:
    try:
        endpoint, _args = app.url_map.bind("localhost").match(
            urlsplit(form.action).path, method=form.method
        )
    except HTTPException:
        return None
    return endpoint


def _routes(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in SKIPPED
        for method in ("GET", "POST")
        if method in rule.methods
    )


def _fuzzer(rule, method: str, scene: Scene):
    """A hypothesis test of one route and method (run by calling it)."""

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        # no shrinking: on a failure the message names the request; shrinking a route's
        # examples against a live database would cost minutes
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data) -> None:
        who = data.draw(st.sampled_from(PEOPLE), label="who")
        client = scene.clients[who]
        shown = scene.forms.get((who, rule.endpoint, method), [])
        page_form = data.draw(st.sampled_from([*shown, None]), label="form on a page")
        if page_form is not None:  # the form as its page offers it, a few fields fuzzed
            url, base = page_form.target, page_form.fields
        else:  # ids and fields of any form, anywhere
            url = ROUTE_ARGUMENT.sub(
                lambda part: _path_value(part["converter"], data.draw), rule.rule
            )
            base = (
                []
                if method == "GET"
                else list({**data.draw(_plausible_form()), **scene.known}.items())
            )
        if method == "GET":  # what the pages read from a query, and this page's own filters
            names = QUERY_NAMES + tuple(sorted({name for name, _ in base}))
        else:
            names = tuple(FIELD_NAMES)
        fuzzed = data.draw(_values(names, huge=method == "POST"), label="fuzzed")
        pairs = [(k, v) for k, v in base if k not in fuzzed and k != "csrf_token"]
        pairs += list(fuzzed.items())
        sent = f"{method} {url[:300]} as {who} with " + ", ".join(
            f"{k}={v[:40]!r}" for k, v in fuzzed.items()
        )
        before = scene.rows if scene.rows is not None else snapshot(scene.tables)
        scene.rows = None  # until this request has answered
        if method == "GET":
            query = _encode(pairs)
            response = client.get(f"{url}{'&' if '?' in url else '?'}{query}" if query else url)
        else:
            pairs += [("csrf_token", scene.tokens[who]), ("idempotency_key", f"fuzz-{next(KEYS)}")]
            response = client.post(
                url, data=_encode(pairs), content_type="application/x-www-form-urlencoded"
            )
        status = response.status_code
        response.get_data()  # read a streamed body (CSV) to its end, as a browser would
        response.close()
        scene.rows = snapshot(scene.tables)
        assert status < 500, f"{sent}: {status}"
        if 400 <= status < 500:
            changed = changed_tables(before, scene.rows)
            assert not changed, f"{sent}: {status}, wrote {changed}"

    return fuzz


def test_no_input_makes_a_server_error_and_a_refusal_writes_nothing(app, scene, subtests):
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    routes = _routes(app)
    assert len(routes) > 150  # every route of every blueprint

    for path, method in routes:
        with subtests.test(route=f"{method} {path}"):
            _fuzzer(rules[path], method, scene)()


# Each read by some page: sent to every page at once, every name of the query the same.
ABSURD_QUERIES = ["9" * 5000, str(2**70), "-1", "9999-12-31", "sNaN"]


def test_every_page_takes_absurd_queries(app, scene, subtests):
    """Deterministic where the fuzz is random: every page, with every name it might read
    set to one absurd value at a time, as each person. Below 500 always."""
    names = sorted(set(QUERY_NAMES) | set(FIELD_NAMES))
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        path = ROUTE_ARGUMENT.sub("1", rule.rule)
        with subtests.test(route=rule.rule):
            for value in ABSURD_QUERIES:
                query = _encode([(name, value) for name in names])
                for who in PEOPLE:
                    response = scene.clients[who].get(f"{path}?{query}")
                    response.get_data()
                    response.close()
                    assert response.status_code < 500, f"{path} as {who}, all = {value[:20]!r}"
