"""Server-drawn charts: well-formed, one labelled image, numbers as HTML text at the page's
own size (never SVG text, which shrinks with the screen), bars in SVG sized in percent,
readable colours, and rows with nothing in them left out with a note."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from charts import PALETTE, Bar, Series, bar_chart, stacked_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("colour", PALETTE)
def test_every_series_colour_stands_out_3_to_1_against_white(colour):
    assert contrast(colour, "#ffffff") >= 3


def test_the_palette_has_no_repeated_colour():
    assert len(set(PALETTE)) == len(PALETTE)


def monthly(rows=None, series=None):
    return stacked_bar_chart(
        chart_id="c1",
        title="Hours & months",
        desc="Two months <of> help",
        rows=rows or ["Jan 2026: 3 h", "Feb 2026: 1 h"],
        series=series or [Series("Meal help", [120, 60]), Series("Cleaning", [60, 0])],
    )


def texts_of(root) -> list[str]:
    """The chart's visible words: its HTML text lines (never SVG text)."""
    return [e.text for e in root.iter() if "chart__text" in (e.get("class") or "")]


def percent(value: str) -> float:
    assert value.endswith("%"), value
    return float(value[:-1])


def test_stacked_chart_is_one_labelled_image_with_html_text():
    root = ET.fromstring(str(monthly()))
    assert root.tag == "div" and root.get("class") == "chart"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    title, desc = (root.find(f".//*[@id='{i}']") for i in (title_id, desc_id))
    assert title.text == "Hours & months" and title.get("hidden") is not None
    assert desc.text == "Two months <of> help"
    assert texts_of(root) == ["Jan 2026: 3 h", "Feb 2026: 1 h", "Meal help", "Cleaning"]
    # No SVG text anywhere: it would scale with the drawing instead of keeping the page's size.
    assert not list(root.iter(f"{SVG}text"))
    # Every drawing is hidden from assistive technology; the chart is read by its label.
    drawings = list(root.iter(f"{SVG}svg"))
    assert len(drawings) == 1 + 2 + 2  # the fills, a bar per row, a swatch per series
    assert all(svg.get("aria-hidden") == "true" for svg in drawings)


def bar_rects(root) -> list[ET.Element]:
    return [
        r
        for svg in root.iter(f"{SVG}svg")
        if svg.get("class") == "chart__bar"
        for r in svg.iter(f"{SVG}rect")
    ]


def test_stacked_segments_are_proportional_and_patterned():
    root = ET.fromstring(str(monthly()))
    # Jan: 120 + 60 fills the width; Feb: 60 is a third of it; a zero draws nothing.
    widths = [percent(r.get("width")) for r in bar_rects(root)]
    assert widths == pytest.approx([100 * 2 / 3, 100 / 3, 100 / 3], abs=0.01)
    starts = [percent(r.get("x")) for r in bar_rects(root)]
    assert starts == pytest.approx([0, 100 * 2 / 3, 0], abs=0.01)  # stacked, then a new row
    patterns = root.findall(f".//{SVG}defs/{SVG}pattern")
    assert [p.get("id") for p in patterns] == ["c1-fill-0", "c1-fill-1"]
    # The two series differ by colour and by their white marks.
    assert patterns[0].find(f"{SVG}rect").get("fill") != patterns[1].find(f"{SVG}rect").get("fill")
    assert len(list(patterns[1])) > len(list(patterns[0]))


def test_rows_with_nothing_take_no_space_and_are_named_in_one_note():
    rows = ["Jan: 0", "Feb: 2 h", "Mar: 0", "Apr: 0", "May: 0", "Jun: 1 h", "Jul: 0"]
    values = [0, 120, 0, 0, 0, 60, 0]
    root = ET.fromstring(str(monthly(rows, [Series("Meal help", values)])))
    assert texts_of(root) == ["Feb: 2 h", "Jun: 1 h", "Meal help"]
    assert len(bar_rects(root)) == 2
    note = root.find(".//*[@class='chart__note']")
    # neighbours are one run: "Mar–May"; names are the text before ": "
    assert note.text == "Nothing recorded, not drawn: Jan, Mar–May, and Jul."


def test_a_chart_with_no_empty_row_has_no_note():
    root = ET.fromstring(str(monthly()))
    assert root.find(".//*[@class='chart__note']") is None


def test_bar_chart_draws_negative_values_left_of_zero():
    chart = bar_chart(
        chart_id="c2",
        title="Owed",
        desc="Stored against the guarantee",
        bars=[Bar("Members: 5 h", 300), Bar("Guarantee account: −5 h", -300), Bar("Fund: 0", 0)],
    )
    root = ET.fromstring(str(chart))
    bars = bar_rects(root)
    assert len(bars) == 2  # nothing is drawn for zero
    zero = percent(root.find(f".//{SVG}line").get("x1"))
    assert zero == pytest.approx(50)
    stored, guarantee = bars
    assert percent(stored.get("x")) == pytest.approx(zero)
    assert percent(guarantee.get("x")) + percent(guarantee.get("width")) == pytest.approx(zero)
    assert texts_of(root) == ["Members: 5 h", "Guarantee account: −5 h", "Fund: 0"]


def test_an_empty_chart_is_still_valid():
    chart = stacked_bar_chart(chart_id="c3", title="T", desc="D", rows=["Jan: 0"], series=[])
    root = ET.fromstring(str(chart))
    assert texts_of(root) == []
    assert root.find(".//*[@class='chart__note']").text == "Nothing recorded, not drawn: Jan."
