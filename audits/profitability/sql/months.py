"""The monthly snapshot rows of the ledger pass: the components summed by (client, month), written
by INSERT ... SELECT or carried as binary COPY from a second connection."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from typing import IO

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
    # Named as the columns, for a staging table made from the SELECT (``month_rows_insert``).
    select = ", ".join(
        f"{value} AS {column}" for value, column in zip(values, MONTH_ROW_COLUMNS.split(", "), strict=True)
    )
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


def month_rows_insert(
    *, run_id: int, as_of: dt.date, late_rate: Decimal, amortisation_months: int, staged: bool = False
) -> int:
    """Write the monthly rows of this connection's clients: into the snapshot table, or with
    ``staged`` into a temporary table of the same columns (``STAGING``) for ``month_rows_merge``."""
    table, columns, sql, params = month_rows_sql(
        run_id=run_id, as_of=as_of, late_rate=late_rate, amortisation_months=amortisation_months
    )
    with connection.cursor() as cursor:
        if staged:
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGING} AS {sql}", params)
        else:
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        return cursor.rowcount


# The day's monthly rows, computed again for the same day (a second run of the day): staged, then
# only the rows that differ from those stored are written (``month_rows_merge``).
STAGING = _table("months")
MONTH_KEY = ("as_of", "client_id", "month")


def month_rows_merge(
    *, run_id: int, as_of: dt.date, late_rate: Decimal, amortisation_months: int, staged: bool = False
) -> int:
    """Make the day's stored monthly rows those computed now (PostgreSQL), in one statement: delete
    the rows no longer computed, update those whose figures changed and insert the new ones; a row
    whose figures did not change is left as it is, with the run that wrote it. The rows computed
    now are this connection's (the SELECT of ``month_rows_sql``), or with ``staged`` those of
    ``STAGING`` (both halves of a split pass). Rewriting every row instead would cost a second run
    of the day a million deleted rows at 100,000 clients, inserts over their keys and their vacuum.
    Returns the number of rows inserted."""
    table = ClientMonthSnapshot._meta.db_table
    columns = MONTH_ROW_COLUMNS.split(", ")
    figures = [column for column in columns if column not in MONTH_KEY and column != "run_id"]
    same_key = " AND ".join(f"t.{column} = n.{column}" for column in MONTH_KEY)
    stored = ", ".join(f"t.{column}" for column in figures)
    computed = ", ".join(f"n.{column}" for column in figures)
    if staged:
        source, params = f"SELECT * FROM {STAGING}", []
    else:
        _table_name, _columns, source, params = month_rows_sql(
            run_id=run_id, as_of=as_of, late_rate=late_rate, amortisation_months=amortisation_months
        )
    # The three changes touch disjoint rows, and all read the rows as they were before the
    # statement.
    sql = f"""
        WITH n AS MATERIALIZED ({source}),
        gone AS (
            DELETE FROM {table} t WHERE t.as_of = %s AND NOT EXISTS (SELECT 1 FROM n WHERE {same_key})
        ),
        changed AS (
            UPDATE {table} t SET run_id = n.run_id, {", ".join(f"{c} = n.{c}" for c in figures)}
            FROM n WHERE {same_key} AND ({stored}) IS DISTINCT FROM ({computed})
        )
        INSERT INTO {table} ({MONTH_ROW_COLUMNS})
        SELECT {", ".join(f"n.{c}" for c in columns)} FROM n
        WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same_key})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _date(as_of)])
        return cursor.rowcount


# Monthly rows travelling between connections stay in memory up to this size, then go to disk:
# 600,000 rows are about 130 MB of binary COPY, which the process need not hold.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
CHUNK = 1024 * 1024


def month_rows_copy_out(
    *, run_id: int, as_of: dt.date, late_rate: Decimal, amortisation_months: int
) -> IO[bytes]:
    """The monthly snapshot rows in binary COPY format, to be written by another connection
    (PostgreSQL): streamed into a temporary file (in memory while small), rewound."""
    _table_name, _columns, sql, params = month_rows_sql(
        run_id=run_id, as_of=as_of, late_rate=late_rate, amortisation_months=amortisation_months
    )
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115  # the caller closes it
    try:
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)", params) as copy,
        ):
            for chunk in copy:
                spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def month_rows_copy_in(data: IO[bytes], *, staged: bool = False) -> None:
    """Write monthly rows given in binary COPY format (``month_rows_copy_out``), chunk by chunk,
    into the snapshot table or with ``staged`` into ``STAGING``."""
    table = STAGING if staged else ClientMonthSnapshot._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({MONTH_ROW_COLUMNS}) FROM STDIN (FORMAT binary)") as copy,
    ):
        while chunk := data.read(CHUNK):
            copy.write(chunk)
