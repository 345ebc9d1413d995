"""Configuration read from the environment, with safe embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"
DEV_SECRET_KEY = "dev-only-not-secret"


class Config:
    """Embedded default: SQLite under instance/, everything in one process."""

    LINLI_ENV = os.environ.get("LINLI_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'linli.sqlite3'}"
    )
    # A server connection can drop between requests; a local SQLite file cannot.
    SQLALCHEMY_ENGINE_OPTIONS: dict = (
        {} if SQLALCHEMY_DATABASE_URI.startswith("sqlite") else {"pool_pre_ping": True}
    )
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    # Babel reads zh_CN as zh_Hans_CN, which gettext finds under translations/zh/.
    LANGUAGES = ("zh_CN", "en")
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # elders fill forms slowly
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    STATEMENT_PAGE_SIZE = 50
    # Any request body larger is refused with 413 before it is read (photos will need more).
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    # Notifications by email: without MAIL_SERVER, mail waits in the outbox.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "linli@localhost")
    # Card payments through Stripe: without STRIPE_SECRET_KEY card payment is not offered.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    # None: the real Stripe; the demo and tests use localstripe, e.g. http://127.0.0.1:8420
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    # Shows "Test mode: no real money moves" on payment pages (test keys start sk_test_).
    STRIPE_TEST_MODE = os.environ.get(
        "STRIPE_TEST_MODE", "1" if (STRIPE_SECRET_KEY or "").startswith("sk_test_") else "0"
    ) in ("1", "true", "yes")


def check_production(config: dict) -> None:
    """Refuse to start in production with development secrets.

    Raises RuntimeError naming what is missing.
    """
    if config.get("LINLI_ENV") != "production":
        return
    missing = []
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEV_SECRET_KEY:
        missing.append("SECRET_KEY")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        missing.append("DATABASE_URL")
    if missing:
        raise RuntimeError("production needs " + ", ".join(missing) + " in the environment")
