"""scripts/restore_drill.sh against the machine's PostgreSQL: a migrated, seeded
database is dumped, restored into a scratch database, verified there and dropped; a
ledger changed behind the app's back fails the drill (and the scratch is still dropped).

Needs TEST_DATABASE_URL (and pg_dump, pg_restore, psql): skipped without it locally,
a failure under CI=true (as every PostgreSQL test, see conftest).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app import create_app
from extensions import db
from seed.scale import seed_scale
from tests.conftest import MIGRATIONS, PG_URL, ROOT, _config

DRILL = ROOT / "scripts" / "restore_drill.sh"
needs_postgres = pytest.mark.skipif(not PG_URL, reason="the drill needs TEST_DATABASE_URL")


@pytest.fixture
def seeded_database() -> str:
    """A database of this test's own, migrated and seeded (a small street), then dropped."""
    server = make_url(PG_URL)
    name = f"linli_drill_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    app = create_app(_config(url))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        seed_scale(60)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def drill(url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LINLI_ENV": "development",
        "PYTHON": sys.executable,
        "FLASK": str(ROOT / ".venv" / "bin" / "flask"),
    }
    return subprocess.run(
        ["bash", str(DRILL)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def scratch_databases() -> list[str]:
    admin = create_engine(PG_URL, poolclass=NullPool)
    with admin.connect() as connection:
        names = connection.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'linli_restore_drill_%'")
        ).scalars()
        found = list(names)
    admin.dispose()
    return found


@needs_postgres
def test_the_drill_restores_and_verifies_then_drops_its_scratch(seeded_database):
    before = scratch_databases()
    passed = drill(seeded_database)
    assert passed.returncode == 0, passed.stderr
    assert "every invariant holds" in passed.stdout
    assert "No new upgrade operations detected" in passed.stdout
    assert "transfers=1200" in passed.stderr  # 60 members, about 20 transfers each
    assert passed.stderr.rstrip().endswith("restore drill: passed")
    assert scratch_databases() == before

    # a transfer changed behind the app's back (its append-only trigger bypassed)
    engine = create_engine(seeded_database, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(
            text("UPDATE transfers SET amount_minutes = amount_minutes + 1 WHERE id = 7")
        )
    engine.dispose()
    failed = drill(seeded_database)
    assert failed.returncode != 0
    assert "failed: checking the ledger and the hash chains there" in failed.stderr
    assert failed.stderr.rstrip().endswith("restore drill: FAILED")
    assert scratch_databases() == before


def test_the_drill_refuses_a_database_that_is_not_postgresql(tmp_path):
    refused = drill(f"sqlite:///{tmp_path / 'linli.sqlite3'}")
    assert refused.returncode != 0
    assert "DATABASE_URL is not a PostgreSQL database" in refused.stderr
