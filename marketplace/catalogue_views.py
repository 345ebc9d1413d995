"""A provider's own pages (apply, menu, calendar) and coordinators' verification."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("catalogue", __name__, url_prefix="/provider")
