"""The monthly snapshot rows of the ledger pass: the components summed by (client, month), written
by INSERT ... SELECT or carried as binary COPY from a second connection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

from audits.models import ClientMonthSnapshot
from audits.profitability.figures import acquisition_share_sql
from audits.profitability.sql.fragments import MONTH_ROW_COLUMNS, _date, _pg, _table
from audits.profitability.sql.late_payment import late_months_sql
from audits.profitability.sql.rows import MONTH_FIGURES, month_figure_sql

# The monthly sums of each component, summed by (client, month) for the monthly rows.
MONTH_COLUMNS = {
    "invoices": ("revenue", "gross_margin", "bad_debt"),
    "late": ("late_x",),
    "paid": ("paid", "paid_late_x", "paid_days_x"),
    "expenses": ("expenses",),
    "service": ("minutes", "cost_x6000"),
}


def month_sums_sql() -> str:
    """The components summed by (client, month) over the trend window (a subquery)."""
    columns = [column for names in MONTH_COLUMNS.values() for column in names]
    parts = []
    for name, own in MONTH_COLUMNS.items():
        select = ", ".join(
            column
            if column in own
            else f"CAST(NULL AS {'bigint' if column == 'minutes' else 'numeric'}) AS {column}"
            for column in columns
        )
        source = f"({late_months_sql()}) m" if name == "late" else _table(name)
        parts.append(f"SELECT client_id, month, {select} FROM {source} WHERE month IS NOT NULL")
    sums = ", ".join(f"SUM({column}) AS {column}" for column in columns)
    return f"SELECT client_id, month, {sums} FROM ({' UNION ALL '.join(parts)}) u GROUP BY client_id, month"


def month_rows_sql(*, run_id: int, as_of: dt.date, late_rate: Decimal, amortisation_months: int):
    """INSERT ... SELECT of the monthly snapshot rows from the monthly sums, so that millions of rows
    never travel through Python.

    Each figure is rounded to cents so that NP = GM - CTS - DE - AQ - LPC - BD holds on every row;
    the acquisition share runs by calendar month from the month of acquisition.
    """
    figures = {name: month_figure_sql(name) for name in MONTH_FIGURES}
    amortisation, aq = acquisition_share_sql("g.month")
    # Each figure is computed once, in a subquery kept apart from the outer SELECT that subtracts
    # them (on PostgreSQL, OFFSET 0 stops the planner from inlining it and so computing every
    # figure twice).
    fence = " OFFSET 0" if _pg() else ""
    values = [
        "%s",
        "%s",
        "f.client_id",
        "f.month",
        "f.revenue",
        "f.gm",
        "f.cts",
        "f.de",
        "f.aq",
        "f.lpc",
        "f.bd",
        "f.gm - f.cts - f.de - f.aq - f.lpc - f.bd",
        "f.minutes",
        "f.paid",
        "f.days_late",
        "f.days_to_pay",
    ]
    if _pg():
        # Each value in the type of its column, so that the rows can travel as binary COPY.
        fields = {f.column: f for f in ClientMonthSnapshot._meta.concrete_fields}
        types = [fields[column].db_type(connection) for column in MONTH_ROW_COLUMNS.split(", ")]
        values = [f"CAST({value} AS {db_type})" for value, db_type in zip(values, types, strict=True)]
    select = ", ".join(values)
    sql = f"""
        SELECT {select}
        FROM (
            SELECT g.client_id, g.month, {figures["revenue"]} AS revenue, {figures["gross_margin"]} AS gm,
                {figures["cost_to_serve"]} AS cts, {figures["direct_expenses"]} AS de, {aq} AS aq,
                {figures["late_payment_cost"]} AS lpc, {figures["bad_debt"]} AS bd,
                COALESCE(g.minutes, 0) AS minutes, ROUND(COALESCE(g.paid, 0), 2) AS paid,
                CASE WHEN g.paid > 0 THEN ROUND(g.paid_late_x * 1.0 / g.paid, 6) END AS days_late,
                CASE WHEN g.paid > 0 THEN ROUND(g.paid_days_x * 1.0 / g.paid, 6) END AS days_to_pay
            FROM ({month_sums_sql()}) g
            JOIN ({amortisation}) c ON c.id = g.client_id{fence}
        ) f
    """
    params = [run_id, _date(as_of), late_rate, amortisation_months, amortisation_months]
    return ClientMonthSnapshot._meta.db_table, MONTH_ROW_COLUMNS, sql, params


def month_rows_insert(*, run_id: int, as_of: dt.date, late_rate: Decimal, amortisation_months: int) -> int:
    table, columns, sql, params = month_rows_sql(
        run_id=run_id, as_of=as_of, late_rate=late_rate, amortisation_months=amortisation_months
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        return cursor.rowcount


def month_rows_copy_out(
    *, run_id: int, as_of: dt.date, late_rate: Decimal, amortisation_months: int
) -> bytes:
    """The monthly snapshot rows in binary COPY format, to be written by another connection
    (PostgreSQL)."""
    _table_name, _columns, sql, params = month_rows_sql(
        run_id=run_id, as_of=as_of, late_rate=late_rate, amortisation_months=amortisation_months
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)", params) as copy,
    ):
        return b"".join(bytes(chunk) for chunk in copy)


def month_rows_copy_in(data: bytes) -> None:

    table = ClientMonthSnapshot._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({MONTH_ROW_COLUMNS}) FROM STDIN (FORMAT binary)") as copy,
    ):
        copy.write(data)
