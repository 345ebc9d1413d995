"""Every setting of the app, read from the environment once, typed, with its default.

This module is the one settings table: code reads ``current_app.config["NAME"]`` and
never carries a default of its own. Each setting that the environment may set is read
through ``_text``/``_int``/``_flag``/``_addresses``, which record its name in
``ENVIRONMENT_SETTINGS``; the README's production table lists every one of them (a
test checks). A few settings are settled only when the app is made, from others
(``follow_environment``); production refuses development values (``check_production``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"
EMBEDDED_DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'linli.sqlite3'}"
DEV_SECRET_KEY = "dev-only-not-secret"
# Settings that are on in production and off elsewhere unless set (see follow_environment).
PRODUCTION_DEFAULTS = ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "FORCE_HTTPS")

# The names of the settings read from the environment (README: "Settings").
ENVIRONMENT_SETTINGS: list[str] = []


def _raw(name: str) -> str | None:
    ENVIRONMENT_SETTINGS.append(name)
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def _text(name: str, default: str | None) -> str | None:
    """A text setting; empty counts as unset."""
    value = _raw(name)
    return default if value is None else value


def _int(name: str, default: int) -> int:
    """A whole-number setting. Raises ValueError naming the setting if it is not one."""
    value = _raw(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _flag(name: str, default: bool | None) -> bool | None:
    """A yes/no setting from the environment ("1", "true", "yes" or "0", "false", "no")."""
    value = _raw(name)
    if value is None:
        return default
    return value.lower() in ("1", "true", "yes", "on")


def _addresses(name: str, default: str) -> tuple[str, ...]:
    """A comma-separated list of client addresses or networks (127.0.0.1, 10.0.0.0/8)."""
    value = _text(name, default) or ""
    return tuple(part.strip() for part in value.split(",") if part.strip())


class Config:
    """Embedded default: SQLite under instance/, everything in one process."""

    # --- the install ---------------------------------------------------------------
    # "production" turns on HTTPS, Secure cookies and JSON logs, and refuses to start
    # with development values (check_production).
    LINLI_ENV: str = _text("LINLI_ENV", "development")
    SECRET_KEY: str = _text("SECRET_KEY", DEV_SECRET_KEY)
    # The public address of the site (e.g. https://linli.example.cn): links in mail
    # are whole only with it, never built from the request's Host header.
    PUBLIC_BASE_URL: str = (_text("PUBLIC_BASE_URL", "") or "").rstrip("/")
    # How many proxies in front of the app set X-Forwarded-For/-Proto (0: none, the
    # client connects directly). The client address that sign-in limits, the audit
    # log and /metrics use is read through exactly this many; more would let a client
    # forge it.
    TRUSTED_PROXIES: int = _int("TRUSTED_PROXIES", 0)

    # --- the database ----------------------------------------------------------------
    SQLALCHEMY_DATABASE_URI: str = _text("DATABASE_URL", EMBEDDED_DATABASE_URL)
    # None: settled from the URL and the DB_POOL_* settings (follow_environment).
    SQLALCHEMY_ENGINE_OPTIONS: dict | None = None
    # Connections each process keeps open to PostgreSQL, and how many more it may open
    # at a peak. A sync gunicorn worker serves one request at a time, so per host it
    # needs workers × (pool size + overflow) ≤ what PostgreSQL allows (max_connections).
    DB_POOL_SIZE: int = _int("DB_POOL_SIZE", 5)
    DB_MAX_OVERFLOW: int = _int("DB_MAX_OVERFLOW", 10)
    # Seconds a request waits for a free connection before failing.
    DB_POOL_TIMEOUT: int = _int("DB_POOL_TIMEOUT", 30)
    # Connections older than this (seconds) are replaced: proxies and firewalls drop
    # idle ones silently.
    DB_POOL_RECYCLE: int = _int("DB_POOL_RECYCLE", 1800)

    # --- Redis -------------------------------------------------------------------------
    # Sign-in counts shared by every worker and host when set, else in this process's
    # memory (the embedded default: one process, nothing to install).
    REDIS_URL: str | None = _text("REDIS_URL", None)

    # --- language ----------------------------------------------------------------------
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    # Babel reads zh_CN as zh_Hans_CN, which gettext finds under translations/zh/.
    LANGUAGES = ("zh_CN", "en")

    # --- sessions and cookies ------------------------------------------------------
    # Session and remember-me cookies: never readable by scripts, not sent on
    # cross-site posts, and (in production, served over HTTPS) only over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: follows LINLI_ENV (see PRODUCTION_DEFAULTS)
    SESSION_COOKIE_SECURE: bool | None = _flag("SESSION_COOKIE_SECURE", None)
    REMEMBER_COOKIE_NAME = "remember_token"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE: bool | None = _flag("REMEMBER_COOKIE_SECURE", None)
    # "Keep me signed in on this device" is opt-in, and lasts at most this long.
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_COOKIE_DAYS", 30))
    WTF_CSRF_TIME_LIMIT: int = _int("CSRF_TIME_LIMIT_SECONDS", 8 * 3600)  # elders are slow
    # Production answers only over HTTPS (plain HTTP is redirected) and sends HSTS.
    FORCE_HTTPS: bool | None = _flag("FORCE_HTTPS", None)
    HSTS_SECONDS: int = _int("HSTS_SECONDS", 365 * 24 * 3600)
    # The Content-Security-Policy (web_security.py), on everywhere so that every page
    # is tried under it by the tests and the demo.
    CONTENT_SECURITY_POLICY: bool = _flag("CONTENT_SECURITY_POLICY", True)

    # --- upload limits -------------------------------------------------------------
    # Any request body larger is refused with 413 before it is read (photos will need more).
    MAX_CONTENT_LENGTH: int = _int("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)
    # The non-file part of a form held in memory, and how many fields a form may have.
    MAX_FORM_MEMORY_SIZE: int = _int("MAX_FORM_MEMORY_SIZE", 500_000)
    MAX_FORM_PARTS: int = _int("MAX_FORM_PARTS", 1000)

    # --- sign-in limits (Flask-Limiter) ----------------------------------------------
    # Only failed tries count. Per login name (a phone number or username as typed,
    # normalised): an attacker guessing one member's password. Per client address:
    # one machine guessing many members' passwords; generous, because the elders of a
    # community centre share one address.
    RATELIMIT_ENABLED: bool = _flag("RATELIMIT_ENABLED", True)
    SIGN_IN_LIMITS_PER_NAME: str = _text("SIGN_IN_LIMITS_PER_NAME", "5 per minute;20 per hour")
    SIGN_IN_LIMITS_PER_ADDRESS: str = _text(
        "SIGN_IN_LIMITS_PER_ADDRESS", "30 per minute;200 per hour"
    )
    # "Forgot my password": every request counts (its answer is the same either way).
    PASSWORD_RESET_LIMITS_PER_NAME: str = _text(
        "PASSWORD_RESET_LIMITS_PER_NAME", "3 per hour;10 per day"
    )
    PASSWORD_RESET_LIMITS_PER_ADDRESS: str = _text(
        "PASSWORD_RESET_LIMITS_PER_ADDRESS", "10 per hour;50 per day"
    )
    RATELIMIT_STORAGE_URI = None  # None: REDIS_URL, else memory:// (see follow_environment)
    RATELIMIT_STORAGE_OPTIONS: dict | None = None
    # Keeps several installs (or test runs) on one Redis apart.
    RATELIMIT_KEY_PREFIX: str = _text("RATELIMIT_KEY_PREFIX", "linli")
    RATELIMIT_STRATEGY = "moving-window"
    # Every limit is checked, so the refusal names the latest time to try again.
    RATELIMIT_FAIL_ON_FIRST_BREACH = False
    # If Redis is down, limits are kept in each process's memory meanwhile, and an
    # error of the store never turns a sign-in into a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = False

    # --- passwords and pages -------------------------------------------------------
    # A reset link sent by mail works once, for this long.
    PASSWORD_RESET_LINK_SECONDS: int = _int("PASSWORD_RESET_LINK_SECONDS", 3600)
    STATEMENT_PAGE_SIZE: int = _int("STATEMENT_PAGE_SIZE", 50)
    # A resident may take back their own gift or donation of hours, or a booking they
    # just made, at no cost for this many minutes after it (撤回; the MIIT elder-friendly
    # web spec asks for such a window).
    UNDO_MINUTES: int = _int("UNDO_MINUTES", 10)

    # --- mutual aid ----------------------------------------------------------------
    # An open request nobody took for this long is flagged to its coordinators
    # (`aid flag-unclaimed`); an urgent one sooner.
    AID_UNCLAIMED_HOURS: int = _int("AID_UNCLAIMED_HOURS", 48)
    AID_URGENT_UNCLAIMED_HOURS: int = _int("AID_URGENT_UNCLAIMED_HOURS", 4)

    # --- marketplace -----------------------------------------------------------------
    # A slot is held this long while its card payment is pending, then released.
    MARKETPLACE_PAYMENT_HOLD_MINUTES: int = _int("MARKETPLACE_PAYMENT_HOLD_MINUTES", 15)
    # A delivered booking nobody marks complete (or disputes) completes after this long.
    MARKETPLACE_AUTO_COMPLETE_HOURS: int = _int("MARKETPLACE_AUTO_COMPLETE_HOURS", 48)
    # How long each process keeps a rendered page of browse results (0: not at all).
    MARKET_BROWSE_CACHE_SECONDS: int = _int("MARKET_BROWSE_CACHE_SECONDS", 15)

    # --- mail ------------------------------------------------------------------------
    # Notifications by email: without MAIL_SERVER, mail waits in the outbox.
    MAIL_SERVER: str | None = _text("MAIL_SERVER", None)
    MAIL_PORT: int = _int("MAIL_PORT", 25)
    MAIL_DEFAULT_SENDER: str = _text("MAIL_DEFAULT_SENDER", "linli@localhost")

    # --- card payments (Stripe) ----------------------------------------------------
    # Without STRIPE_SECRET_KEY card payment is not offered.
    STRIPE_SECRET_KEY: str | None = _text("STRIPE_SECRET_KEY", None)
    STRIPE_PUBLISHABLE_KEY: str | None = _text("STRIPE_PUBLISHABLE_KEY", None)
    STRIPE_WEBHOOK_SECRET: str | None = _text("STRIPE_WEBHOOK_SECRET", None)
    # None: the real Stripe; the demo and tests use localstripe, e.g. http://127.0.0.1:8420
    STRIPE_API_BASE: str | None = _text("STRIPE_API_BASE", None)
    STRIPE_JS_URL: str = _text("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    # Shows "Test mode: no real money moves" on payment pages (test keys start sk_test_).
    STRIPE_TEST_MODE: bool = _flag(
        "STRIPE_TEST_MODE", (STRIPE_SECRET_KEY or "").startswith("sk_test_")
    )

    # --- logs, errors and metrics --------------------------------------------------
    # One line per request (request id, member, route, status, duration): JSON in
    # production, readable text elsewhere (request_log.py).
    LOG_REQUESTS: bool = _flag("LOG_REQUESTS", True)
    LOG_LEVEL: str = _text("LOG_LEVEL", "INFO")
    # None: JSON lines in production, text elsewhere; "json" or "text" to choose.
    LOG_FORMAT: str | None = _text("LOG_FORMAT", None)
    # Errors go to Sentry when set (sentry-sdk), with a share of requests traced.
    SENTRY_DSN: str | None = _text("SENTRY_DSN", None)
    SENTRY_TRACES_SAMPLE_RATE: float = float(_text("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)
    # Prometheus metrics at /metrics, answered only to these client addresses or
    # networks (after TRUSTED_PROXIES); everyone else gets 404.
    METRICS_ENABLED: bool = _flag("METRICS_ENABLED", True)
    METRICS_ALLOWED_ADDRESSES: tuple[str, ...] = _addresses(
        "METRICS_ALLOWED_ADDRESSES", "127.0.0.1"
    )

    # --- jobs, mail and card steps (the worker: jobs/, community/outbox.py) -----------
    # How often each worker writes its heartbeat, and how old the newest may be before
    # /readyz answers 503 ("no worker is running").
    WORKER_HEARTBEAT_SECONDS: float = float(_text("WORKER_HEARTBEAT_SECONDS", "10") or "10")
    WORKER_STALE_SECONDS: float = float(_text("WORKER_STALE_SECONDS", "60") or "60")
    # Jobs one worker runs at once (a periodic job never overlaps itself whatever this is).
    JOBS_CONCURRENCY: int = _int("JOBS_CONCURRENCY", 4)
    # A worker that starts late still runs a periodic job missed by up to this many seconds.
    JOBS_PERIODIC_MAX_DELAY: int = _int("JOBS_PERIODIC_MAX_DELAY", 600)
    # A job whose worker has not beaten for this many seconds (procrastinate's own
    # heartbeat, every 10 s) died with it, and is queued again.
    JOBS_STALLED_SECONDS: int = _int("JOBS_STALLED_SECONDS", 60)
    # Jobs that succeeded are forgotten after this many days (failed ones are kept).
    JOBS_KEEP_DAYS: int = _int("JOBS_KEEP_DAYS", 7)
    # SQLite only: run the worker in a thread of the web process (`make run` sets it).
    JOBS_IN_PROCESS: bool = bool(_flag("JOBS_IN_PROCESS", False))
    # Mail through Flask-Mailman: STARTTLS (MAIL_USE_TLS, port 587) or TLS from the first
    # byte (MAIL_USE_SSL, port 465), with a login; seconds before a relay is given up on.
    MAIL_USE_TLS: bool = bool(_flag("MAIL_USE_TLS", False))
    MAIL_USE_SSL: bool = bool(_flag("MAIL_USE_SSL", False))
    MAIL_USERNAME: str | None = _text("MAIL_USERNAME", None)
    MAIL_PASSWORD: str | None = _text("MAIL_PASSWORD", None)
    MAIL_TIMEOUT: int = _int("MAIL_TIMEOUT", 10)
    # The CA bundle that signs the relay's certificate (None: the system's).
    MAIL_CA_FILE: str | None = _text("MAIL_CA_FILE", None)
    # A failed mail is tried again after 1, 2, 4 … minutes (at most MAIL_RETRY_MAX_MINUTES
    # apart), MAIL_MAX_ATTEMPTS times in all; staff see it once it failed
    # MAIL_FAILURES_SHOWN times.
    MAIL_MAX_ATTEMPTS: int = _int("MAIL_MAX_ATTEMPTS", 10)
    MAIL_RETRY_MAX_MINUTES: int = _int("MAIL_RETRY_MAX_MINUTES", 240)
    MAIL_FAILURES_SHOWN: int = _int("MAIL_FAILURES_SHOWN", 3)
    # A card step recorded but not finished this long after (a crash between the Stripe
    # call and its record) is finished by the worker.
    CARD_STEP_STALE_MINUTES: int = _int("CARD_STEP_STALE_MINUTES", 2)

    # --- big exports (timebank/report_exports.py) -------------------------------------
    # A report of more rows than this is not streamed within the request (it would
    # outlive gunicorn's timeout) but written to a file by the worker, with a page
    # showing its progress and then the download.
    EXPORT_STREAM_MAX_ROWS: int = _int("EXPORT_STREAM_MAX_ROWS", 50_000)
    # The folder the worker writes those files to and the web app sends them from: one
    # folder both see (a shared volume when they run on several hosts). None:
    # instance/exports outside production; production must set it.
    EXPORT_DIR: str | None = _text("EXPORT_DIR", None)
    # A file is deleted this many days after it was written.
    EXPORT_KEEP_DAYS: int = _int("EXPORT_KEEP_DAYS", 7)
    # A writer silent this long (a worker killed mid-file) is taken over by the sweep,
    # at most EXPORT_MAX_ATTEMPTS times in all before the export is marked failed.
    EXPORT_STALL_MINUTES: int = _int("EXPORT_STALL_MINUTES", 5)
    EXPORT_MAX_ATTEMPTS: int = _int("EXPORT_MAX_ATTEMPTS", 3)

    # --- photos (photo_store.py) -------------------------------------------------------
    # The folder residents' photos are kept in (one folder every web server sees). None:
    # instance/photos outside production; production must set it.
    PHOTO_DIR: str | None = _text("PHOTO_DIR", None)
    # Keep photos in S3-compatible object storage instead (a bucket every web server and
    # host reaches); credentials come the usual boto3 way (AWS_ACCESS_KEY_ID…).
    PHOTO_S3_BUCKET: str | None = _text("PHOTO_S3_BUCKET", None)
    # The storage's address when it is not AWS (MinIO, a cloud's S3-compatible endpoint).
    PHOTO_S3_ENDPOINT_URL: str | None = _text("PHOTO_S3_ENDPOINT_URL", None)
    # Where in the bucket the photos go.
    PHOTO_S3_PREFIX: str = _text("PHOTO_S3_PREFIX", "photos/")


# Read by prometheus_client itself (not through Config): several gunicorn workers
# then share their counts through files in this directory (gunicorn.conf.py).
ENVIRONMENT_SETTINGS.append("PROMETHEUS_MULTIPROC_DIR")


def is_sqlite(url: str) -> bool:
    return str(url).startswith("sqlite")


def engine_options(config: dict) -> dict:
    """SQLAlchemy's engine options for the configured database: a pool of checked
    connections sized by DB_POOL_* for a server, nothing for a local SQLite file."""
    if is_sqlite(config["SQLALCHEMY_DATABASE_URI"]):
        return {}
    return {
        # a server connection can drop between requests; a local SQLite file cannot
        "pool_pre_ping": True,
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_timeout": config["DB_POOL_TIMEOUT"],
        "pool_recycle": config["DB_POOL_RECYCLE"],
    }


def follow_environment(config: dict) -> None:
    """Settle the settings left to LINLI_ENV (None): on in production, off elsewhere,
    and those that follow from others (the limits' store, the engine's pool)."""
    production = config["LINLI_ENV"] == "production"
    for name in PRODUCTION_DEFAULTS:
        if config[name] is None:
            config[name] = production
    if config["RATELIMIT_STORAGE_URI"] is None:
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] or "memory://"
    if config["RATELIMIT_STORAGE_OPTIONS"] is None:
        redis = config["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss"))
        # a slow Redis must not hold a sign-in up for long
        config["RATELIMIT_STORAGE_OPTIONS"] = (
            {"socket_timeout": 1, "socket_connect_timeout": 1} if redis else {}
        )
    if config["SQLALCHEMY_ENGINE_OPTIONS"] is None:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(config)
    if config["LOG_FORMAT"] is None:
        config["LOG_FORMAT"] = "json" if production else "text"
    if config["EXPORT_DIR"] is None and not production:
        config["EXPORT_DIR"] = str(INSTANCE_DIR / "exports")
    if config["PHOTO_DIR"] is None and not production:
        config["PHOTO_DIR"] = str(INSTANCE_DIR / "photos")


class ProductionRefused(RuntimeError):
    """The app will not start in production with these settings (the message says why)."""


def production_problems(config: dict) -> list[str]:
    """What is wrong with ``config`` for production, one plain sentence each."""
    problems = []
    secret = config.get("SECRET_KEY")
    if not secret:
        problems.append("SECRET_KEY is not set")
    elif secret == DEV_SECRET_KEY:
        problems.append("SECRET_KEY is the development secret")
    database = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not database or database == EMBEDDED_DATABASE_URL:
        problems.append("DATABASE_URL is not set")
    elif is_sqlite(database):
        problems.append("DATABASE_URL points at SQLite; production needs PostgreSQL")
    public = config.get("PUBLIC_BASE_URL") or ""
    if not public:
        problems.append("PUBLIC_BASE_URL is not set")
    elif urlsplit(public).scheme not in ("http", "https") or not urlsplit(public).netloc:
        problems.append(f"PUBLIC_BASE_URL is not a whole address (https://…): {public!r}")
    if not config.get("EXPORT_DIR"):
        problems.append("EXPORT_DIR is not set (the worker writes big exports there)")
    if not config.get("PHOTO_DIR") and not config.get("PHOTO_S3_BUCKET"):
        problems.append("PHOTO_DIR is not set (residents' photos are kept there)")
    if config.get("RATELIMIT_ENABLED", True) and not config.get("REDIS_URL"):
        # sign-in limits kept in each worker's memory would multiply with the workers
        problems.append("REDIS_URL is not set (the sign-in limits need one store)")
    return problems


def check_production(config: dict) -> None:
    """Refuse to start in production with missing or development settings.

    Raises ProductionRefused naming every setting that is wrong.
    """
    if config.get("LINLI_ENV") != "production":
        return
    problems = production_problems(config)
    if problems:
        raise ProductionRefused("Linli will not start in production: " + "; ".join(problems))
