"""The late-payment cost: its definition, its SQL (the ``late`` component of the ledger pass and
the formula that turns it into money) and its Python twin, side by side (see docs/figures.md,
Late-payment cost).

**Definition.** On each day past its due date up to the as-of date, an invoice (not a credit
note) costs its open amount on that day x the late-payment rate / 365, where the open amount is
the invoice's amount - what was written off - the payments made before that day (a payment counts
from the day after it was made). A client's late-payment cost for the period is the sum of these
daily costs over the days of the period (up to the as-of date), rounded to cents once.

- ``late_payment_cost`` computes it in Python for a few invoices (one client, a test).
- ``late_payment_cost_sql`` is the same last step in SQL: a sum of open amount x days to money.
- ``_late_sql`` builds the ``late`` component (the open amount x days, by spans of days),
  ``accrued_sql`` and ``late_months_sql`` spread it over the months of the trend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from audits.profitability.figures import money
from audits.profitability.sql.fragments import (
    Window,
    _date,
    _date_param,
    _day_of_month,
    _greatest,
    _month,
    _month_key,
    _next_day,
    _overlap,
    _pg,
    _restrict,
    _table,
)
from clients.models import Client, Invoice
from clients.receivables import open_amount

ONE_DAY = dt.timedelta(days=1)
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Owed:
    """An invoice as the late-payment cost reads it: its payments are (paid on, amount) pairs."""

    amount: Decimal
    due_on: dt.date
    issued_on: dt.date
    written_off: Decimal = Decimal("0")
    payments: tuple[tuple[dt.date, Decimal], ...] = ()


def late_payment_cost(
    invoices: list[Owed], *, start: dt.date, end: dt.date, as_of: dt.date, rate: Decimal
) -> Decimal:
    """The late-payment cost of some invoices over the period start..end (``rate`` a fraction),
    day by day as the definition says; the Python twin of the ledger pass's ``late`` component and
    ``late_payment_cost_sql``."""
    last = min(end, as_of)
    weight_days = Decimal(0)
    for invoice in invoices:
        if invoice.issued_on > as_of:
            continue
        day = max(invoice.due_on + ONE_DAY, start)
        while day <= last:
            paid = sum((amount for paid_on, amount in invoice.payments if paid_on < day), Decimal(0))
            weight_days += open_amount(amount=invoice.amount, written_off=invoice.written_off, paid=paid)
            day += ONE_DAY
    return money(weight_days * rate / DAYS_PER_YEAR)


def late_payment_cost_sql(weight_days: str) -> str:
    """SQL of the cost of a sum of open amount x days (``weight_days``), rounded to cents; one %s,
    the late-payment rate as a fraction."""
    return f"ROUND({weight_days} * %s / {DAYS_PER_YEAR}.0, 2)"


def _late_sql(window: Window, scope, client_range):
    """The ``late`` component: each client's open amount x days past due, by spans of days (see
    ``late_payment_cost`` for the definition).

    The open amount of an invoice on a day is linear in its payments, so the cost is a sum over
    spans of days (from the day after the due date to ``last``), each with a weight: the invoice's
    amount - written off up to the as-of date, and for each payment minus its amount over the same
    days and plus its amount up to the day it was made. Spans of the same client and days are
    summed, so a paid invoice's spans to the as-of date cancel out exactly and are dropped: no
    per-invoice sub-aggregate, and only what is still open reaches the as-of date.

    Each row keeps the month of its first day inside the trend window (``fm``), the month of its
    last day (``bm``, NULL before the trend window), its weight ``w`` and, for the months where
    it starts or ends part way, ``ws`` = weight x (day of the month of the first day in the window
    - 1) and ``wb`` = weight x (day of the month of the last day - 1): a month's weight x days is
    linear in these (``accrued_sql``). The period and lifetime weight x days (inside the period,
    or since acquisition) are computed here."""
    invoice, client = Invoice._meta.db_table, Client._meta.db_table
    where, where_params = _restrict("i.client_id", scope, client_range)
    as_of = _date_param()
    payments = _table("payments")
    # What the figures need of a span's days is computed once per sum of spans.
    first = _next_day("due_on")
    inside = _greatest(first, _date_param())  # the first day inside the trend window
    last_month, last_month_params = _month_key("last", window)
    sql = f"""
        SELECT client_id, {_month(inside)} AS fm, {last_month} AS bm, SUM(w) AS w,
            SUM(w) * ({_day_of_month(inside)} - 1) AS ws,
            SUM(w) * ({_day_of_month("last")} - 1) AS wb,
            SUM(w) * {_overlap(first, "last", _date_param(), _date_param())} AS period_x,
            SUM(w) * {_overlap(first, "last", f"COALESCE(acquired_on, {first})", "last")} AS life_x
        FROM (
            SELECT i.client_id, i.due_on, {as_of} AS last, c.acquired_on, i.amount - i.written_off AS w
            FROM {invoice} i JOIN {client} c ON c.id = i.client_id
            WHERE i.amount > 0 AND i.issued_on <= %s AND i.due_on < %s{where}
            UNION ALL
            SELECT client_id, due_on, {as_of}, acquired_on, -amount FROM {payments} WHERE due_on < %s
            UNION ALL
            SELECT client_id, due_on, paid_on, acquired_on, amount FROM {payments} WHERE paid_on > due_on
        ) s
        GROUP BY client_id, due_on, last, acquired_on
        HAVING ABS(SUM(w)) > 0.001
    """
    period_last = min(window.end, window.as_of)
    params = [
        _date(window.since),
        _date(window.since),
        *last_month_params,
        _date(period_last),
        _date(window.start),
        _date(window.as_of),
        _date(window.as_of),
        _date(window.as_of),
        *where_params,
        _date(window.as_of),
        _date(window.as_of),
    ]
    return sql, params


def accrued_sql(month: str, length: str, alias: str = "") -> str:
    """A ``late`` row's weight x days in a month of the trend window that it covers (``fm`` <=
    month <= ``bm``), given the SQL of the month's first day and of its number of days."""
    a = f"{alias}." if alias else ""
    return (
        f"(CASE WHEN {a}bm = {month} THEN {a}wb + {a}w ELSE {a}w * {length} END"
        f" - CASE WHEN {a}fm = {month} THEN {a}ws ELSE 0 END)"
    )


def late_months_sql() -> str:
    """The ``late`` rows spread over the months they cover: (client_id, month, late_x), where
    late_x is the weight x days of the month (a subquery)."""
    late = _table("late")
    if _pg():
        month = "CAST(g.m AS date)"
        length = f"(CAST(g.m + interval '1 month' AS date) - {month})"
        # Most groups lie inside one month: only the others go through generate_series.
        return f"""
            SELECT client_id, bm AS month, wb + w - ws AS late_x FROM {late} WHERE fm = bm
            UNION ALL
            SELECT l.client_id, {month}, {accrued_sql(month, length, "l")}
            FROM {late} l
            CROSS JOIN LATERAL generate_series(
                CAST(l.fm AS timestamp), CAST(l.bm AS timestamp), interval '1 month') g(m)
            WHERE l.fm < l.bm
        """
    length = "CAST(julianday(date(month, '+1 month')) - julianday(month) AS INTEGER)"
    return f"""
        WITH RECURSIVE g(client_id, fm, bm, w, ws, wb, month) AS (
            SELECT client_id, fm, bm, w, ws, wb, fm FROM {late} WHERE bm IS NOT NULL
            UNION ALL
            SELECT client_id, fm, bm, w, ws, wb, date(month, '+1 month') FROM g WHERE month < bm
        )
        SELECT client_id, month, {accrued_sql("month", length)} AS late_x FROM g
    """
