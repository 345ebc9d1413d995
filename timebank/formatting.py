"""How minutes and ledger words are shown to people."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from functools import lru_cache

from babel import Locale, dates
from flask import Flask
from flask_babel import format_datetime, format_number, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from community.audit_labels import register_status_labels
from community.notifications import register_param_formatter
from timebank.categories import category_label
from timebank.clock import LOCAL_ZONE, local_today
from translated_labels import join_list, label

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


# The three ways to write an amount of time, translated once per language (a figures
# or statement page writes hundreds of amounts).
_MINUTE_FORMATS = {
    "hours_minutes": _l("%(h)s h %(m)s min"),
    "hours": _l("%(h)s h"),
    "minutes": _l("%(m)s min"),
}


def format_minutes(minutes: int | None) -> str:
    """``150`` → "2 小时 30 分" (or "2 h 30 min"); negative amounts keep their sign."""
    if minutes is None:
        return ""
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(int(minutes)), 60)
    if hours and rest:
        shape = "hours_minutes"
    elif hours:
        shape = "hours"
    else:
        shape = "minutes"
    return sign + label(_MINUTE_FORMATS, shape) % {"h": hours, "m": rest}


def transfer_kind_label(kind: str) -> str:
    return label(TRANSFER_KIND_LABELS, kind)


def record_status_label(status: str) -> str:
    return label(RECORD_STATUS_LABELS, status)


# One way to write a day and a time of day per language, on every page of every flow
# (the time bank's and the marketplace's alike): "12月5日 周六 上午11:00", "Sat 5 Dec,
# 11:00 AM"; the year only when it is not this year's.
_DAY = {"zh": "M月d日 EEE", "en": "EEE d MMM"}
_DAY_WITH_YEAR = {"zh": "y年M月d日 EEE", "en": "EEE d MMM y"}
_CLOCK = {"zh": "Bh:mm", "en": "h:mm a"}
_MIDNIGHT_HOUR = {"zh": "BK:mm", "en": "h:mm a"}  # 凌晨0:30, never 凌晨12:30
_MOMENT = {"zh": "{day} {time}", "en": "{day}, {time}"}
# named styles (Flask-Babel's and CLDR's) all mean the house style
HOUSE_STYLES = frozenset({None, "short", "medium", "long", "full"})


def _language(locale: Locale | None) -> str:
    return "zh" if (locale or DEFAULT_LOCALE).language == "zh" else "en"


@lru_cache(maxsize=4096)
def _date_text(day: date, pattern: str, locale: Locale | None) -> str:
    return dates.format_date(day, pattern, locale=locale or DEFAULT_LOCALE)


@lru_cache(maxsize=4096)
def _day_text(day: date, this_year: int, locale: Locale | None) -> str:
    patterns = _DAY if day.year == this_year else _DAY_WITH_YEAR
    return _date_text(day, patterns[_language(locale)], locale)


@lru_cache(maxsize=2048)
def _clock_text(at: time, locale: Locale | None) -> str:
    patterns = _MIDNIGHT_HOUR if at.hour == 0 else _CLOCK
    return dates.format_time(at, patterns[_language(locale)], locale=locale or DEFAULT_LOCALE)


def _local(value: datetime) -> datetime:
    """A stored instant (naive UTC) as the reader's wall clock: the communities' zone,
    which is Flask-Babel's (BABEL_DEFAULT_TIMEZONE; readers choose no other). Converted
    here directly: Flask-Babel's to_user_timezone looks the zone up through the request
    on every call, some 20 times a page."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_ZONE)


def format_date(value: date | datetime | None, pattern: str | None = None) -> str:
    """``value``'s day in the reader's language: "12月5日 周六" ("Sat 5 Dec"), with the
    year when it is not this year's. A named style ("long", "full"…) is this one house
    style; any other pattern is a CLDR pattern, as Flask-Babel's ``dateformat`` takes.
    Each date, pattern and language is formatted once (lists show the same few days on
    every row and every page)."""
    if value is None:
        return ""
    # a stored instant (naive UTC) is the reader's local day, as Flask-Babel rebases it
    day = _local(value).date() if isinstance(value, datetime) else value
    if pattern in HOUSE_STYLES:
        return _day_text(day, local_today().year, get_locale())
    return _date_text(day, pattern, get_locale())


def format_clock(value: time | datetime | None) -> str:
    """A time of day in the house style: "上午11:00" ("11:00 AM"); a stored instant
    (naive UTC) at the reader's wall clock."""
    if value is None:
        return ""
    at = _local(value).time() if isinstance(value, datetime) else value
    return _clock_text(at.replace(second=0, microsecond=0, tzinfo=None), get_locale())


def format_moment(value: datetime | None, pattern: str | None = None) -> str:
    """A stored instant (naive UTC) as the reader's day and time in the house style:
    "12月5日 周六 上午11:00" ("Sat 5 Dec, 11:00 AM"). A pattern other than a named
    style is a CLDR pattern (e.g. "yyyy-MM-dd HH:mm" for a table meant for a computer)."""
    if value is None:
        return ""
    if pattern not in HOUSE_STYLES:
        return format_datetime(value, pattern)
    return _moment_text(value, local_today().year, get_locale())


@lru_cache(maxsize=4096)
def _moment_text(value: datetime, this_year: int, locale: Locale | None) -> str:
    # Written whole once per instant and language: a page of bookings or reviews shows
    # twenty instants, and each piece looked the reader's language up again.
    local = _local(value)
    at = local.time().replace(second=0, microsecond=0, tzinfo=None)
    return _MOMENT[_language(locale)].format(
        day=_day_text(local.date(), this_year, locale), time=_clock_text(at, locale)
    )


def stored_moment(value: datetime) -> str:
    """A stored instant (naive UTC) as a notice keeps it, in no language
    ("2026-12-05T03:00:00+00:00"); ``moment_param`` writes it in the reader's."""
    return value.replace(tzinfo=UTC).isoformat()


def moment_param(value: str) -> str:
    """A notice's instant in the house style, when read; older notices kept their text."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if moment.tzinfo is None:  # written as local text before instants were kept
        return str(value)
    return format_moment(moment.astimezone(UTC).replace(tzinfo=None))


def day_param(value: str) -> str:
    """A notice's day ("2026-12-05") in the house style, when read."""
    try:
        return format_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def clock_param(value: str) -> str:
    """A notice's time of day ("09:30") in the house style, when read."""
    try:
        return format_clock(time.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)  # "—": no time was set


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
    # notices keep days and instants in no language; they read in the house style
    register_param_formatter("day", day_param)
    register_param_formatter("time", clock_param)
    register_param_formatter("when", moment_param)
    # Flask-Babel's dateformat and datetimeformat, in the house style (see format_date)
    app.add_template_filter(format_date, "dateformat")
    app.add_template_filter(format_moment, "datetimeformat")
    app.add_template_filter(format_clock, "clock")
    # lists in one line as the reader's language writes them (家政、托育), and a code's
    # label from a table the page was given (``days|map("label_in", weekday_labels)``)
    app.add_template_filter(join_list, "join_list")
    app.add_template_filter(lambda code, labels: str(labels[code]), "label_in")
    app.add_template_filter(format_minutes, "minutes")
    app.add_template_filter(transfer_kind_label, "transfer_kind")
    app.add_template_filter(record_status_label, "record_status")
    app.add_template_filter(category_label, "category")
    app.add_template_filter(visit_note, "visit_note")
    app.add_template_filter(format_number, "number")  # 1,000,000 / 1,000,000
    app.add_template_filter(lambda code: label(EXPORT_STATUS_LABELS, code), "export_status")
