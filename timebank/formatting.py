"""How minutes and ledger words are shown to people."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from timebank.categories import category_label
from translated_labels import label

TRANSFER_KIND_LABELS = {
    "service": _l("Service"),
    "gift": _l("Gift"),
    "donation": _l("Donation to the fund"),
    "grant": _l("Grant"),
    "redemption": _l("Redemption"),
    "hold_settlement": _l("Payment from a hold"),
    "reversal": _l("Reversal"),
    "adjustment": _l("Adjustment"),
}

RECORD_STATUS_LABELS = {
    "pending": _l("Waiting for confirmation"),
    "confirmed": _l("Confirmed"),
    "rejected": _l("Rejected"),
    "disputed": _l("In dispute"),
}


def format_minutes(minutes: int | None) -> str:
    """``150`` → "2 小时 30 分" (or "2 h 30 min"); negative amounts keep their sign."""
    if minutes is None:
        return ""
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(int(minutes)), 60)
    if hours and rest:
        text = _("%(h)s h %(m)s min", h=hours, m=rest)
    elif hours:
        text = _("%(h)s h", h=hours)
    else:
        text = _("%(m)s min", m=rest)
    return sign + text


def transfer_kind_label(kind: str) -> str:
    return label(TRANSFER_KIND_LABELS, kind)


def record_status_label(status: str) -> str:
    return label(RECORD_STATUS_LABELS, status)


def register_filters(app: Flask) -> None:
    app.add_template_filter(format_minutes, "minutes")
    app.add_template_filter(transfer_kind_label, "transfer_kind")
    app.add_template_filter(record_status_label, "record_status")
    app.add_template_filter(category_label, "category")
