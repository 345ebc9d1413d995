"""Booking a slot, a booking's page and its actions, disputes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bookings", __name__, url_prefix="/bookings")
