"""The audit's one door to the profitability engine, its portfolio maths and its charts.

Everything the audit takes from ``audits.profitability`` (the engine, the portfolio maths, the
session of a computation, the bulk write) and ``audits.reports.charts`` goes
through this module, so the rest of ``audits.review`` works on its own rows and plain numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from django.utils.translation import gettext as _

from audits.models import AuditClient
from audits.profitability import engine, portfolio, runs
from audits.profitability.figures import FIGURE_FIELDS, MONEY_FIGURES
from audits.profitability.results import VALUE_NAMES
from audits.profitability.sql.copy import bulk_insert
from audits.profitability.sql.session import computation
from audits.reports import charts
from clients.periods import rolling_period

ZERO = Decimal("0")
CENT = Decimal("0.01")

# The per-client figures of the engine's result that an audit keeps.
FIGURES = (*FIGURE_FIELDS, "net_profit")
# The cost breakdown, from revenue down to net profit (step 2's columns).
BREAKDOWN = (*MONEY_FIGURES, "net_profit")
# The engine's values that the AuditClient model has a column for, in the engine's order.
VALUES = tuple(name for name in VALUE_NAMES if name in {f.attname for f in AuditClient._meta.concrete_fields})


@dataclass
class Computed:
    clients: list[dict]  # one dict per client: client_id, status, in_portfolio and FIGURES + VALUES
    portfolio: dict
    limits: dict  # concentration limits as strings: {"top1": ["0.1", "0.2"], ...}


def compute(*, as_of: dt.date, start: dt.date, end: dt.date, scope) -> Computed:
    """The engine's figures for the audit's period and scope (a Client queryset, or None for all);
    nothing is written by the engine.

    When the period is the nightly one (the 12 months ending on the as-of date), the "declining"
    flag also compares with the previous nightly snapshot, as the nightly run does; over another
    period, whose figures no snapshot holds, only the months rule applies.

    Run as the recompute runs: in one REPEATABLE READ transaction when it is the outermost one (so
    the ledger pass may be shared with a second connection, both reading the same ledger), with the
    ledger pass's settings, and without the cyclic garbage collector (millions of small objects,
    no cycles)."""
    previous_np = runs.previous_net_profit(as_of) if (start, end) == rolling_period(as_of) else None
    with computation() as split:
        result = engine.compute(
            as_of=as_of, start=start, end=end, scope=scope, previous_np=previous_np, split=split
        )
    rows = []
    for item in result.clients.values():
        row = {"client_id": item.client_id, "status": item.status, "in_portfolio": item.in_portfolio}
        for name in FIGURES:
            row[name] = getattr(item.figures, name)
        for name in VALUES:
            row[name] = item.values[name]
        rows.append(row)
    limits = {name: [str(amber), str(red)] for name, (amber, red) in result.settings.limits.items()}
    return Computed(clients=rows, portfolio=result.portfolio, limits=limits)


def rows_insert(model, rows: list[dict]) -> None:
    """Insert the audit's rows in one statement whatever their number (COPY on PostgreSQL, as the
    recompute writes its snapshots; ``bulk_create`` elsewhere)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    defaults = {f.attname: f.get_default() for f in fields}
    bulk_insert(
        model, columns, [tuple(row.get(f.attname, defaults[f.attname]) for f in fields) for row in rows]
    )


# The what-if of a set of decisions --------------------------------------------------------------


Concentration = portfolio.Concentration


TOP = portfolio.TOP


def concentration_of(
    *, total: Decimal, squares: Decimal, largest: list[Decimal], limits: dict
) -> Concentration:
    """The portfolio's concentration rule on the audit's revenue sums, with the limits the audit
    stored (as strings, in its JSON)."""
    parsed = {name: (Decimal(amber), Decimal(red)) for name, (amber, red) in limits.items()}
    return portfolio.concentration_of(total=total, squares=squares, largest=largest, limits=parsed)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# Charts -----------------------------------------------------------------------------------------


def _curve(points, x_label, y_label, narrow=False, **kwargs):
    if not points:
        return None
    return charts.cumulative_curve(points=points, x_label=x_label, y_label=y_label, narrow=narrow, **kwargs)


def pareto_chart(points, *, narrow=False):
    return _curve(
        points,
        _("share of clients (by revenue)"),
        _("cumulative share of revenue"),
        reference=0.8,
        narrow=narrow,
    )


def whale_chart(points, peak, *, narrow=False):
    return _curve(
        points,
        _("share of clients (by net profit)"),
        _("cumulative share of net profit"),
        reference=1,
        peak=peak if None not in peak else None,
        narrow=narrow,
    )


def tiers_chart(counts, *, narrow=False):
    labels = [_("Tier %(n)s") % {"n": n} for n in range(1, len(counts) + 1)]
    return charts.bars(labels=labels, values=counts, y_label=_("clients"), narrow=narrow)


def abc_chart(class_counts, *, narrow=False):
    return charts.bars(
        labels=["A", "B", "C"],
        values=[class_counts.get(k, 0) for k in "ABC"],
        y_label=_("clients"),
        narrow=narrow,
    )


def step_charts(f: dict, *, key: str, screens: bool = True) -> dict:
    """Step 3's four charts, drawn once per computation of the audit and language (drawing takes
    tens of milliseconds each; the figures do not change until the next refresh): for the page's
    screens (``charts.for_screens``), or with ``screens=False`` once, for the PDF report."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    peak = (f.get("whale_peak_client_share"), f.get("whale_peak_profit_share"))
    drawings = {
        "pareto": lambda narrow: pareto_chart(f.get("pareto_curve") or [], narrow=narrow),
        "whale": lambda narrow: whale_chart(f.get("whale_curve") or [], peak, narrow=narrow),
        "tiers": lambda narrow: tiers_chart(f.get("tier_counts") or [], narrow=narrow),
        "abc": lambda narrow: abc_chart(f.get("class_counts") or {}, narrow=narrow),
    }

    def draw():
        if screens:
            return {name: charts.for_screens(drawing, name) for name, drawing in drawings.items()}
        return {name: drawing(narrow=False) for name, drawing in drawings.items()}

    kind = "screens" if screens else "print"
    # Never None: the default is a callable giving a dict (django-stubs types the result Any | None).
    return cast(
        dict, cache.get_or_set(f"audit-charts:{kind}:{key}:{get_language()}", draw, timeout=7 * 24 * 3600)
    )
