"""Community subsidy rules and what they paid, for coordinators."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("subsidies", __name__, url_prefix="/subsidies")
