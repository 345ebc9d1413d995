"""Configuration read from the environment, with safe embedded defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"
DEV_SECRET_KEY = "dev-only-not-secret"
# Settings that are on in production and off elsewhere unless set (see follow_environment).
PRODUCTION_DEFAULTS = ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "FORCE_HTTPS")


def _flag(name: str, default: bool | None) -> bool | None:
    """A yes/no setting from the environment ("1", "true", "yes" or "0", "false", "no")."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


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
    # The public address of the site (e.g. https://linli.example.cn), for links in mail.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    # How many proxies in front of the app set X-Forwarded-For/-Proto (0: none, the
    # client connects directly). The client address that sign-in limits and the audit
    # log use is read through exactly this many; more would let a client forge it.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # --- sessions and cookies ------------------------------------------------------
    # Session and remember-me cookies: never readable by scripts, not sent on
    # cross-site posts, and (in production, served over HTTPS) only over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None  # None: follows LINLI_ENV (see PRODUCTION_DEFAULTS)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = None
    # "Keep me signed in on this device" is opt-in, and lasts at most this long.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # Production answers only over HTTPS (plain HTTP is redirected) and sends HSTS.
    FORCE_HTTPS = _flag("FORCE_HTTPS", None)
    HSTS_SECONDS = 365 * 24 * 3600
    # The Content-Security-Policy (web_security.py), on everywhere so that every page
    # is tried under it by the tests and the demo.
    CONTENT_SECURITY_POLICY = _flag("CONTENT_SECURITY_POLICY", True)

    # --- sign-in limits (Flask-Limiter) ----------------------------------------------
    # Only failed tries count. Per login name (a phone number or username as typed,
    # normalised): an attacker guessing one member's password. Per client address:
    # one machine guessing many members' passwords; generous, because the elders of a
    # community centre share one address.
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    SIGN_IN_LIMITS_PER_NAME = os.environ.get("SIGN_IN_LIMITS_PER_NAME", "5 per minute;20 per hour")
    SIGN_IN_LIMITS_PER_ADDRESS = os.environ.get(
        "SIGN_IN_LIMITS_PER_ADDRESS", "30 per minute;200 per hour"
    )
    # "Forgot my password": every request counts (its answer is the same either way).
    PASSWORD_RESET_LIMITS_PER_NAME = os.environ.get(
        "PASSWORD_RESET_LIMITS_PER_NAME", "3 per hour;10 per day"
    )
    PASSWORD_RESET_LIMITS_PER_ADDRESS = os.environ.get(
        "PASSWORD_RESET_LIMITS_PER_ADDRESS", "10 per hour;50 per day"
    )
    # Shared by every worker and host in Redis when REDIS_URL is set, else in this
    # process's memory (the embedded default: one process, nothing to install).
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = None  # None: REDIS_URL, else memory:// (see follow_environment)
    RATELIMIT_STORAGE_OPTIONS: dict | None = None
    # Keeps several installs (or test runs) on one Redis apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "linli")
    RATELIMIT_STRATEGY = "moving-window"
    # Every limit is checked, so the refusal names the latest time to try again.
    RATELIMIT_FAIL_ON_FIRST_BREACH = False
    # If Redis is down, limits are kept in each process's memory meanwhile, and an
    # error of the store never turns a sign-in into a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = False

    # --- passwords ------------------------------------------------------------------
    # A reset link sent by mail works once, for this long.
    PASSWORD_RESET_LINK_SECONDS = 3600
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

    # --- jobs, mail and card steps (the worker: jobs/, community/outbox.py) -----------
    # How often each worker writes its heartbeat, and how old the newest may be before
    # /readyz answers 503 ("no worker is running").
    WORKER_HEARTBEAT_SECONDS: float = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
    WORKER_STALE_SECONDS: float = float(os.environ.get("WORKER_STALE_SECONDS", "60"))
    # Jobs one worker runs at once (a periodic job never overlaps itself whatever this is).
    JOBS_CONCURRENCY: int = int(os.environ.get("JOBS_CONCURRENCY", "4"))
    # A worker that starts late still runs a periodic job missed by up to this many seconds.
    JOBS_PERIODIC_MAX_DELAY: int = int(os.environ.get("JOBS_PERIODIC_MAX_DELAY", "600"))
    # Jobs that succeeded are forgotten after this many days (failed ones are kept).
    JOBS_KEEP_DAYS: int = int(os.environ.get("JOBS_KEEP_DAYS", "7"))
    # SQLite only: run the worker in a thread of the web process (`make run` sets it).
    JOBS_IN_PROCESS: bool = bool(_flag("JOBS_IN_PROCESS", False))
    # Mail through Flask-Mailman: STARTTLS (MAIL_USE_TLS, port 587) or TLS from the first
    # byte (MAIL_USE_SSL, port 465), with a login; seconds before a relay is given up on.
    MAIL_USE_TLS: bool = bool(_flag("MAIL_USE_TLS", False))
    MAIL_USE_SSL: bool = bool(_flag("MAIL_USE_SSL", False))
    MAIL_USERNAME: str | None = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD: str | None = os.environ.get("MAIL_PASSWORD") or None
    MAIL_TIMEOUT: int = int(os.environ.get("MAIL_TIMEOUT", "10"))
    # The CA bundle that signs the relay's certificate (None: the system's).
    MAIL_CA_FILE: str | None = os.environ.get("MAIL_CA_FILE") or None
    # A failed mail is tried again after 1, 2, 4 … minutes (at most MAIL_RETRY_MAX_MINUTES
    # apart), MAIL_MAX_ATTEMPTS times in all; staff see it once it failed
    # MAIL_FAILURES_SHOWN times.
    MAIL_MAX_ATTEMPTS: int = int(os.environ.get("MAIL_MAX_ATTEMPTS", "10"))
    MAIL_RETRY_MAX_MINUTES: int = int(os.environ.get("MAIL_RETRY_MAX_MINUTES", "240"))
    MAIL_FAILURES_SHOWN: int = int(os.environ.get("MAIL_FAILURES_SHOWN", "3"))
    # A card step recorded but not finished this long after (a crash between the Stripe
    # call and its record) is finished by the worker.
    CARD_STEP_STALE_MINUTES: int = int(os.environ.get("CARD_STEP_STALE_MINUTES", "2"))


def follow_environment(config: dict) -> None:
    """Settle the settings left to LINLI_ENV (None): on in production, off elsewhere."""
    production = config.get("LINLI_ENV") == "production"
    for name in PRODUCTION_DEFAULTS:
        if config.get(name) is None:
            config[name] = production
    if config.get("RATELIMIT_STORAGE_URI") is None:
        config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    if config.get("RATELIMIT_STORAGE_OPTIONS") is None:
        redis = config["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss"))
        # a slow Redis must not hold a sign-in up for long
        config["RATELIMIT_STORAGE_OPTIONS"] = (
            {"socket_timeout": 1, "socket_connect_timeout": 1} if redis else {}
        )


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
    if config.get("RATELIMIT_ENABLED", True) and not config.get("REDIS_URL"):
        # sign-in limits kept in each worker's memory would multiply with the workers
        missing.append("REDIS_URL")
    if missing:
        raise RuntimeError("production needs " + ", ".join(missing) + " in the environment")
