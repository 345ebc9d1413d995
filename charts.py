"""Charts drawn on the server, readable without JavaScript and on any phone.

Each bar sits under its own text line ("Jan 2026: 12 h"), so the numbers are
labelled directly. The text is HTML at the page's own size (18 px, 22 px and
more in large text), never SVG text that would shrink with a narrow screen or
swell on a wide one; only the bars are SVG, sized in percentages of the row.
Series are told apart by colour (each at least 3:1 against white) *and* by a
pattern, and segments are split by a white line. The chart is one labelled
image (role="img"); the page repeats its numbers in an HTML table below it.

Rows whose bars are all zero take no space: they are named in one note under
the chart instead ("Nothing recorded, not drawn: Mar–Oct 2025").

The functions take plain numbers and already translated, formatted labels
("label: value"), so they know nothing of minutes or communities.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

BAR_HEIGHT = "70%"
BAR_TOP = "15%"
SWATCH = 18
TEXT = "#1a1a1a"
AXIS = "#5a5a5a"
# Dark enough for 3:1 against white (tests check each).
PALETTE = (
    "#8a2a0a",
    "#0b4fd6",
    "#1d5e20",
    "#6a1b9a",
    "#b35900",
    "#00695c",
    "#ad1457",
    "#37474f",
    "#7a5c00",
    "#c62828",
)
# White strokes drawn over the colour: none, stripes, dots, cross-hatch…
PATTERNS = (
    "",
    '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-width="2"/>',
    '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
    '<path d="M0,4 h8" stroke="#fff" stroke-width="2"/>',
    '<path d="M4,0 v8 M0,4 h8" stroke="#fff" stroke-width="1.5"/>',
    '<path d="M4,0 v8" stroke="#fff" stroke-width="2"/>',
    '<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="#fff" stroke-width="2"/>',
    '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#fff" stroke-width="1.2"/>',
    '<rect x="2" y="2" width="4" height="4" fill="#fff"/>',
    '<path d="M0,2 h8 M0,6 h8" stroke="#fff" stroke-width="1"/>',
)
# What the hidden SVG parts say to assistive technology: nothing (the chart is one image).
QUIET = 'aria-hidden="true" focusable="false"'


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked series: its legend label and a value per row."""

    label: str
    values: list[int]


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: the text above it (its label and formatted value) and its value."""

    text: str
    value: int


def _attr(text: object) -> str:
    return str(escape(str(text)))


def _percent(value: float) -> str:
    return f"{value:.2f}%"


def _open(chart_id: str, title: str, desc: str) -> list[str]:
    ids = f"{chart_id}-title {chart_id}-desc"
    return [
        f'<div class="chart" id="{_attr(chart_id)}" role="img" aria-labelledby="{_attr(ids)}">',
        f'<span id="{_attr(chart_id)}-title" hidden="hidden">{_attr(title)}</span>',
        f'<span id="{_attr(chart_id)}-desc" hidden="hidden">{_attr(desc)}</span>',
    ]


def pattern_id(chart_id: str, index: int) -> str:
    return f"{chart_id}-fill-{index}"


def _patterns(chart_id: str, count: int) -> str:
    """The fills, defined once in an SVG of no size that every bar of the chart refers to."""
    defs = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart__defs" width="0" height="0" {QUIET}><defs>'
    ]
    for index in range(count):
        colour = PALETTE[index % len(PALETTE)]
        marks = PATTERNS[index % len(PATTERNS)]
        defs.append(
            f'<pattern id="{_attr(pattern_id(chart_id, index))}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{colour}"/>'
            f"{marks}</pattern>"
        )
    defs.append("</defs></svg>")
    return "".join(defs)


def _row(text: str, shapes: list[str]) -> str:
    """One row: its text on a line of its own, then its bar across the whole width."""
    return (
        f'<div class="chart__row"><span class="chart__text">{_attr(text)}</span>'
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart__bar" width="100%" height="20" {QUIET}>{"".join(shapes)}</svg></div>'
    )


def _rect(x: float, width: float, fill: str, extra: str = "") -> str:
    return (
        f'<rect x="{_percent(x)}" y="{BAR_TOP}" width="{_percent(width)}" height="{BAR_HEIGHT}" '
        f'fill="url(#{_attr(fill)})"{extra}/>'
    )


def row_name(text: str) -> str:
    """The name part of a row's text: "Jan 2026: 12 h" → "Jan 2026"."""
    return text.split(": ", 1)[0]


def _runs(names: list[str], empty: list[bool]) -> list[str]:
    """The empty rows as runs: one name, or "first–last" for rows next to each other."""
    runs: list[list[str]] = []
    previous = False
    for name, is_empty in zip(names, empty, strict=True):
        if is_empty:
            if previous:
                runs[-1].append(name)
            else:
                runs.append([name])
        previous = is_empty
    return [run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs]


def empty_rows_note(names: list[str]) -> str:
    """The note naming the rows left out ("Nothing recorded, not drawn: A–B and C")."""
    listed = format_list(names, locale=get_locale() or "en") if names else ""
    return _("Nothing recorded, not drawn: %(rows)s.", rows=listed)


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    rows: list[str],
    series: list[Series],
    row_names: list[str] | None = None,
) -> Markup:
    """Horizontal stacked bars, one per row; ``rows`` are the texts above each bar
    (a label and its total), ``series`` the stacked parts with a legend below.

    Rows whose parts are all zero are not drawn: a note names them (by ``row_names``,
    or the part of each row's text before ": "), runs of neighbours as "first–last"."""
    totals = [sum(s.values[i] for s in series) for i in range(len(rows))]
    longest = max(totals, default=0) or 1
    parts = _open(chart_id, title, desc) + [_patterns(chart_id, len(series))]
    for row, text in enumerate(rows):
        if totals[row] <= 0:
            continue
        x, shapes = 0.0, []
        for index, part in enumerate(series):
            width = 100 * part.values[row] / longest
            if width <= 0:
                continue
            shapes.append(
                _rect(x, width, pattern_id(chart_id, index), ' stroke="#fff" stroke-width="1"')
            )
            x += width
        parts.append(_row(text, shapes))
    empty = [total <= 0 for total in totals]
    if any(empty):
        names = row_names if row_names is not None else [row_name(text) for text in rows]
        parts.append(f'<p class="chart__note">{_attr(empty_rows_note(_runs(names, empty)))}</p>')
    if series:
        parts.append(_legend(chart_id, series))
    parts.append("</div>")
    return Markup("".join(parts))


def _legend(chart_id: str, series: list[Series]) -> str:
    items = ['<ul class="chart__legend">']
    for index, part in enumerate(series):
        items.append(
            f'<li><svg xmlns="http://www.w3.org/2000/svg" class="chart__swatch" width="{SWATCH}" height="{SWATCH}" {QUIET}>'
            f'<rect width="100%" height="100%" fill="url(#{_attr(pattern_id(chart_id, index))})" '
            f'stroke="{AXIS}"/></svg><span class="chart__text">{_attr(part.label)}</span></li>'
        )
    items.append("</ul>")
    return "".join(items)


def bar_chart(*, chart_id: str, title: str, desc: str, bars: list[Bar]) -> Markup:
    """Horizontal bars from a zero line, negative values to its left, each under its text."""
    low = min([0] + [b.value for b in bars])
    high = max([0] + [b.value for b in bars])
    span = (high - low) or 1
    zero = 100 * (-low) / span
    parts = _open(chart_id, title, desc) + [_patterns(chart_id, 2)]
    for bar in bars:
        shapes = []
        width = 100 * abs(bar.value) / span
        if width > 0:
            x = zero if bar.value > 0 else zero - width
            shapes.append(_rect(x, width, pattern_id(chart_id, 0 if bar.value > 0 else 1)))
        # The zero line runs through the bar only, never through the text above it.
        shapes.append(
            f'<line x1="{_percent(zero)}" y1="0" x2="{_percent(zero)}" y2="100%" '
            f'stroke="{AXIS}" stroke-width="2"/>'
        )
        parts.append(_row(bar.text, shapes))
    parts.append("</div>")
    return Markup("".join(parts))
