"""The main menu, rendered once per language, role and unread count in each worker.

Every signed-in page shows it; its two dozen translated links cost more to
render than many pages' own content, and they only change with the things
in the key.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

MAX_CACHED_UNREAD = 99  # larger counts are rare: render them each time


def main_nav(unread_messages: int) -> Markup:
    """The menu items for the signed-in member (``<li>`` elements)."""
    key = (
        request.script_root,
        str(get_locale()),
        bool(current_user.is_volunteer),
        bool(current_user.is_coordinator),
        unread_messages,
    )
    cache = current_app.extensions.setdefault("linli_main_nav", {})
    html = cache.get(key)
    if html is None:
        html = current_app.jinja_env.get_template("_main_nav.html").render(
            is_volunteer=key[2], is_coordinator=key[3], unread_messages=unread_messages
        )
        if unread_messages <= MAX_CACHED_UNREAD:
            cache[key] = html
    return Markup(html)


def register_navigation(app: Flask) -> None:
    """Make ``main_nav`` available to every template."""
    app.add_template_global(main_nav)
