"""The per-client rows of the ledger pass: the period, lifetime and ageing figures of each client,
summed from the component tables."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from typing import NamedTuple

from django.db import connection

from audits.profitability.figures import ZERO
from audits.profitability.sql.fragments import _date_literal, _table
from audits.profitability.sql.late_payment import accrued_sql, late_payment_cost_sql

# Reading the tables ------------------------------------------------------------------------------


MONTH_FIGURES = {
    "revenue": "ROUND({revenue}, 2)",
    "gross_margin": "ROUND({gross_margin}, 2)",
    "cost_to_serve": "ROUND({cost_x6000} / 6000.0, 2)",
    "direct_expenses": "ROUND({expenses}, 2)",
    "late_payment_cost": late_payment_cost_sql("{late_x}"),
    "bad_debt": "ROUND({bad_debt}, 2)",
}


def month_figure_sql(name: str, column=lambda name: f"g.{name}") -> str:
    """A month's rounded figure as SQL (the late-payment cost has one %s, the late rate).
    ``column`` gives the SQL of each monthly sum (by default the monthly sums, alias g). The
    months of the trend and the declining months' net profit both use this, so that they round alike."""
    template = MONTH_FIGURES[name]
    sums = re.findall(r"{(\w+)}", template)
    return template.format(**{sum_name: f"COALESCE({column(sum_name)}, 0)" for sum_name in sums})


# What makes a month's net profit before the acquisition share (each figure has one %s or none).
NET_PROFIT_PARTS = ("gross_margin", "cost_to_serve", "direct_expenses", "late_payment_cost", "bad_debt")

# The component sums that make a month's net profit (before acquisition share).
MONTH_NP_COLUMNS = {
    "inv": ("gross_margin", "bad_debt"),
    "late": ("late_x",),
    "expenses": ("expenses",),
    "service": ("cost_x6000",),
}


def client_rows_sql(*, late_rate: Decimal, months: list[dt.date]) -> tuple[str, list]:
    """One row per client: the period, lifetime and ageing figures, rounded to cents as docs/figures.md
    defines them, whether it had any invoice (credit notes included), expense or interaction in
    the period (``activity``, a count of component rows, 0 for none), and the net profit before
    acquisition share of each of ``months``, rounded figure by figure as the months of the trend are."""

    def monthly(alias):
        return "".join(
            f", SUM({column}) FILTER (WHERE month = {_date_literal(month)}) AS m{index}_{column}"
            for index, month in enumerate(months)
            for column in MONTH_NP_COLUMNS[alias]
        )

    def late_monthly():
        sums = []
        for index, month in enumerate(months):
            first, length = _date_literal(month), calendar.monthrange(month.year, month.month)[1]
            sums.append(
                f", SUM({accrued_sql(first, str(length))}) FILTER (WHERE fm <= {first} AND bm >= {first})"
                f" AS m{index}_late_x"
            )
        return "".join(sums)

    alias_of = {column: alias for alias, columns in MONTH_NP_COLUMNS.items() for column in columns}

    def month_np(index):
        return " - ".join(
            month_figure_sql(name, lambda column: f"{alias_of[column]}.m{index}_{column}")
            for name in NET_PROFIT_PARTS
        )

    sql = f"""
        WITH inv AS (
            SELECT client_id,
                SUM(revenue) FILTER (WHERE p) AS revenue,
                SUM(gross_margin) FILTER (WHERE p) AS gross_margin,
                SUM(bad_debt) FILTER (WHERE p) AS bad_debt,
                COUNT(*) FILTER (WHERE p) AS rows_p,
                SUM(gross_margin) FILTER (WHERE l) AS life_gross_margin,
                SUM(bad_debt) FILTER (WHERE l) AS life_bad_debt,
                {", ".join(f"SUM(open_amount) FILTER (WHERE b = {i}) AS open_{i}" for i in range(5))}
                {monthly("inv")}
            FROM {_table("invoices")} GROUP BY client_id
        ), settled AS (
            SELECT client_id,
                {", ".join(f"SUM(settled) FILTER (WHERE b = {i}) AS settled_{i}" for i in range(5))}
            FROM {_table("settled")} GROUP BY client_id
        ), late AS (
            SELECT client_id, SUM(period_x) AS period_x, SUM(life_x) AS life_x
                {late_monthly()}
            FROM {_table("late")} GROUP BY client_id
        ), paid AS (
            SELECT client_id,
                SUM(paid) FILTER (WHERE p) AS paid,
                SUM(paid_late_x) FILTER (WHERE p) AS paid_late_x,
                SUM(paid_days_x) FILTER (WHERE p) AS paid_days_x
            FROM {_table("paid")} GROUP BY client_id
        ), expenses AS (
            SELECT client_id,
                SUM(expenses) FILTER (WHERE p) AS expenses,
                COUNT(*) FILTER (WHERE p) AS rows_p,
                SUM(expenses) FILTER (WHERE l) AS life_expenses
                {monthly("expenses")}
            FROM {_table("expenses")} GROUP BY client_id
        ), service AS (
            SELECT client_id,
                SUM(minutes) FILTER (WHERE p) AS minutes,
                SUM(cost_x6000) FILTER (WHERE p) AS cost_x6000,
                COUNT(*) FILTER (WHERE p) AS rows_p,
                SUM(cost_x6000) FILTER (WHERE l) AS life_cost_x6000
                {monthly("service")}
            FROM {_table("service")} GROUP BY client_id
        )
        SELECT client_id,
            ROUND(COALESCE(inv.revenue, 0), 2) AS revenue,
            ROUND(COALESCE(inv.gross_margin, 0), 2) AS gross_margin,
            ROUND(COALESCE(service.cost_x6000, 0) / 6000.0, 2) AS cost_to_serve,
            ROUND(COALESCE(expenses.expenses, 0), 2) AS direct_expenses,
            {late_payment_cost_sql("COALESCE(late.period_x, 0)")} AS late_payment_cost,
            ROUND(COALESCE(inv.bad_debt, 0), 2) AS bad_debt,
            CAST(COALESCE(service.minutes, 0) AS bigint) AS minutes,
            ROUND(COALESCE(inv.life_gross_margin, 0), 2)
                - ROUND(COALESCE(service.life_cost_x6000, 0) / 6000.0, 2)
                - ROUND(COALESCE(expenses.life_expenses, 0), 2)
                - {late_payment_cost_sql("COALESCE(late.life_x, 0)")}
                - ROUND(COALESCE(inv.life_bad_debt, 0), 2) AS life_operating,
            ROUND(COALESCE(service.life_cost_x6000, 0) / 6000.0, 2) AS life_cost_to_serve,
            {", ".join(f"ROUND(COALESCE(inv.open_{i}, 0) - COALESCE(settled.settled_{i}, 0), 2) AS ageing_{i}" for i in range(5))},
            COALESCE(paid.paid, 0) AS paid,
            COALESCE(paid.paid_late_x, 0) AS paid_late_x,
            COALESCE(paid.paid_days_x, 0) AS paid_days_x,
            CAST(COALESCE(inv.rows_p, 0) + COALESCE(expenses.rows_p, 0) + COALESCE(service.rows_p, 0)
                AS bigint) AS activity,
            {", ".join(f"{month_np(index)} AS np_{index}" for index in range(len(months)))}
        FROM inv
        FULL JOIN settled USING (client_id)
        FULL JOIN late USING (client_id)
        FULL JOIN paid USING (client_id)
        FULL JOIN expenses USING (client_id)
        FULL JOIN service USING (client_id)
    """
    return sql, [late_rate, late_rate, *(late_rate for _ in months)]


def client_rows(*, late_rate: Decimal, months: list[dt.date]) -> list[tuple]:
    sql, params = client_rows_sql(late_rate=late_rate, months=months)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The rows in Python ------------------------------------------------------------------------------


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


class LedgerRow(NamedTuple):
    """A client's figures from the ledger pass, rounded in SQL (``client_rows_sql``).

    The columns of a per-client row after its client id, in ``client_rows_sql``'s order, with their
    value when the client has no ledger row: money, but for the minutes and ``activity`` (invoices,
    expenses and interactions in the period, as component rows) and ``recent_np`` (the net profit
    before acquisition share of each of ``engine.declining_months()``). ``life_operating`` is the
    lifetime GM - CTS - DE - LPC - BD (no acquisition share)."""

    revenue: Decimal = ZERO
    gross_margin: Decimal = ZERO
    cost_to_serve: Decimal = ZERO
    direct_expenses: Decimal = ZERO
    late_payment_cost: Decimal = ZERO
    bad_debt: Decimal = ZERO
    minutes: int = 0
    life_operating: Decimal = ZERO
    life_cost_to_serve: Decimal = ZERO
    ageing: tuple[Decimal, ...] = (ZERO,) * 5  # current, then the four overdue buckets
    paid: Decimal = ZERO
    paid_late_x: Decimal = ZERO
    paid_days_x: Decimal = ZERO
    activity: int = 0
    recent_np: tuple[Decimal, ...] = (ZERO, ZERO, ZERO, ZERO)

    @property
    def overdue(self) -> Decimal:
        """What is open and past due at the as-of date: the four overdue buckets."""
        return sum(self.ageing[1:], ZERO)


EMPTY_ROW = LedgerRow()


def ledger_rows(rows: list[tuple]) -> dict[int, LedgerRow]:
    """The ledger pass's rows by client (``client_rows_sql`` gives their columns).

    PostgreSQL returns decimals and integers already (every column is COALESCEd); SQLite may
    return floats or NULLs, which are converted."""
    if connection.vendor == "postgresql":
        return {row[0]: LedgerRow._make((*row[1:10], row[10:15], *row[15:19], row[19:])) for row in rows}
    return {
        row[0]: LedgerRow._make(
            (
                *(_dec(v) for v in row[1:7]),
                int(row[7] or 0),
                *(_dec(v) for v in row[8:10]),
                tuple(_dec(v) for v in row[10:15]),
                *(_dec(v) for v in row[15:18]),
                int(row[18] or 0),
                tuple(_dec(v) for v in row[19:]),
            )
        )
        for row in rows
    }
