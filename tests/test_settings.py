"""The one settings table: production refuses development values, every setting is
documented, the code keeps no defaults of its own, and instance/ is made only for SQLite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import app as app_module
import config as config_module
from app import create_app
from config import (
    DEV_SECRET_KEY,
    EMBEDDED_DATABASE_URL,
    ENVIRONMENT_SETTINGS,
    Config,
    ProductionRefused,
)
from extensions import db

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_DB = "postgresql+psycopg://linli@db.example/linli"
REDIS = "redis://127.0.0.1:6379/0"
PUBLIC = "https://linli.example.cn"
GOOD = {
    "LINLI_ENV": "production",
    "SECRET_KEY": "a-real-secret",
    "SQLALCHEMY_DATABASE_URI": PRODUCTION_DB,
    "REDIS_URL": REDIS,
    "PUBLIC_BASE_URL": PUBLIC,
    "EXPORT_DIR": "/var/lib/linli/exports",
    "PHOTO_DIR": "/var/lib/linli/photos",
}
REFUSED = "Linli will not start in production: "


@pytest.mark.parametrize(
    "changes, problems",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY is the development secret"),
        ({"SQLALCHEMY_DATABASE_URI": EMBEDDED_DATABASE_URL}, "DATABASE_URL is not set"),
        (
            {"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/linli.sqlite3"},
            "DATABASE_URL points at SQLite; production needs PostgreSQL",
        ),
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL is not set"),
        ({"EXPORT_DIR": None}, "EXPORT_DIR is not set (the worker writes big exports there)"),
        ({"PHOTO_DIR": None}, "PHOTO_DIR is not set (residents' photos are kept there)"),
        (
            {"PUBLIC_BASE_URL": "linli.example.cn"},
            "PUBLIC_BASE_URL is not a whole address (https://…): 'linli.example.cn'",
        ),
        ({"REDIS_URL": None}, "REDIS_URL is not set (the sign-in limits need one store)"),
        (
            {
                "SECRET_KEY": DEV_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": EMBEDDED_DATABASE_URL,
                "PUBLIC_BASE_URL": "",
            },
            "SECRET_KEY is the development secret; DATABASE_URL is not set; "
            "PUBLIC_BASE_URL is not set",
        ),
    ],
)
def test_production_refuses_missing_or_development_settings(changes, problems):
    with pytest.raises(ProductionRefused) as refused:
        create_app({**GOOD, **changes})
    assert str(refused.value) == REFUSED + problems


def test_production_starts_with_real_settings():
    app = create_app(GOOD)
    assert app.config["SECRET_KEY"] == "a-real-secret"
    # sign-in limits are shared by every worker through Redis
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS
    assert app.config["LOG_FORMAT"] == "json"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["FORCE_HTTPS"]


def test_the_pool_follows_its_settings_on_postgresql_and_sqlite_has_none(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": PRODUCTION_DB,
            "DB_POOL_SIZE": 3,
            "DB_MAX_OVERFLOW": 2,
            "SQLALCHEMY_ENGINE_OPTIONS": None,
        }
    )
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 3 and options["max_overflow"] == 2
    assert options["pool_pre_ping"] is True
    with app.app_context():
        assert db.engine.pool.size() == 3
    lite = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    assert lite.config["SQLALCHEMY_ENGINE_OPTIONS"] == {}


def test_instance_folder_is_made_for_sqlite_only(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setattr(app_module, "INSTANCE_DIR", instance)
    create_app(GOOD)
    assert not instance.exists()
    create_app({"SQLALCHEMY_DATABASE_URI": PRODUCTION_DB})
    assert not instance.exists()
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}"})
    assert instance.is_dir()


def test_a_setting_that_is_not_a_number_is_named(monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "five")
    with pytest.raises(ValueError, match="DB_POOL_SIZE must be a whole number, not 'five'"):
        config_module._int("DB_POOL_SIZE", 5)


def _readme_settings() -> set[str]:
    """The names in the first column of the README's settings tables."""
    names = set()
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cell = line.split("|")[1] if line.startswith("|") else ""
        names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", cell))
    return names


def test_every_environment_setting_is_in_the_readme():
    missing = sorted(set(ENVIRONMENT_SETTINGS) - _readme_settings())
    assert missing == []


def test_every_environment_setting_is_a_config_entry():
    # DATABASE_URL is SQLALCHEMY_DATABASE_URI; the rest keep their names (or a unit)
    renamed = {"DATABASE_URL", "REMEMBER_COOKIE_DAYS", "CSRF_TIME_LIMIT_SECONDS"}
    read_by_libraries = {"PROMETHEUS_MULTIPROC_DIR"}
    for name in set(ENVIRONMENT_SETTINGS) - renamed - read_by_libraries:
        assert hasattr(Config, name), name


# `config.get("NAME", default)`: a default kept where a setting is used, not in config.py
LITERAL_DEFAULT = re.compile(r"config\.get\(\s*\"[A-Z][A-Z0-9_]*\"\s*,")


def test_the_code_reads_settings_without_defaults_of_its_own():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if (
            relative.parts[0] in (".venv", "instance", "tests", "bench", "migrations")
            or path.name == "config.py"
        ):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LITERAL_DEFAULT.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
