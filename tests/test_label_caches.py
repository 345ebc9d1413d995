"""The cheaper ways pages write labels and dates say exactly what Flask-Babel would."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from flask_babel import format_date as babel_date
from flask_babel import format_datetime as babel_datetime

from marketplace.clock import to_local
from marketplace.formatting import BOOKING_STATUS_LABELS, NUMERIC_PATTERNS, local_time
from timebank.categories import CATEGORIES, category_label
from timebank.formatting import RECORD_STATUS_LABELS, format_date, record_status_label

DAYS = [
    date(2026, 12, 6),
    date(1999, 7, 1),
    datetime(2026, 1, 2, 23, 30),  # stored UTC: already the 3rd in Shanghai
    datetime(2026, 1, 2, 3, 30),
    datetime(2026, 1, 2, 20, 0, tzinfo=UTC),
]


@pytest.fixture
def page(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_dates_read_as_flask_babel_writes_them(page, language):
    with force_locale(language):
        for value in DAYS:
            for pattern in ("EEE M/d", "yyyy-MM-dd", "d MMM"):  # named styles: the house one
                assert format_date(value, pattern) == babel_date(value, pattern), (value, pattern)
                assert format_date(value, pattern) == babel_date(value, pattern)  # kept copy


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_numeric_times_read_as_babel_writes_them(page, language):
    stored = datetime(2026, 3, 9, 17, 5)  # 01:05 the next day in Shanghai
    with force_locale(language):
        for pattern in NUMERIC_PATTERNS:
            assert local_time(stored, pattern) == babel_datetime(to_local(stored), pattern)


def test_labels_follow_the_language_of_each_call(page):
    """Kept per language: a mail rendered under force_locale gets its reader's words."""
    with force_locale("zh_CN"):
        chinese = record_status_label("confirmed")
        assert chinese == str(RECORD_STATUS_LABELS["confirmed"]) == "已确认"
        assert category_label("meal") == str(CATEGORIES[0].label) != "Meal help"
    with force_locale("en"):
        assert record_status_label("confirmed") == "Confirmed"
        assert category_label("meal") == "Meal help"
        assert str(BOOKING_STATUS_LABELS["completed"]) == "Completed"
    with force_locale("zh_CN"):
        assert record_status_label("confirmed") == chinese
    assert record_status_label("no-such-status") == "no-such-status"


def test_a_pages_words_come_from_the_catalogue_of_the_language_it_renders_in(app, page):
    """Templates' _() reads the page's catalogue, found when the page starts to render:
    a page (or mail) rendered under force_locale gets its reader's words, and macros
    imported without the page's context get the same words."""
    from flask import render_template_string

    with force_locale("zh_CN"):
        chinese = render_template_string('{{ _("Statement") }}')
    with force_locale("en"):
        english = render_template_string('{{ _("Statement") }}')
        imported = render_template_string(
            '{% from "macros.html" import idempotency %}{{ _("Statement") }}'
            '{{ ngettext("%(num)s visit", "%(num)s visits", 2) }}'
        )
    assert english == "Statement" and chinese not in ("", "Statement")
    assert imported.startswith("Statement")
