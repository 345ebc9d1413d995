"""Browsing and searching providers, and a provider's public page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("market", __name__, url_prefix="/market")
