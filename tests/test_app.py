"""The application shell: error pages, and migrations on both databases."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from app import create_app
from extensions import db
from timebank.errors import BelowFloor
from timebank.models import Account

PG_URL = os.environ.get("TEST_DATABASE_URL")


# --- configuration ---------------------------------------------------------------------


def test_development_runs_on_the_embedded_defaults(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}"})
    assert app.config["LINLI_ENV"] == "development"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"


# --- error pages -----------------------------------------------------------------------

JSON = {"Accept": "application/json"}


@pytest.fixture
def failing_app(app):
    """The app with two routes that fail after writing: a rule refusing, and a crash."""

    def refused():
        db.session.execute(text("UPDATE accounts SET balance_minutes = 999"))
        raise BelowFloor("Not enough hours")

    def crashed():
        db.session.execute(text("UPDATE accounts SET balance_minutes = 999"))
        raise RuntimeError("boom")

    app.add_url_rule("/test/refused", view_func=refused)
    app.add_url_rule("/test/crashed", view_func=crashed)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_unknown_page_is_404_in_html_or_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    as_json = client.get("/no-such-page", headers=JSON)
    assert as_json.status_code == 404
    assert as_json.mimetype == "application/json"
    message = as_json.get_json()["error"]
    assert message and message in page.get_data(as_text=True)


def test_wrong_method_is_405(client):
    assert client.post("/statement", headers=JSON).status_code == 405
    assert client.post("/statement").status_code == 405


def test_rule_refusal_shows_its_message_and_rolls_back(failing_app, client, community):
    db.session.commit()
    page = client.get("/test/refused")
    assert page.status_code == 409
    assert "Not enough hours" in page.get_data(as_text=True)
    assert client.get("/test/refused", headers=JSON).get_json() == {"error": "Not enough hours"}
    db.session.expire_all()
    assert {a.balance_minutes for a in db.session.query(Account)} == {0}


def test_crash_is_a_500_that_changes_nothing(failing_app, client, community):
    db.session.commit()
    page = client.get("/test/crashed")
    assert page.status_code == 500
    assert "boom" not in page.get_data(as_text=True)
    crashed = client.get("/test/crashed", headers=JSON)
    assert crashed.status_code == 500 and crashed.get_json()["error"]
    db.session.expire_all()
    assert {a.balance_minutes for a in db.session.query(Account)} == {0}


def test_missing_csrf_token_is_400(client):
    page = client.post("/login", data={"login": "13900000001", "password": "secret123"})
    assert page.status_code == 400
    as_json = client.post("/login", data={"login": "x", "password": "y"}, headers=JSON)
    assert as_json.status_code == 400 and as_json.get_json()["error"]


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- migrations ------------------------------------------------------------------------

MIGRATION_BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=MIGRATION_BACKENDS)
def empty_database(request, tmp_path):
    """A database with no tables at all, on each backend; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server = make_url(PG_URL)
    name = f"linli_migrate_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_then_no_drift(empty_database):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": empty_database,
            "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
        }
    )
    runner = app.test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    checked = runner.invoke(args=["db", "check"])
    assert checked.exit_code == 0, checked.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        verified = runner.invoke(args=["ledger", "verify"])
        db.engine.dispose()
    assert {"users", "accounts", "transfers", "holds", "service_records"} <= tables
    assert verified.exit_code == 0 and verified.output.startswith("ok")
