"""The frame around every page: the header (settings, main menu) and the footer.

Every page shows them; their two dozen translated links and three small
forms cost more to render than many pages' own content, and they change only
with the language, the large-text setting, the member's roles and unread
count. So each worker renders each combination once and keeps it. The two
things that differ on every request, the forms' CSRF token and the page to
come back to, are rendered as markers and filled in each time, escaped as
the template would have escaped them.
"""

from __future__ import annotations

from collections.abc import Hashable

from flask import Flask, Response, current_app, request, send_from_directory
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from community.current_member import unread_messages
from community.models import Role
from views_common import link_pattern

# Private-use characters: no translation, URL or token contains them.
CSRF_MARK = "\ue000csrf\ue000"
BACK_TO_MARK = "\ue000back-to\ue000"
MAX_CACHED_UNREAD = 99  # larger counts are rare: render them each time


def _rendered(template: str, key: tuple[Hashable, ...], values: dict, keep: bool = True) -> str:
    """``template`` rendered with ``values``, from this worker's cache under ``key``."""
    cache = current_app.extensions.setdefault("linli_page_frame", {})
    key = (template, request.script_root, *key)
    html = cache.get(key)
    if html is None:
        # Straight from the environment: the frame needs no context processors.
        html = current_app.jinja_env.get_template(template).render(values)
        if keep:
            cache[key] = html
    return html


def site_header(current_locale: str, elder_mode: bool) -> Markup:
    """The skip link and the site header for this request's member, language and settings."""
    signed_in = current_user.is_authenticated
    unread = unread_messages(current_user) if signed_in else 0
    shown = {
        "current_locale": current_locale,
        "elder_mode": elder_mode,
        "signed_in": signed_in,
        "is_volunteer": signed_in and bool(current_user.is_volunteer),
        "is_coordinator": signed_in and bool(current_user.is_coordinator),
        "is_street_admin": signed_in and current_user.role == Role.STREET_ADMIN,
        "unread_messages": unread,
    }
    html = _rendered(
        "_site_header.html",
        tuple(shown.values()),
        {**shown, "csrf_token": CSRF_MARK, "back_to": BACK_TO_MARK},
        keep=unread <= MAX_CACHED_UNREAD,
    )
    back_to = str(escape(request.full_path))
    return Markup(html.replace(CSRF_MARK, generate_csrf()).replace(BACK_TO_MARK, back_to))


def site_footer(current_locale: str) -> Markup:
    """The footer (with the providers' link for signed-in members)."""
    signed_in = current_user.is_authenticated
    return Markup(
        _rendered("_site_footer.html", (current_locale, signed_in), {"signed_in": signed_in})
    )


FAVICON_MAX_AGE = 7 * 24 * 3600


def favicon() -> Response:
    """/favicon.ico, which browsers ask for on their own (pages also name static/favicon.svg)."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/x-icon", max_age=FAVICON_MAX_AGE
    )


def register_page_frame(app: Flask) -> None:
    """Make ``site_header`` and ``site_footer`` available to every template, and answer
    /favicon.ico (without it every page's visit logs a 404)."""
    app.add_template_global(site_header)
    app.add_template_global(link_pattern)
    app.add_template_global(site_footer)
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon, methods=["GET"])
