"""How minutes and ledger words are shown to people."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from babel import Locale, dates
from flask import Flask
from flask_babel import format_number, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from community.audit_labels import register_status_labels
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

DEFAULT_LOCALE = Locale.parse("zh_CN")

RECORD_STATUS_LABELS = {
    "pending": _l("Waiting for confirmation"),
    "confirmed": _l("Confirmed"),
    "rejected": _l("Rejected"),
    "disputed": _l("In dispute"),
}

# a big report's file (timebank/export_models.ExportStatus)
EXPORT_STATUS_LABELS = {
    "queued": _l("Waiting to start"),
    "running": _l("Being written"),
    "done": _l("Ready to download"),
    "failed": _l("Could not be written"),
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


@lru_cache(maxsize=4096)
def _date_text(day: date, pattern: str, locale: Locale | None) -> str:
    return dates.format_date(day, pattern, locale=locale or DEFAULT_LOCALE)


def format_date(value: date | datetime | None, pattern: str = "medium") -> str:
    """``value``'s date in the reader's language ("long": 2026年12月6日), as Flask-Babel's
    ``dateformat`` writes it; each date, pattern and language is formatted once (lists
    show the same few days on every row and every page)."""
    if value is None:
        return ""
    # a stored instant (naive UTC) is the reader's local day, as Flask-Babel rebases it
    day = to_user_timezone(value).date() if isinstance(value, datetime) else value
    return _date_text(day, pattern, get_locale())


# Notes the request flow writes on the visits it schedules (timebank.requests), stored as
# codes in no language; a person's own words are shown as written.
_AID_NOTE = re.compile(r"aid request #(\d+)( cancelled)?")


def _note_part(part: str) -> str:
    match = _AID_NOTE.fullmatch(part.strip())
    if match is None:
        return part
    if match.group(2):
        return _("Request for help %(n)s was cancelled", n=match.group(1))
    return _("From request for help %(n)s", n=match.group(1))


def visit_note(note: str | None) -> str:
    """A visit's note for the page: the request flow's codes ("aid request #12") in the
    reader's language, each part of a note joined with " / " on its own."""
    if not note:
        return ""
    return " / ".join(_note_part(part) for part in note.split(" / "))


def register_filters(app: Flask) -> None:
    register_status_labels("service_record", RECORD_STATUS_LABELS)
    # Flask-Babel's dateformat, formatting once per date (see format_date)
    app.add_template_filter(format_date, "dateformat")
    app.add_template_filter(format_minutes, "minutes")
    app.add_template_filter(transfer_kind_label, "transfer_kind")
    app.add_template_filter(record_status_label, "record_status")
    app.add_template_filter(category_label, "category")
    app.add_template_filter(visit_note, "visit_note")
    app.add_template_filter(format_number, "number")  # 1,000,000 / 1,000,000
    app.add_template_filter(lambda code: label(EXPORT_STATUS_LABELS, code), "export_status")
