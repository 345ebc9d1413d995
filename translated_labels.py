"""Labels of codes (statuses, categories, kinds) in the reader's language, translated
once per language instead of once per row.

A list page shows a status or a category on every row; through Flask-Babel each
lazy label looks up the request's domain, locale and catalogue again. A catalogue
never changes while the app runs (Flask-Babel keeps each one for good), so the
translated table of each label set is kept per language. The language is read on
every call, so ``force_locale`` (mail in the reader's language) still applies.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale

_tables: dict[tuple[int, object], dict[str, str]] = {}


def label(labels: Mapping[str, object], code: str | None) -> str:
    """The translated label of ``code`` in ``labels`` (a module's constant table of lazy
    strings), or the code itself when it has none."""
    key = (id(labels), get_locale())
    table = _tables.get(key)
    if table is None:
        table = _tables[key] = {name: str(text) for name, text in labels.items()}
    return table.get(code, code or "")


def formatted(texts: Mapping[str, object], code: str, **values) -> str:
    """The translated text ``code`` of ``texts`` (a constant table of lazy strings with
    ``%(name)s`` places) filled with ``values``: what ``gettext(text, **values)`` gives,
    without a catalogue lookup on every row."""
    return label(texts, code) % values


def join_list(items) -> str:
    """Items of a list in one line, as the reader's language writes it: 家政、托育 in
    Chinese (the enumeration comma), "Housekeeping, Childcare" in English."""
    locale = get_locale()
    separator = "、" if locale is None or locale.language == "zh" else ", "
    return separator.join(str(item) for item in items)
