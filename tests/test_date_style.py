"""One date style per language on every page of every flow, written by one helper that the
time bank and the marketplace share: "12月5日 周六 上午11:00" / "Sat 5 Dec, 11:00 AM"."""

from __future__ import annotations

from datetime import date, datetime, time
from unittest import mock

import pytest
from flask_babel import force_locale

from marketplace.formatting import local_time
from timebank.formatting import (
    format_clock,
    format_date,
    format_moment,
    moment_param,
    stored_moment,
)

LUNCH = datetime(2026, 12, 5, 3, 0)  # stored UTC: 11:00 on Saturday 5 December in Shanghai


@pytest.fixture
def page(app):
    with (
        app.test_request_context(),
        mock.patch("timebank.formatting.local_today", return_value=date(2026, 11, 30)),
    ):
        yield


@pytest.mark.parametrize(
    ("language", "day", "moment", "other_year"),
    [
        ("zh_CN", "12月5日 周六", "12月5日 周六 上午11:00", "2025年12月5日 周五"),
        ("en", "Sat 5 Dec", "Sat 5 Dec, 11:00 AM", "Fri 5 Dec 2025"),
    ],
)
def test_one_style_per_language(page, language, day, moment, other_year):
    with force_locale(language):
        for style in (None, "short", "medium", "long", "full"):
            assert format_date(date(2026, 12, 5), style) == day
            assert format_date(LUNCH, style) == day
        assert format_date(date(2025, 12, 5)) == other_year
        assert format_moment(LUNCH) == moment
        # the marketplace's helper writes the very same
        assert local_time(LUNCH) == moment
        assert local_time(LUNCH, "yyyy-MM-dd") == day


def test_times_of_day_read_as_people_say_them(page):
    with force_locale("zh_CN"):
        assert format_clock(time(11, 0)) == "上午11:00"
        assert format_clock(time(15, 30)) == "下午3:30"
        assert format_clock(time(0, 30)) == "凌晨0:30"
    with force_locale("en"):
        assert format_clock(time(15, 30)) == "3:30 PM"


def test_a_notice_keeps_its_moment_in_no_language(page):
    kept = stored_moment(LUNCH)
    with force_locale("zh_CN"):
        assert moment_param(kept) == "12月5日 周六 上午11:00"
    with force_locale("en"):
        assert moment_param(kept) == "Sat 5 Dec, 11:00 AM"
    assert moment_param("2026-12-05 11:00") == "2026-12-05 11:00"  # written before: as it was


def test_booking_and_visit_pages_use_the_one_helper():
    """No page writes a day or a moment its own way (numbers-only patterns aside)."""
    import pathlib
    import re

    own_way = re.compile(r"\|(?:dateformat|datetimeformat)\((['\"])(?:full|long|medium|short)\1\)")
    pages = pathlib.Path(__file__).resolve().parent.parent / "templates"
    for template in pages.rglob("*.html"):
        if template.parent.name == "reports":  # named styles there read the house style too
            continue
        assert not own_way.search(template.read_text()), template


def test_the_wall_clock_pages_convert_to_is_flask_babels(app):
    """timebank.formatting converts instants to the communities' zone itself; it must be
    the zone Flask-Babel's own filters use."""
    from timebank.clock import LOCAL_ZONE

    assert app.config["BABEL_DEFAULT_TIMEZONE"] == LOCAL_ZONE.key
