"""The month to date is drawn apart from the complete months on every 24-month trend."""

import datetime as dt
from decimal import Decimal as D

from django.utils import translation

from audits.reports import charts
from clients import display

LABELS = [f"2026-{m:02d}" for m in range(1, 13)]
VALUES = [D("1000")] * 11 + [D("30")]


def _trend(to_date):
    return charts.trend(
        labels=LABELS, series=[("Revenue", VALUES, charts.ACCENT)], y_label="per month", to_date=to_date
    )


def test_on_the_first_of_a_month_the_last_point_is_marked_as_the_month_to_date():
    with translation.override("en"):
        svg = _trend(dt.date(2026, 12, 1))
    assert "to 1 Dec" in svg
    assert 'fill="#ffffff" stroke="#1f5fbf"' in svg  # the hollow point of the month to date


def test_a_month_that_is_over_is_drawn_like_the_others():
    with translation.override("en"):
        svg = _trend(dt.date(2026, 12, 31))
    assert "to 31 Dec" not in svg
    assert 'fill="#ffffff" stroke="#1f5fbf"' not in svg


def test_the_mark_follows_the_users_language():
    with translation.override("fr"):
        svg = _trend(dt.date(2026, 12, 1))
    assert "au 1 déc." in svg


# The presentation attributes SVG knows: a declaration matplotlib writes must become one of these, or
# the browser would drop it once it is no longer a style.
PRESENTATION_ATTRIBUTES = {
    "fill", "fill-opacity", "font-family", "font-size", "font-style", "font-weight", "opacity",
    "stroke", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-opacity", "stroke-width", "text-anchor",
}  # fmt: skip


def _every_chart():
    with translation.override("en"):
        return [
            charts.cumulative_curve(
                points=[(0, 0), (0.2, 0.8), (1, 1)], x_label="x", y_label="y", reference=0.8, peak=(0.2, 0.8)
            ),
            charts.bars(labels=["A", "B"], values=[1, 2], y_label="n", colors=[charts.GOOD, charts.BAD]),
            _trend(dt.date(2026, 12, 1)),
            charts.trend(
                labels=LABELS,
                series=[("Revenue", VALUES, charts.ACCENT), ("Net profit", VALUES, charts.GOOD)],
                y_label="per month",
            ),
            charts.waterfall(steps=[("Revenue", 100), ("Staff time", -40)], total_label="Net profit"),
            charts.waterfall(
                steps=[("Revenue", 100), ("Staff time", -40)], total_label="Net profit", narrow=True
            ),
        ]


def test_charts_carry_no_inline_style_for_the_content_security_policy_to_refuse():
    import xml.etree.ElementTree as ET

    for svg in _every_chart():
        assert "<style" not in svg
        assert " style=" not in svg
        root = ET.fromstring(svg)  # well formed: no attribute written twice
        assert root.get("stroke-linejoin") == "round"  # matplotlib's one style sheet, now inherited
        names = {name for element in root.iter() for name in element.attrib}
        assert {"fill", "stroke", "stroke-width", "font-size", "font-family", "text-anchor"} <= names


def test_every_style_matplotlib_writes_has_a_presentation_attribute(monkeypatch):
    import re

    monkeypatch.setattr(charts, "_without_inline_styles", lambda svg: svg)
    written = {
        declaration.split(":", 1)[0].strip()
        for svg in _every_chart()
        for style in re.findall(r' style="([^"]*)"', svg)
        for declaration in style.split(";")
        if declaration.strip()
    }
    assert written
    assert written <= PRESENTATION_ATTRIBUTES, written - PRESENTATION_ATTRIBUTES


def test_money_ticks_read_as_their_values():
    """Compact figures are rounded (2,500 alone reads 3k): on an axis, each tick has the places it
    needs to read as its value, so the ticks read evenly spaced."""
    import re

    scale = {"k": 1_000, "M": 1_000_000, "": 1}
    for top in (2_400, 13_000, 12_500, 1_260_000, 640):
        with translation.override("en"):
            svg = charts.bars(labels=["A", "B"], values=[D(top), D(top) / 3], y_label="EUR", money=True)
        ticks = re.findall(r">(-?[\d.,]+)(k|M)?</text>", svg)
        values = [D(number.replace(",", "")) * scale[suffix] for number, suffix in ticks]
        assert len(values) >= 3 and len({b - a for a, b in zip(values, values[1:], strict=False)}) == 1, (
            top,
            ticks,
        )
    with translation.override("en"):
        assert [display.compact(v, display.compact_places([0, 2500, 5000])) for v in (2500, 5000)] == [
            "2.5k",
            "5.0k",
        ]
        assert display.compact_places([0, 2000, 4000]) is None and display.compact(2500) == "3k"


def test_a_money_axis_of_zeros_reads_one_zero():
    """Nothing to show: one tick, 0, where matplotlib spread five that all read "0"."""
    import re

    with translation.override("en"):
        svg = charts.bars(labels=["A", "B"], values=[D("0"), D("0")], y_label="EUR", money=True)
        trend = charts.trend(labels=LABELS, series=[("Revenue", [D("0")] * 12, charts.ACCENT)], y_label="EUR")
    for drawn in (svg, trend):
        assert re.findall(r">(-?[\d.,]+[kM]?)</text>", drawn).count("0") == 1


def test_a_chart_of_counts_runs_from_zero_in_whole_numbers_even_when_every_count_is_zero():
    import re

    with translation.override("en"):
        empty = charts.bars(labels=["A", "B"], values=[0, 0], y_label="clients")
        counted = charts.bars(labels=["A", "B"], values=[3, 7], y_label="clients")
    assert re.findall(r">(-?[\d.,]+)</text>", empty) == ["0", "1"]
    assert re.findall(r">(-?[\d.,]+)</text>", counted) == [str(n) for n in range(8)]


def test_a_page_holds_each_chart_drawn_wide_and_drawn_narrow_for_a_phone():
    """On a phone the wide drawing, scaled to the screen, would bring its labels down to a few
    pixels: the narrow one is drawn at a phone's width, and its ids are its own."""
    import re
    import xml.etree.ElementTree as ET

    with translation.override("en"):
        html = charts.for_screens(
            lambda narrow: charts.trend(
                labels=LABELS,
                series=[("Revenue", VALUES, charts.ACCENT)],
                y_label="m",
                width=12,
                narrow=narrow,
            )
        )
    wide, narrow = re.findall(r'<div class="chart-(?:wide|narrow)">(.*?)</div>', html, re.DOTALL)
    widths = [float(ET.fromstring(svg).get("width").removesuffix("pt")) for svg in (wide, narrow)]
    assert widths == [12 * 72, charts.NARROW * 72]
    ids = re.findall(r'\bid="([^"]+)"', wide + narrow)
    assert ids and len(ids) == len(set(ids))  # one document holds both
    # Three month names on the phone's axis, the last month's always among them.
    assert len(re.findall(r">2026-\d\d<", narrow)) == 3 and ">2026-12<" in narrow
    assert charts.for_screens(lambda narrow: None) is None  # nothing to draw


def test_two_charts_of_a_page_keep_their_ids_apart():
    import re

    with translation.override("en"):
        drawings = [
            charts.for_screens(
                lambda narrow: charts.bars(labels=["A", "B"], values=[1, 2], y_label="n", narrow=narrow), name
            )
            for name in ("tiers", "abc")
        ]
    ids = re.findall(r'\bid="([^"]+)"', "".join(drawings))
    assert ids and len(ids) == len(set(ids))
