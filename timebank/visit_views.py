"""Rounds: a volunteer's scheduled visits (check in, check out, the elder's card), and the
coordinator's pages for recording visits, confirmation cards and call-backs."""

from __future__ import annotations

from flask import Blueprint

from timebank import scheduling  # noqa: F401  (registers the visit models with the app)

bp = Blueprint("visits", __name__, url_prefix="/rounds")
