"""The Linli application factory."""

from __future__ import annotations

from babel import Locale
from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from werkzeug.exceptions import HTTPException

import civic  # noqa: F401  (civic's tables for Alembic)
import input_guard
import storage
from civic.compound_admin_views import bp as compounds_bp
from civic.consultation_views import bp as consultations_bp
from civic.contact_day_views import bp as contact_days_bp
from civic.figure_views import bp as civic_figures_bp
from civic.organisation_admin_views import bp as organisations_bp
from civic.problem_labels import register_filters as register_civic_filters
from civic.problem_views import bp as problems_bp
from civic.problem_waiting import connect_problem_waiting
from civic.repair_formatting import register_repair_filters
from civic.repair_views import bp as repairs_bp
from civic.vote_cli import civic_cli
from community import (  # noqa: F401  (audit tables for Alembic; routes on the community blueprint)
    account_admin_views,
    audit_models,
    auth_views,
)
from community.admin_views import bp as admin_bp
from community.audit import origin as audit_origin
from community.current_member import load_member
from community.family_views import bp as family_bp
from community.inbox_views import bp as inbox_bp
from community.large_text import large_text_shown
from community.notification_cli import notifications_cli
from community.outbox import init_mail
from community.views import bp as community_bp
from config import INSTANCE_DIR, Config, check_production, follow_environment, is_sqlite
from error_reports import init_error_reports
from errors import DomainError
from extensions import babel, csrf, db, init_limiter, login_manager, migrate
from health import register_health
from jobs.models import outside_the_job_queue
from jobs.queue import connect_queue
from jobs.readiness import bp as readiness_bp
from jobs.worker import start_in_process, worker_command
from marketplace import (  # noqa: F401  (every table for Alembic; routes on shared blueprints)
    booking_action_views,
    card_models,
    earnings_models,
    review_models,
)
from marketplace.booking_views import bp as bookings_bp
from marketplace.browse_views import bp as market_bp
from marketplace.card_steps import connect_card_steps
from marketplace.card_views import bp as card_bp
from marketplace.catalogue_views import bp as catalogue_bp
from marketplace.cli import marketplace_cli
from marketplace.dashboard_views import bp as provider_dashboard_bp
from marketplace.earnings import connect_earnings
from marketplace.formatting import register_filters as register_marketplace_filters
from marketplace.notices import connect_booking_reminders
from marketplace.review_views import bp as reviews_bp
from marketplace.subsidy_views import bp as subsidies_bp
from marketplace.waiting import connect_waiting_items
from metrics import register_metrics
from page_frame import register_page_frame
from property_services.hooks import connect_property_services
from property_services.views import bp as property_services_bp
from request_log import register_request_log
from seed import seed_demo_command
from timebank import take_back_views  # noqa: F401  (routes on the time bank's blueprint)
from timebank.accounts import connect_signals
from timebank.aid_cli import aid_cli
from timebank.aid_views import bp as aid_bp
from timebank.care_plan_cli import plans_cli
from timebank.care_plan_views import bp as plans_bp
from timebank.cli import ledger_cli
from timebank.desk_views import bp as desk_bp
from timebank.formatting import register_filters
from timebank.group_session_views import bp as groups_bp
from timebank.homes import connect_home_rules
from timebank.notify_receivers import connect_notify_receivers
from timebank.report_export_views import bp as report_exports_bp
from timebank.report_views import bp as reports_bp
from timebank.requests import connect_request_receivers
from timebank.views import bp as timebank_bp
from timebank.visit_views import bp as visits_bp
from timebank.waiting import connect_waiting_sources
from views_common import http_error_message, render_error
from web_security import register_security


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment (tests pass their own)."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    follow_environment(app.config)
    check_production(app.config)
    if is_sqlite(app.config["SQLALCHEMY_DATABASE_URI"]):
        # the embedded database lives there; a server's app (maybe read-only) needs none
        INSTANCE_DIR.mkdir(exist_ok=True)
    # first: its start hook runs before any other (the duration covers them all), and
    # its end hook after every other
    register_request_log(app)
    init_error_reports(app)
    register_request_boundary(app)  # before any hook that reads the database
    input_guard.init_app(app)  # before the blueprints: routes need its id converter
    register_security(app)
    register_health(app)
    register_metrics(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    if app.config["JOBS_IN_PROCESS"] and not app.config.get("TESTING"):
        start_in_process(app)  # the embedded default: no worker process to run
    return app


def select_locale() -> str:
    """The member's chosen language (kept in the session), else Chinese."""
    chosen = session.get("locale") if has_request_context() else None
    if chosen in Config.LANGUAGES:
        return chosen
    return Config.BABEL_DEFAULT_LOCALE


# Parsed once: Flask-Babel would parse the chosen name into a Locale on every request.
_LOCALES = {name: Locale.parse(name) for name in Config.LANGUAGES}


def _babel_locale() -> Locale:
    """Flask-Babel's locale selector: ``select_locale`` as a ready Locale."""
    return _LOCALES[select_locale()]


PAGE_CATALOGUE = "page_catalogue"


def install_page_gettext(app: Flask) -> None:
    """Templates' ``_()`` and ``ngettext()``: Flask-Babel's catalogue for the request's
    language, found once per page rather than once per string.

    Flask-Babel's own callables look up the domain, the locale and the catalogue
    through the request context for every string (some 20 µs each, 70 times on a
    busy page). The catalogue of a language never changes while the app runs
    (Flask-Babel keeps it for good too), so each is kept here by its Locale, and each
    page's context carries its own, found when the page starts to render (so
    ``force_locale``, e.g. mail in the reader's language, still applies). Macros
    imported without the page's context find it for each string, as before.
    """
    catalogues: dict = {}

    def catalogue():
        locale = get_locale()
        found = catalogues.get(locale)
        if found is None:
            found = catalogues[locale] = get_translations()
        return found

    def of(context):
        found = context.get(PAGE_CATALOGUE)
        return found if found is not None else catalogue()

    app.context_processor(lambda: {PAGE_CATALOGUE: catalogue()})
    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda ctx, s: of(ctx).ugettext(s)),
        ngettext=pass_context(lambda ctx, s, p, n: of(ctx).ungettext(s, p, n)),
        pgettext=pass_context(lambda ctx, c, s: of(ctx).upgettext(c, s)),
        npgettext=pass_context(lambda ctx, c, s, p, n: of(ctx).unpgettext(c, s, p, n)),
        newstyle=True,
    )


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(app.root_path + "/migrations"),
        include_object=outside_the_job_queue,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    init_limiter(app)
    init_mail(app)
    babel.init_app(app, locale_selector=_babel_locale)
    install_page_gettext(app)
    with app.app_context():
        storage.configure_engine(db.engine)
    connect_signals()
    connect_request_receivers()
    connect_notify_receivers()
    connect_queue()
    connect_card_steps()
    connect_earnings()
    connect_waiting_sources()
    connect_home_rules()
    connect_waiting_items()
    connect_problem_waiting()
    connect_booking_reminders()
    connect_property_services()
    login_manager.login_view = "community.login"
    login_manager.login_message = None  # the login page says why on its own

    login_manager.user_loader(load_member)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(readiness_bp)
    # a load balancer asks over plain HTTP inside the network: never redirect it
    readyz = app.view_functions["readiness.readyz"]
    app.view_functions["readiness.readyz"] = app.extensions["talisman"](force_https=False)(readyz)
    app.register_blueprint(community_bp)
    app.register_blueprint(contact_days_bp)
    app.register_blueprint(civic_figures_bp)
    app.register_blueprint(timebank_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(family_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(report_exports_bp)
    app.register_blueprint(aid_bp)
    app.register_blueprint(visits_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(problems_bp)
    for marketplace_bp in (
        catalogue_bp,
        provider_dashboard_bp,
        market_bp,
        bookings_bp,
        subsidies_bp,
        card_bp,
        reviews_bp,
    ):
        app.register_blueprint(marketplace_bp)
    app.register_blueprint(repairs_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(compounds_bp)
    app.register_blueprint(property_services_bp)


def register_request_boundary(app: Flask) -> None:
    """What each request sets before any hook or view touches the database, and unsets
    after it: whether it may write, and where it came from (for the audit log)."""

    @app.before_request
    def open_request() -> None:
        view = app.view_functions.get(request.endpoint)
        writes = request.method not in ("GET", "HEAD", "OPTIONS") or getattr(
            view, "writes_on_get", False
        )
        g.request_context_tokens = (
            # Reads begin a deferred SQLite transaction; writes BEGIN IMMEDIATE.
            storage.write_intent.set(writes),
            # Audit entries record where a staff action came from (ProxyFix set the address).
            audit_origin.set(request.remote_addr or "-"),
        )

    @app.teardown_request
    def close_request(_error=None) -> None:
        # A worker thread (or a test) serves the next request, or runs a CLI command, in
        # the same context: leave the defaults (may write, "cli") behind, not this request's.
        tokens = g.pop("request_context_tokens", None)
        if tokens is not None:
            write_token, origin_token = tokens
            storage.write_intent.reset(write_token)
            audit_origin.reset(origin_token)


def register_request_hooks(app: Flask) -> None:
    register_filters(app)
    register_marketplace_filters(app)
    register_civic_filters(app)
    register_repair_filters(app)
    register_page_frame(app)

    @app.context_processor
    def inject_page_settings() -> dict:
        return {
            "current_locale": select_locale(),  # str(Locale) is "zh_Hans_CN"
            "elder_mode": large_text_shown(),
        }


def register_errorhandlers(app: Flask) -> None:
    """Every refusal is a page (or JSON) in the reader's language, with its status.

    HTTP errors are handled by class, so a handler registered for one status
    (e.g. the sign-in limiter's 429) is found before this one and keeps its page.
    """

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return render_error(error.http_status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        db.session.rollback()
        return render_error(
            400, _("This page has expired. Please go back, reload it and try again.")
        )

    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException):
    """The error page for ``error``'s status, keeping its headers (Allow, Retry-After…)."""
    db.session.rollback()
    if error.response is not None:  # raised with a response of its own: answer with it
        return error.response
    status = error.code or 500
    page, status = render_error(status, http_error_message(status))
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return page, status, headers


def register_commands(app: Flask) -> None:
    app.cli.add_command(ledger_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(aid_cli)
    app.cli.add_command(plans_cli)
    app.cli.add_command(marketplace_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(civic_cli)
