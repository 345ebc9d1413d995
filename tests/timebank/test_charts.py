"""Server-drawn SVG charts: well-formed, labelled, numbers as text, readable colours."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from timebank.charts import PALETTE, WIDTH, Bar, Series, bar_chart, stacked_bar_chart

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


def monthly():
    return stacked_bar_chart(
        chart_id="c1",
        title="Hours & months",
        desc="Two months <of> help",
        rows=["Jan 2026: 3 h", "Feb 2026: 1 h"],
        series=[Series("Meal help", [120, 60]), Series("Cleaning", [60, 0])],
    )


def test_stacked_chart_is_well_formed_labelled_svg():
    root = ET.fromstring(str(monthly()))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox").startswith(f"0 0 {WIDTH} ")
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Hours & months"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "Two months <of> help"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Jan 2026: 3 h", "Feb 2026: 1 h", "Meal help", "Cleaning"]


def bar_widths(root) -> list[float]:
    return [
        float(r.get("width"))
        for r in root.iter(f"{SVG}rect")
        if r.get("fill", "").startswith("url(") and r.get("stroke") != "#5a5a5a"
    ]


def test_stacked_segments_are_proportional_and_patterned():
    root = ET.fromstring(str(monthly()))
    # Jan: 120 + 60 fills the width; Feb: 60 is a third of it; a zero draws nothing.
    full = WIDTH - 8
    assert bar_widths(root) == pytest.approx([full * 2 / 3, full / 3, full / 3], abs=0.1)
    patterns = root.findall(f"{SVG}defs/{SVG}pattern")
    assert [p.get("id") for p in patterns] == ["c1-fill-0", "c1-fill-1"]
    # The two series differ by colour and by their white marks.
    assert patterns[0].find(f"{SVG}rect").get("fill") != patterns[1].find(f"{SVG}rect").get("fill")
    assert len(list(patterns[1])) > len(list(patterns[0]))


def test_bar_chart_draws_negative_values_left_of_zero():
    chart = bar_chart(
        chart_id="c2",
        title="Owed",
        desc="Stored against the guarantee",
        bars=[Bar("Members: 5 h", 300), Bar("Guarantee account: −5 h", -300), Bar("Fund: 0", 0)],
    )
    root = ET.fromstring(str(chart))
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill", "").startswith("url(")]
    assert len(bars) == 2  # nothing is drawn for zero
    zero = float(root.find(f"{SVG}line").get("x1"))
    stored, guarantee = bars
    assert float(stored.get("x")) == pytest.approx(zero)
    assert float(guarantee.get("x")) + float(guarantee.get("width")) == pytest.approx(zero)
    assert [t.text for t in root.iter(f"{SVG}text")] == [
        "Members: 5 h",
        "Guarantee account: −5 h",
        "Fund: 0",
    ]


def test_an_empty_chart_is_still_valid():
    chart = stacked_bar_chart(chart_id="c3", title="T", desc="D", rows=["Jan: 0"], series=[])
    root = ET.fromstring(str(chart))
    assert [t.text for t in root.iter(f"{SVG}text")] == ["Jan: 0"]
