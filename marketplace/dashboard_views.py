"""The provider's dashboard (/provider/dashboard): bookings to act on, earnings, reviews, CSV.

Only the provider's owner sees it; a member who runs no provider gets 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user, login_required

from marketplace import dashboard
from marketplace.clock import local_today
from marketplace.keyset import parse_cursor
from marketplace.providers import owned_provider
from marketplace.transitions import actions_for_each

bp = Blueprint("provider_dashboard", __name__, url_prefix="/provider/dashboard")


@bp.before_request
@login_required
def signed_in_only() -> None:
    """The dashboard is for signed-in members (anonymous → sign in)."""


@bp.get("/")
def index():
    """Today's and upcoming bookings (waiting for an answer first), earnings, latest reviews."""
    provider = owned_provider(current_user)
    today = local_today()
    todays = dashboard.todays_bookings(provider, today)
    upcoming = dashboard.upcoming_bookings(provider, today)
    month, all_time = dashboard.earnings_to_date(provider, today)
    shown = todays.bookings + upcoming.bookings
    return render_template(
        "marketplace/dashboard/index.html",
        provider=provider,
        today=today,
        todays=todays,
        upcoming=upcoming,
        actions=actions_for_each(shown, current_user._get_current_object()),
        month=month,
        all_time=all_time,
        reviews=dashboard.latest_reviews(provider),
    )


@bp.get("/today")
def todays_page():
    """Every booking of today, 20 a page in time order (?after= the cursor of the page
    before; one that does not parse starts over)."""
    return _bookings_page("today")


@bp.get("/upcoming")
def upcoming_page():
    """Every booking still to answer or to do in the coming days, 20 a page in time order
    (?after= as on today's)."""
    return _bookings_page("upcoming")


def _bookings_page(window: str):
    provider = owned_provider(current_user)
    today = local_today()
    page = dashboard.bookings_page(provider, window, today, parse_cursor(request.args.get("after")))
    return render_template(
        "marketplace/dashboard/bookings.html",
        provider=provider,
        window=window,
        today=today,
        days=dashboard.UPCOMING_DAYS,
        page=page,
        actions=actions_for_each(page.bookings, current_user._get_current_object()),
    )


@bp.get("/bookings.csv")
def bookings_csv():
    """Every booking of the provider, for Excel (UTF-8 with BOM, formula-safe), streamed."""
    provider = owned_provider(current_user)
    filename = f"linli-provider-{provider.id}-bookings-{local_today():%Y%m%d}.csv"
    return Response(
        stream_with_context(dashboard.bookings_csv(provider)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
