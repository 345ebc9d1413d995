"""How money, categories, units and statuses read on the marketplace's pages."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import lazy_gettext as _l

from community.audit_labels import register_status_labels
from marketplace.clock import to_local
from timebank.formatting import format_date, format_moment
from translated_labels import label

CATEGORY_LABELS = {
    "housekeeping": _l("Housekeeping"),
    "childcare": _l("Childcare"),
    "meals": _l("Meal assistance"),
}
UNIT_LABELS = {
    "hour": _l("per hour"),
    "visit": _l("per visit"),
    "meal": _l("per meal"),
    "session": _l("per session"),
}
BOOKING_STATUS_LABELS = {
    "pending_payment": _l("Waiting for payment"),
    "requested": _l("Waiting for the provider"),
    "accepted": _l("Accepted"),
    "completed": _l("Completed"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
    "no_show": _l("Missed (no one there)"),
    "disputed": _l("In dispute"),
    "refunded": _l("Refunded"),
}
# accepted, and the provider said the service is done: the resident's side confirms next
DELIVERED_LABEL = _l("Done, waiting for confirmation")
PROVIDER_STATUS_LABELS = {
    "applied": _l("Waiting for a coordinator to check it"),
    "verified": _l("Verified: residents can book"),
    "rejected": _l("Turned down"),
    "suspended": _l("Suspended: hidden from residents"),
}
PAYMENT_METHOD_LABELS = {
    "card": _l("Bank card"),
    "hours": _l("Time-bank hours"),
    "on_site": _l("Pay on site"),
    "subsidy": _l("Community subsidy"),
}


def format_yuan(fen: int | None) -> str:
    """``1250`` → ``¥12.50`` (whole yuan without decimals: ``¥12``)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan}" if cents == 0 else f"{sign}¥{yuan}.{cents:02d}"


def masked_name(name: str | None) -> str:
    """A name as the review form promises others see it: its first character, then ** (王**)."""
    return (name or "")[:1] + "**"


# Patterns of numbers only read the same in every language (Babel writes Latin digits
# for zh_CN and en); strftime writes them for a fraction of Babel's cost, on every row.
NUMERIC_PATTERNS = {
    "yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M",
    "MM-dd HH:mm": "%m-%d %H:%M",
    "HH:mm": "%H:%M",
}


def local_time(stored: datetime | None, pattern: str | None = None) -> str:
    """A stored UTC instant as Shanghai wall-clock text, in the one house style the time
    bank writes too ("12月5日 周六 上午11:00", timebank.formatting.format_moment);
    "yyyy-MM-dd" is its day alone ("12月5日 周六"); a numeric pattern ("HH:mm") as is."""
    if stored is None:
        return ""
    numeric = NUMERIC_PATTERNS.get(pattern)
    if numeric is not None:
        return to_local(stored).strftime(numeric)
    if pattern == "yyyy-MM-dd":
        return format_date(stored)
    return format_moment(stored, pattern)


def _label(labels: dict, code: str | None) -> str:
    return label(labels, code)


def booking_state(booking) -> str:
    """Where a booking stands, in words: its status, or "done, waiting for confirmation"
    once the provider marked an accepted booking done."""
    if booking.status == "accepted" and booking.delivered_at is not None:
        return str(DELIVERED_LABEL)
    return label(BOOKING_STATUS_LABELS, booking.status)


def register_filters(app: Flask) -> None:
    register_status_labels("booking", BOOKING_STATUS_LABELS)
    register_status_labels("provider", PROVIDER_STATUS_LABELS)
    """Jinja filters: yuan, local_time, category_name, unit_name, booking_status, payment_method."""
    app.add_template_filter(format_yuan, "yuan")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(lambda c: _label(CATEGORY_LABELS, c), "category_name")
    app.add_template_filter(lambda c: _label(UNIT_LABELS, c), "unit_name")
    app.add_template_filter(lambda c: _label(BOOKING_STATUS_LABELS, c), "booking_status")
    app.add_template_filter(booking_state, "booking_state")
    app.add_template_filter(lambda c: _label(PAYMENT_METHOD_LABELS, c), "payment_method")
    app.add_template_filter(lambda c: _label(PROVIDER_STATUS_LABELS, c), "provider_status")
