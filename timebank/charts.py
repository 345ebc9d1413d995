"""Charts drawn on the server as inline SVG, readable without JavaScript.

Each bar sits under its own text line ("Jan 2026: 12 h"), so the numbers are
labelled directly and the chart stays legible on a 320 px phone (the SVG
scales with its viewBox to the page's width). Series are told apart by colour
(each at least 3:1 against white) *and* by a pattern, and segments are split
by a white line. The page repeats the numbers in an HTML table below each
chart for screen readers; the SVG itself is one labelled image.

The functions take plain numbers and already translated, formatted labels,
so they know nothing of minutes or communities.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360
PAD = 4
FONT = 15
ROW = 46  # a text line and a bar
BAR = 16
LEGEND_ROW = 26
BACKGROUND = "#ffffff"
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


def _open(chart_id: str, title: str, desc: str, height: int) -> list[str]:
    ids = f"{chart_id}-title {chart_id}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_attr(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{_attr(ids)}" '
        f'font-size="{FONT}" font-family="sans-serif">',
        f'<title id="{_attr(chart_id)}-title">{_attr(title)}</title>',
        f'<desc id="{_attr(chart_id)}-desc">{_attr(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="{BACKGROUND}"/>',
    ]


def pattern_id(chart_id: str, index: int) -> str:
    return f"{chart_id}-fill-{index}"


def _patterns(chart_id: str, count: int) -> list[str]:
    defs = ["<defs>"]
    for index in range(count):
        colour = PALETTE[index % len(PALETTE)]
        marks = PATTERNS[index % len(PATTERNS)]
        defs.append(
            f'<pattern id="{_attr(pattern_id(chart_id, index))}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{colour}"/>'
            f"{marks}</pattern>"
        )
    defs.append("</defs>")
    return defs


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" fill="{TEXT}" text-anchor="{anchor}">{_attr(text)}</text>'
    )


def stacked_bar_chart(
    *, chart_id: str, title: str, desc: str, rows: list[str], series: list[Series]
) -> Markup:
    """Horizontal stacked bars, one per row; ``rows`` are the texts above each bar
    (a label and its total), ``series`` the stacked parts with a legend below."""
    totals = [sum(s.values[i] for s in series) for i in range(len(rows))]
    longest = max(totals, default=0) or 1
    scale = (WIDTH - 2 * PAD) / longest
    legend_rows = (len(series) + 1) // 2
    height = PAD + ROW * len(rows) + LEGEND_ROW * legend_rows + 2 * PAD
    parts = _open(chart_id, title, desc, height) + _patterns(chart_id, len(series))
    for row, text in enumerate(rows):
        top = PAD + ROW * row
        parts.append(_text(PAD, top + FONT + 2, text))
        x = float(PAD)
        for index, part in enumerate(series):
            width = part.values[row] * scale
            if width <= 0:
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{top + FONT + 8}" width="{width:.1f}" height="{BAR}" '
                f'fill="url(#{_attr(pattern_id(chart_id, index))})" stroke="#fff" stroke-width="1"/>'
            )
            x += width
    parts.append(_legend(chart_id, series, PAD + ROW * len(rows) + PAD))
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(chart_id: str, series: list[Series], top: int) -> str:
    column = (WIDTH - 2 * PAD) / 2
    items = []
    for index, part in enumerate(series):
        x = PAD + column * (index % 2)
        y = top + LEGEND_ROW * (index // 2)
        items.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="18" height="18" '
            f'fill="url(#{_attr(pattern_id(chart_id, index))})" stroke="{AXIS}"/>'
            + _text(x + 24, y + FONT + 2, part.label)
        )
    return "".join(items)


def bar_chart(*, chart_id: str, title: str, desc: str, bars: list[Bar]) -> Markup:
    """Horizontal bars from a zero line, negative values to its left, each under its text."""
    low = min([0] + [b.value for b in bars])
    high = max([0] + [b.value for b in bars])
    span = (high - low) or 1
    scale = (WIDTH - 2 * PAD) / span
    zero = PAD + (-low) * scale
    height = PAD + ROW * len(bars) + PAD
    parts = _open(chart_id, title, desc, height) + _patterns(chart_id, 2)
    for row, bar in enumerate(bars):
        top = PAD + ROW * row
        parts.append(_text(PAD, top + FONT + 2, bar.text))
        width = abs(bar.value) * scale
        if width > 0:
            x = zero if bar.value > 0 else zero - width
            fill = pattern_id(chart_id, 0 if bar.value > 0 else 1)
            parts.append(
                f'<rect x="{x:.1f}" y="{top + FONT + 8}" width="{width:.1f}" height="{BAR}" '
                f'fill="url(#{_attr(fill)})"/>'
            )
        # The zero line runs through the bars only, never through the text above them.
        parts.append(
            f'<line x1="{zero:.1f}" y1="{top + FONT + 5}" x2="{zero:.1f}" '
            f'y2="{top + FONT + 11 + BAR}" stroke="{AXIS}" stroke-width="2"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
