"""Benchmark: what drawing a chart costs, drawn once (wide) and for both screens (wide and a phone's
width, ``audits.reports.charts.for_screens``), in CPU milliseconds a chart, the median of --repeat.

    .venv/bin/python bench/charts.py
    .venv/bin/python bench/charts.py --repeat 20

No database: the charts take plain figures. The pages cache each drawing (``charts.cached``), so this
is what a chart costs the first time its figures are shown in a language.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")


def _charts():
    from audits.reports import charts

    months = [f"2026-{m:02d}" for m in range(1, 13)] * 2
    values = [Decimal(1000 + 37 * i) for i in range(24)]
    points = [(Decimal(i) / 100, min(Decimal(1), Decimal(i) / 60)) for i in range(101)]
    steps = [("Revenue", 1000), ("Cost of sales", -300), ("Cost to serve", -100), ("Expenses", -10)]
    steps += [("Acquisition", -20), ("Late payment", -5), ("Bad debt", 0)]
    return {
        "24-month trend (client page)": lambda narrow: charts.trend(
            labels=months,
            series=[("Revenue", values, charts.MUTED), ("Net profit", values, charts.ACCENT)],
            y_label="per month",
            width=12,
            to_date=dt.date(2026, 12, 4),
            narrow=narrow,
        ),
        "waterfall (client page)": lambda narrow: charts.waterfall(
            steps=steps, total_label="Net profit", narrow=narrow
        ),
        "Pareto curve (dashboard)": lambda narrow: charts.cumulative_curve(
            points=points, x_label="clients", y_label="revenue", reference=0.8, narrow=narrow
        ),
        "bars (tiers)": lambda narrow: charts.bars(
            labels=["Tier 1", "Tier 2", "Tier 3"], values=[33, 4, 111], y_label="clients", narrow=narrow
        ),
    }


def _cpu_ms(draw, repeat):
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        draw()
        runs.append((time.process_time() - start) * 1000)
    return statistics.median(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    import django

    django.setup()
    from django.utils import translation

    from audits.reports import charts

    translation.activate("en")
    print(f"{'chart':32} {'wide':>8} {'both':>8}   CPU ms, median of {args.repeat}")
    for name, draw in _charts().items():
        draw(narrow=False)  # matplotlib's first figure loads its fonts
        wide = _cpu_ms(lambda draw=draw: draw(narrow=False), args.repeat)
        both = _cpu_ms(lambda draw=draw: charts.for_screens(draw), args.repeat)
        print(f"{name:32} {wide:8.0f} {both:8.0f}")


if __name__ == "__main__":
    main()
