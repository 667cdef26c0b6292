"""SQL fragments shared by the statements of the ledger pass: vendor differences (PostgreSQL,
SQLite), the window of dates a pass reads, and the scope and client-range conditions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

COMPONENTS = ("invoices", "payments", "settled", "paid", "late", "expenses", "service")
TABLE_PREFIX = "audits_ledger_"
FAR_FUTURE = dt.date(3000, 1, 1)
FIRST_ID, LAST_ID = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Window:
    """The dates a ledger pass needs: the period, the as-of date, the first month of the trend and
    the ageing limits (days past due)."""

    start: dt.date
    end: dt.date
    as_of: dt.date
    since: dt.date
    ageing: tuple[int, ...]
    margin_rate: Decimal


# SQL fragments -----------------------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _month(column: str) -> str:
    if _pg():
        return f"CAST(date_trunc('month', CAST({column} AS timestamp)) AS date)"
    return f"date({column}, 'start of month')"


def _days(later: str, earlier: str) -> str:
    if _pg():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _not_negative(expression: str) -> str:
    return f"GREATEST({expression}, 0)" if _pg() else f"MAX({expression}, 0)"


def _greatest(*expressions: str) -> str:
    return f"{'GREATEST' if _pg() else 'MAX'}({', '.join(expressions)})"


def _least(*expressions: str) -> str:
    return f"{'LEAST' if _pg() else 'MIN'}({', '.join(expressions)})"


def _next_day(column: str) -> str:
    return f"({column} + 1)" if _pg() else f"date({column}, '+1 day')"


def _day_of_month(column: str) -> str:
    if _pg():
        return f"CAST(date_part('day', {column}) AS integer)"
    return f"CAST(strftime('%%d', {column}) AS INTEGER)"


def _date_param() -> str:
    return "CAST(%s AS date)" if _pg() else "%s"


def _overlap(first: str, last: str, since: str, until: str) -> str:
    """The number of days of [first, last] inside [since, until] (0 when they do not meet)."""
    return _not_negative(f"{_days(_least(last, until), _greatest(first, since))} + 1")


def _date(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def _moment(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _table(name: str) -> str:
    return TABLE_PREFIX + name


def _restrict(column: str, scope, client_range) -> tuple[str, list]:
    """Extra WHERE conditions: the scope (a Client queryset) and the client range."""
    sql, params = "", []
    if scope is not None:
        scope_sql, scope_params = scope.values("pk").query.sql_with_params()
        sql += f" AND {column} IN ({scope_sql})"
        params.extend(scope_params)
    if client_range is not None:
        sql += f" AND {column} >= %s AND {column} < %s"
        params.extend(client_range)
    return sql, params


def _bucket(due: str, window: Window) -> tuple[str, list]:
    """Ageing bucket of a due date: 0 not yet due, then 1..L1, L1+1..L2, L2+1..L3, over L3 days."""
    edges = [window.as_of - dt.timedelta(days=limit) for limit in window.ageing]
    sql = (
        f"CASE WHEN {due} >= %s THEN 0 WHEN {due} >= %s THEN 1 WHEN {due} >= %s THEN 2 "
        f"WHEN {due} >= %s THEN 3 ELSE 4 END"
    )
    return sql, [_date(window.as_of), *(_date(edge) for edge in edges)]


def _flags(day: str) -> str:
    """The flags a ledger row dated ``day`` is grouped by: inside the period (``p``, two %s: the
    period's first and last days) and since acquisition (``l``; the client table is ``c``)."""
    return f"({day} >= %s AND {day} <= %s) AS p, (c.acquired_on IS NULL OR {day} >= c.acquired_on) AS l"


def _month_key(column: str, window: Window) -> tuple[str, list]:
    return f"CASE WHEN {column} >= %s THEN {_month(column)} END", [_date(window.since)]


def _date_literal(day: dt.date) -> str:
    """A date as an SQL literal (dates made here, never user input)."""
    return f"CAST('{day.isoformat()}' AS date)" if _pg() else f"'{day.isoformat()}'"
