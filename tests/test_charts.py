"""The month to date is drawn apart from the complete months on every 24-month trend."""

import datetime as dt
from decimal import Decimal as D

from django.utils import translation

from audits import charts

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
    assert "fill: #ffffff; stroke: #1f5fbf" in svg  # the hollow point of the month to date


def test_a_month_that_is_over_is_drawn_like_the_others():
    with translation.override("en"):
        svg = _trend(dt.date(2026, 12, 31))
    assert "to 31 Dec" not in svg
    assert "fill: #ffffff; stroke: #1f5fbf" not in svg


def test_the_mark_follows_the_users_language():
    with translation.override("fr"):
        svg = _trend(dt.date(2026, 12, 1))
    assert "au 1 déc." in svg
