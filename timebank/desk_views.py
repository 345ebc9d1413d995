"""The coordinator's desk: members' accounts, grants, reversals and disputes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")
