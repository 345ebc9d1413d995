"""Paying by card through Stripe.js, and Stripe's webhook."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("card", __name__, url_prefix="/pay")
