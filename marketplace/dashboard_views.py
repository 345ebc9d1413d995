"""The provider's dashboard: bookings to act on, earnings, reviews, CSV."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("provider_dashboard", __name__, url_prefix="/provider/dashboard")
