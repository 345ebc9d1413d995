"""The vocabulary of the one permission table (tests/test_permissions.py): its nine people,
a row, the scene a row's path names, signing in, and a snapshot of every table.

Each package's rows live beside its tests (tests/<package>/permission_rows.py) and
export ``BUILDERS`` (the scene's objects, by name) and ``ROWS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from itsdangerous import URLSafeTimedSerializer

from extensions import db
from storage import read_only
from tests.table_rows import table_rows

# The people: four members, three staff of this street, two of another street.
PEOPLE = (
    "elder",
    "family",
    "volunteer",
    "provider",
    "coordinator",
    "other_coordinator",
    "street_admin",
    "far_coordinator",
    "far_street_admin",
)
FAR = frozenset({"far_coordinator", "far_street_admin"})
# The elder's own staff: a coordinator of their community and the admin of their street.
COORDINATORS = frozenset({"coordinator", "street_admin"})
# Everyone whose role is staff, each on their own people (lists show their own).
STAFF = COORDINATORS | {"other_coordinator"} | FAR
REFUSED = frozenset({403, 404})

GET, POST = "GET", "POST"


def only(ok: Iterable[str], status: int, refused: int = 403) -> dict[str, int]:
    """``status`` for the people in ``ok``, ``refused`` for everyone else."""
    ok = set(ok)
    unknown = ok - set(PEOPLE)
    assert not unknown, unknown
    return {who: status if who in ok else refused for who in PEOPLE}


def nothing(scene) -> dict:
    return {}


@dataclass(frozen=True)
class Row:
    """One route, asked one way, and the exact status each of the nine people gets.

    ``path`` names the scene's ids in braces (in the path or its query string);
    ``data`` builds the form a POST sends. ``writes`` names the people whose answer
    records something although it is a page or a 4xx (the card page chooses the box a
    visit asks for; a wrong card code counts as a try). An ``idle`` action may find
    nothing to do in the scene (no unread message to mark, no lock to lift): its status
    is checked, not that it changed something. ``names_elder`` lists people outside the
    elder's side to whom the route may name the elder (the other side of a two-sided
    record, the street's board of open requests); no other page shows them the elder.
    """

    method: str
    path: str
    expected: dict[str, int]
    data: Callable[..., dict] = nothing
    writes: frozenset[str] = field(default_factory=frozenset)
    idle: bool = False
    names_elder: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        assert self.method in (GET, POST), self.method
        assert set(self.expected) == set(PEOPLE), (self.path, set(PEOPLE) ^ set(self.expected))

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def changes(self, who: str) -> bool:
        """True if ``who``'s answer is meant to change the database."""
        return who in self.writes or (self.method == POST and self.expected[who] < 400)


def get(path: str, expected: dict[str, int], writes=(), names_elder=()) -> Row:
    return Row(GET, path, expected, writes=frozenset(writes), names_elder=frozenset(names_elder))


def post(
    path: str, expected: dict[str, int], data=nothing, writes=(), idle=False, names_elder=()
) -> Row:
    return Row(POST, path, expected, data, frozenset(writes), idle, frozenset(names_elder))


# --- the scene -------------------------------------------------------------------------------


class Scene(dict):
    """Ids by name, each built (and committed) the first time a path asks for it.

    ``builders`` maps a name to a function of the scene that returns an object with an
    ``id`` (or an id). ``people`` are the nine, ``make_member`` the conftest factory.
    """

    def __init__(self, builders: dict[str, Callable], people: dict, make_member) -> None:
        super().__init__()
        self.builders = builders
        self.people = people
        self.make_member = make_member
        self.built = 0  # how many objects were built: a snapshot older than this is stale

    def __missing__(self, name: str) -> int:
        built = self.builders[name](self)
        db.session.commit()
        self[name] = built if isinstance(built, (int, str)) else built.id
        self.built += 1
        return self[name]

    def url(self, row: Row) -> str:
        return row.path.format_map(self)


# Names every package's rows may use: the people themselves and their places.
COMMON_BUILDERS: dict[str, Callable] = {
    **{who: (lambda scene, who=who: scene.people[who]) for who in PEOPLE},
    "community": lambda scene: scene.people["coordinator"].community,
    "other_community": lambda scene: scene.people["other_coordinator"].community,
    "far_community": lambda scene: scene.people["far_coordinator"].community,
    "far_street": lambda scene: scene.people["far_coordinator"].community.street_id,
    # an elder of community B (the other community of this street)
    "b_resident": lambda scene: scene.make_member(
        "金狮老人", age=81, community=scene.people["other_coordinator"].community
    ),
    # an elder of the second street, for its staff to reach and nobody here
    "far_elder": lambda scene: scene.make_member(
        "双奶奶", age=85, community=scene.people["far_coordinator"].community
    ),
}


def merged(*tables: dict[str, Callable]) -> dict[str, Callable]:
    """One builder table from each package's, refusing a name two packages both define."""
    builders: dict[str, Callable] = {}
    for table in tables:
        clash = builders.keys() & table.keys()
        assert not clash, f"builders defined twice: {sorted(clash)}"
        builders.update(table)
    return builders


# --- signing in, cheaply ---------------------------------------------------------------------


class SignedIn:
    """A test client signed in as ``user`` by writing the session Flask-Login reads (no
    password check, no sign-in limits), with the CSRF token its forms carry."""

    def __init__(self, app, user) -> None:
        db.session.commit()  # the people, so that the app's requests and snapshots see them
        self.client = app.test_client()
        raw = uuid.uuid4().hex
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["csrf_token"] = raw
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        self.token = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)

    def send(self, row: Row, url: str, data: dict):
        """Ask ``row``'s route at ``url`` (a POST with ``data``); read in full (CSV streams)."""
        if row.method == GET:
            response = self.client.get(url)
        else:
            response = self.client.post(url, data={**data, "csrf_token": self.token})
        response.get_data()
        response.close()
        return response


# --- what the database holds ---------------------------------------------------------------


def snapshot(tables: list[str]) -> dict[str, list[str]]:
    """Every committed row of every table (a small scene: a few hundred)."""
    with read_only(), db.engine.connect() as connection:  # a reader never waits for a writer
        return table_rows(connection, tables)
