"""Fixtures: an app on a migrated database (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), a client, and factories for members.

Each backend is migrated once per run with the real Alembic migrations; each
test then gets a fresh copy (SQLite: a copied file; PostgreSQL: truncated
tables).
"""

from __future__ import annotations

import gc
import itertools
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask import Flask, g, request_started
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.routing.rules import Rule
from werkzeug.serving import make_server

import community.models as community_models
from app import create_app
from community.models import Community, Role, Street, User
from community.services import create_member, found_community, link_family
from extensions import db
from marketplace.models import Provider
from seed.cli import seed_demo
from tests.servers import Mailbox, smtp_server
from timebank.accounts import open_provider_account

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(ROOT / "migrations")
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "plum-blossom-9"


def pytest_configure(config):
    if os.environ.get("CI") == "true" and not PG_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is not set: PostgreSQL is required")
    # Hashing a password with scrypt costs ~0.15 s; the suite creates thousands of members.
    community_models.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    _share_url_builders()


def _share_url_builders() -> None:
    """Compile each route's URL builder once per run instead of once per app.

    Every test builds its own app, and werkzeug generates and compiles Python
    code for two builders per route: ~130 ms per app for ~130 routes, minutes
    over the suite. The generated code depends only on the rule's shape (its
    parts, defaults, and whether unknown arguments are appended), and calls the
    converters through the rule it is bound to, so equal shapes can share it.
    """
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared", False):
        return  # another werkzeug: leave it alone
    builders: dict[tuple, object] = {}

    def compile_builder(self, append_unknown: bool = True):
        key = (tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = original(self, append_unknown)
        return builder

    compile_builder.shared = True
    Rule._compile_builder = compile_builder


def pytest_collection_finish(session):
    """Spare the collector the run's own code and data, and let it run less often.

    Everything imported and collected by now lives until the run ends, yet each full
    collection walked all of it again: a test builds an app and a database's worth of
    objects, so collections came every few milliseconds and took a third of a test's
    time. Frozen, those objects are never walked; a higher first threshold makes
    collections rarer (cyclic garbage waits a little longer, and no test counts it).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)


def pytest_collection_modifyitems(config, items):
    """View tests (test_views_*.py, and tests marked ``views``) run on SQLite only.

    Who may see and do what is decided in Python, the same on every database;
    the services and the ledger under those views run on both backends in
    their own tests. Running each view table twice would double the suite.
    """
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        views = item.path.name.startswith("test_views_") or item.get_closest_marker("views")
        (dropped if on_postgres and views else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _config(url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
        # tests look at the browse list right after changing it (its cache has its own test)
        "MARKET_BROWSE_CACHE_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "linli.sqlite3"
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    return path


def _admin_engine():
    return create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _migrated_postgres(name: str) -> str:
    """A new database ``name`` on TEST_DATABASE_URL's server, migrated; its URL."""
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app(_config(url))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    return url


def _drop_postgres(name: str) -> None:
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    """A database of this run's own on TEST_DATABASE_URL's server, migrated, dropped at the end.

    Its own database keeps parallel runs (developers, CI) from emptying each other's tables.
    """
    assert PG_URL
    name = f"linli_test_{os.getpid()}"
    yield _migrated_postgres(name)
    global _pg_engine
    if _pg_engine is not None:
        _pg_engine.dispose()
        _pg_engine = None
    _drop_postgres(name)


_pg_engine = None
_pg_emptying: str | None = None


def _empty_postgres(url: str) -> None:
    """Delete every row, leaving the rows the migrations create: one batch of DELETEs on
    one kept connection, 3–5 ms (TRUNCATE costs ~0.4 s a test, and a DELETE a statement
    on a new connection ~50 ms).

    Replica mode skips triggers, including the ones that keep transfers and
    the audit log append-only: emptying a test database is the one place that may.
    """
    global _pg_engine, _pg_emptying
    if _pg_engine is None:
        _pg_engine = create_engine(url, pool_size=1)
    with _pg_engine.begin() as connection:
        if _pg_emptying is None:
            tables = connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            ).scalars()
            _pg_emptying = "".join(
                [
                    "SET LOCAL session_replication_role = replica;",
                    *(f'DELETE FROM "{name}";' for name in tables),
                    # the audit chain's head is a row the migration creates (an empty chain)
                    "INSERT INTO audit_chain_head (id, last_hash) VALUES (1, '');",
                ]
            )
        connection.exec_driver_sql(_pg_emptying)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "linli.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    _empty_postgres(url)
    return url


# --- the demo street, seeded once a run ---------------------------------------------------
# Seeding it takes 10–30 s; tests that read it (``database_url`` overridden by
# ``demo_database_url`` in their module) each get a copy of one seeded database instead.


def _seed_demo_into(url: str, photos: Path) -> None:
    app = create_app({**_config(url), "PHOTO_DIR": str(photos)})
    with app.app_context():
        seed_demo()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory) -> tuple[Path, Path]:
    """A migrated SQLite file with the demo street, and the folder of its photos."""
    folder = tmp_path_factory.mktemp("demo-template")
    path = folder / "linli.sqlite3"
    shutil.copy(sqlite_template, path)
    _seed_demo_into(f"sqlite:///{path}", folder / "photos")
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the file itself
    return path, folder / "photos"


@pytest.fixture(scope="session")
def postgres_demo_template(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL database of this run's own, migrated and seeded with the demo street
    (copied for each test with CREATE DATABASE … TEMPLATE), and the folder of its photos."""
    assert PG_URL
    name = f"linli_test_{os.getpid()}_demo"
    photos = tmp_path_factory.mktemp("demo-template") / "photos"
    _seed_demo_into(_migrated_postgres(name), photos)
    yield name, photos
    _drop_postgres(name)


_demo_copies = itertools.count()


def copy_demo_photos(seeded: Path, folder: Path) -> None:
    """The demo street's photos into ``folder`` (a test app's PHOTO_DIR)."""
    if seeded.exists():
        shutil.copytree(seeded, folder, dirs_exist_ok=True)


@pytest.fixture(params=BACKENDS)
def demo_database_url(request, tmp_path) -> Iterator[str]:
    """A fresh copy of a database holding the demo street (and its photos in the test's
    photo folder), on each backend. A module of tests on the demo names it its
    ``database_url``."""
    if request.param == "sqlite":
        template, photos = request.getfixturevalue("sqlite_demo_template")
        path = tmp_path / "linli.sqlite3"
        shutil.copy(template, path)
        copy_demo_photos(photos, tmp_path / "photos")
        yield f"sqlite:///{path}"
        return
    template, photos = request.getfixturevalue("postgres_demo_template")
    name = f"{template}_{next(_demo_copies)}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    copy_demo_photos(photos, tmp_path / "photos")
    admin.dispose()
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    _drop_postgres(name)


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def _fresh_request_globals(sender, **extra) -> None:
    """Start each request with an empty ``g``, as in production.

    Test-client requests reuse the test's app context and so its ``g``:
    otherwise Flask-Login's cached user (and Flask-WTF's token) from one
    client's request would leak into the next client's.
    """
    g._get_current_object().__dict__.clear()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            **_config(database_url),
            "EXPORT_DIR": str(tmp_path / "exports"),
            "PHOTO_DIR": str(tmp_path / "photos"),
        }
    )
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def smtp(app) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 that keeps what it receives; the app sends to it."""
    with smtp_server() as (mailbox, port):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        yield mailbox


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """``app`` on 127.0.0.1 (a free port), one thread per request; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


_numbers = itertools.count(1)


def birth_date_for(age: int) -> date:
    """A birth date that makes someone exactly ``age`` today (born on 1 January)."""
    return date(date.today().year - age, 1, 1)


@pytest.fixture
def street(app) -> Street:
    street = Street(name="沧浪街道")
    db.session.add(street)
    db.session.flush()
    return street


@pytest.fixture
def make_community(app, street):
    def make(name: str | None = None, **policy) -> Community:
        return found_community(street_id=street.id, name=name or f"社区{next(_numbers)}", **policy)

    return make


@pytest.fixture
def community(make_community) -> Community:
    return make_community("桂花新村社区")


@pytest.fixture
def make_member(app, community):
    """make_member(name, age=70, community=..., role=..., **flags) -> User with a password."""

    def make(
        name: str | None = None,
        *,
        age: int | None = 70,
        community: Community = community,
        role: str = Role.MEMBER,
        phone: str | None = None,
        password: str | None = PASSWORD,
        **flags,
    ) -> User:
        n = next(_numbers)
        return create_member(
            by=None,
            community=community,
            display_name=name or f"居民{n}",
            birth_date=birth_date_for(age) if age is not None else None,
            phone=phone if phone is not None else f"139{n:08d}",
            password=password,
            role=role,
            **flags,
        )

    return make


@pytest.fixture
def volunteer(make_member) -> User:
    return make_member("李志愿", age=62, is_volunteer=True)


@pytest.fixture
def elder(make_member) -> User:
    return make_member("王秀英", age=82)


@pytest.fixture
def coordinator(make_member) -> User:
    return make_member("张社工", age=40, role=Role.COORDINATOR)


@pytest.fixture
def family(make_member, elder) -> User:
    """The elder's daughter, linked with every right (book, confirm, receive gifts)."""
    daughter = make_member("王女儿", age=50)
    link_family(elder=elder, relative=daughter, by=elder, relation="daughter")
    return daughter


@pytest.fixture
def other_community(make_community) -> Community:
    """A second community of the same street."""
    return make_community("金狮河沿社区")


@pytest.fixture
def people(make_member, other_community, elder, family, volunteer, coordinator) -> dict[str, User]:
    """Everyone a permission test signs in as, by name: the issue's seven people.

    The provider owns a verified marketplace provider serving both communities of
    the street; in the time bank it is a member with no special rights. The street admin belongs to the other community,
    so their reach across the street is what lets them in.
    """
    owner = make_member("保洁公司老板", age=45)
    shop = Provider(
        name="好帮手家政",
        kind="company",
        categories="housekeeping",
        contact_name=owner.display_name,
        contact_phone=owner.phone,
        owner_id=owner.id,
        street_id=owner.community.street_id,
        account_id=open_provider_account(owner.community_id).id,
        status="verified",
    )
    # it serves both communities of the street: each coordinator has one side of it
    shop.communities = [elder.community, other_community]
    db.session.add(shop)
    db.session.flush()
    return {
        "elder": elder,
        "family": family,
        "volunteer": volunteer,
        "provider": owner,
        "coordinator": coordinator,
        "other_coordinator": make_member(
            "外社工", age=41, role=Role.COORDINATOR, community=other_community
        ),
        "street_admin": make_member(
            "街道管理员", age=45, role=Role.STREET_ADMIN, community=other_community
        ),
    }


@pytest.fixture
def far_people(make_member) -> dict[str, User]:
    """Staff of another street (its own community), who must reach nothing of this one."""
    far_street = Street(name="双塔街道")
    db.session.add(far_street)
    db.session.flush()
    far_community = found_community(street_id=far_street.id, name="双塔社区")
    return {
        "far_coordinator": make_member(
            "外街社工", age=39, role=Role.COORDINATOR, community=far_community
        ),
        "far_street_admin": make_member(
            "外街管理员", age=50, role=Role.STREET_ADMIN, community=far_community
        ),
    }


@pytest.fixture
def english(app):
    """Messages in English (the msgids) in the services, so tests can read them
    whatever the catalogue holds."""
    with force_locale("en"):
        yield


@pytest.fixture
def english_pages(client):
    """English messages (the msgids) in the services and in the client's session,
    so view tests can read them whatever the catalogue holds."""
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/login")})
    with force_locale("en"):
        yield


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token the client's session would put in a form on ``path`` (or on the page
    it leads to: "/" takes each member to their own work)."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, user: User, password: str = PASSWORD):
    db.session.commit()
    response = client.post(
        "/login",
        data={"login": user.login_name, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@contextmanager
def counted_statements():
    """The SQL statements sent inside the ``with`` block, as a list filled as they go."""

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
