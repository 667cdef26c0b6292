"""The ledger pass of the profitability engine: the raw SQL of the nightly recompute, in one place.

Each ledger table is read by a ``GROUP BY`` into a narrow temporary table (a *component*), once,
but for invoices, which the late-payment cost reads a second time:

==========  ==========================================  =============================================
component   read from                                   sums
==========  ==========================================  =============================================
invoices    invoices                                    revenue, gross margin, bad debt, open
                                                        remainder
settled     payments, on the month of their invoice     paid
paid        payments, on the month they were made       paid, paid x days late, paid x days to pay
late        invoices and payments, by the months of     open amount x days past due (the late-payment
            the days past due                           cost, ``_late_sql``)
expenses    expenses                                    amount
service     interactions                                minutes, minutes x hourly cost (in cents)
==========  ==========================================  =============================================

(The payment components group one table, ``payments``, of each payment joined once to its
invoice.) Every component is grouped by client and calendar month, and also by the few flags the
per-client figures need: inside the period (``p``), since acquisition (``l``), and for invoices
the ageing bucket of the due date (``b``). A flag changes at most once per client, so the key is
nearly as coarse as (client, month): the per-client figures are sums over these small tables with
``FILTER`` (``client_rows_sql``), and the monthly snapshot rows are the components summed by
(client, month) in the statement that writes them (``month_rows_sql``). Rows older than the trend
window are grouped under a month of NULL: they count for the lifetime and the ageing only.

Two quantities are linear in the payments, which keeps them set-based without a per-invoice
sub-aggregate: the unpaid remainder of an invoice is (amount - written off) - its payments, so
the ageing buckets are invoice sums minus payment sums (payments never exceed their invoice; a
write-off covers what is left unpaid), and so is the late-payment cost, which accrues day by day
on what is open: ``late`` is keyed by the months where its spans of days begin and end instead of
one month, and is spread over the months they cover when the monthly rows are written.

Why raw SQL: the ORM cannot say CREATE TABLE AS, INSERT ... SELECT or COPY, and the interaction
component takes the staff member's hourly cost in force on the interaction's local date. As a join
that costs a sort of every interaction; on PostgreSQL the cost is instead looked up in arrays:
``width_bucket`` finds the interaction's slot among the month starts and the dates the hourly costs
changed (a binary search), and the slot and the staff member index an integer array of hourly
costs in cents. Local dates come from comparisons with local midnights computed in Python, never
from a time-zone conversion per row. SQLite (the demo database) has no arrays: there the same
figures come from a join against the staff-cost history.

Every statement also runs on a range of clients, so that the work can be shared (``Pass``): on a
large portfolio a second connection does the upper half of the clients inside the snapshot
exported by the main transaction, and once the per-client rows are in, the monthly rows are
written by a thread that borrows the main connection while Python computes the portfolio.
"""

from __future__ import annotations

import bisect
import calendar
import contextlib
import datetime as dt
import logging
import re
import threading
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone

from clients.models import Client, Expense, Interaction, Invoice, Payment, StaffCost

COMPONENTS = ("invoices", "payments", "settled", "paid", "late", "expenses", "service")
TABLE_PREFIX = "audits_ledger_"
FAR_FUTURE = dt.date(3000, 1, 1)
logger = logging.getLogger(__name__)
FIRST_ID, LAST_ID = -(2**63), 2**63 - 1
MONTH_ROW_COLUMNS = (
    "run_id, as_of, client_id, month, revenue, gross_margin, cost_to_serve, direct_expenses, "
    "acquisition_share, late_payment_cost, bad_debt, net_profit, service_minutes, paid_amount, "
    "average_days_late, average_days_to_pay"
)


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


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


def _month_key(column: str, window: Window) -> tuple[str, list]:
    return f"CASE WHEN {column} >= %s THEN {_month(column)} END", [_date(window.since)]


# Components --------------------------------------------------------------------------------------


def _invoices_sql(window: Window, scope, client_range):
    invoice, client = Invoice._meta.db_table, Client._meta.db_table
    month, month_params = _month_key("i.issued_on", window)
    bucket, bucket_params = _bucket("i.due_on", window)
    where, where_params = "", []
    if scope is not None:
        # Clients referred by a client in scope count for its indirect value (their gross margin).
        scope_sql, scope_params = scope.values("pk").query.sql_with_params()
        where += f" AND (i.client_id IN ({scope_sql}) OR c.referred_by_id IN ({scope_sql}))"
        where_params.extend([*scope_params, *scope_params])
    range_sql, range_params = _restrict("i.client_id", None, client_range)
    sql = f"""
        SELECT i.client_id, {month} AS month,
            (i.issued_on >= %s AND i.issued_on <= %s) AS p,
            (c.acquired_on IS NULL OR i.issued_on >= c.acquired_on) AS l,
            {bucket} AS b,
            SUM(i.amount) AS revenue,
            SUM(CASE WHEN i.cost_of_sales IS NULL THEN i.amount * %s ELSE i.amount - i.cost_of_sales END)
                AS gross_margin,
            SUM(i.written_off) AS bad_debt,
            SUM(CASE WHEN i.amount > 0 THEN i.amount - i.written_off ELSE 0 END) AS open_amount
        FROM {invoice} i JOIN {client} c ON c.id = i.client_id
        WHERE i.issued_on <= %s{where}{range_sql}
        GROUP BY 1, 2, 3, 4, 5
    """
    params = [
        *month_params,
        _date(window.start),
        _date(window.end),
        *bucket_params,
        window.margin_rate,
        _date(window.as_of),
        *where_params,
        *range_params,
    ]
    return sql, params


def _payments_sql(window: Window, scope, client_range):
    """Each payment (on an invoice, not a credit note) with what the two payment components group
    it by: read and joined to its invoice once."""
    payment, invoice, client = Payment._meta.db_table, Invoice._meta.db_table, Client._meta.db_table
    month, month_params = _month_key("i.issued_on", window)
    paid_month, paid_month_params = _month_key("p.paid_on", window)
    bucket, bucket_params = _bucket("i.due_on", window)
    where, where_params = _restrict("i.client_id", scope, client_range)
    sql = f"""
        SELECT i.client_id, {month} AS month,
            (i.issued_on >= %s AND i.issued_on <= %s) AS p,
            (c.acquired_on IS NULL OR i.issued_on >= c.acquired_on) AS l,
            {bucket} AS b,
            i.issued_on <= %s AS issued,
            {paid_month} AS paid_month,
            (p.paid_on >= %s AND p.paid_on <= %s) AS paid_p,
            p.amount,
            {_not_negative(_days("p.paid_on", "i.due_on"))} AS days_late,
            {_days("p.paid_on", "i.issued_on")} AS days_to_pay,
            i.due_on, p.paid_on, c.acquired_on
        FROM {payment} p
        JOIN {invoice} i ON i.id = p.invoice_id
        JOIN {client} c ON c.id = i.client_id
        WHERE p.paid_on <= %s AND i.amount > 0{where}
    """
    params = [
        *month_params,
        _date(window.start),
        _date(window.end),
        *bucket_params,
        _date(window.as_of),
        *paid_month_params,
        _date(window.start),
        _date(window.end),
        _date(window.as_of),
        *where_params,
    ]
    return sql, params


def _settled_sql(window: Window, scope, client_range):
    """Payments on the month their invoice was issued: the ageing."""
    sql = f"""
        SELECT client_id, month, p, l, b,
            SUM(amount) AS settled
        FROM {_table("payments")}
        WHERE issued
        GROUP BY 1, 2, 3, 4, 5
    """
    return sql, []


def _paid_sql(window: Window, scope, client_range):
    """Payments on the month they were made: days late and days to pay."""
    sql = f"""
        SELECT client_id, paid_month AS month, paid_p AS p,
            SUM(amount) AS paid,
            SUM(amount * days_late) AS paid_late_x,
            SUM(amount * days_to_pay) AS paid_days_x
        FROM {_table("payments")}
        GROUP BY 1, 2, 3
    """
    return sql, []


def _late_sql(window: Window, scope, client_range):
    """The late-payment cost (DESIGN section 4): on each day past its due date, an invoice's open
    amount (amount - written off - the payments made before that day) costs rate / 365.

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


def _expenses_sql(window: Window, scope, client_range):
    expense, client = Expense._meta.db_table, Client._meta.db_table
    month, month_params = _month_key("e.spent_on", window)
    where, where_params = _restrict("e.client_id", scope, client_range)
    sql = f"""
        SELECT e.client_id, {month} AS month,
            (e.spent_on >= %s AND e.spent_on <= %s) AS p,
            (c.acquired_on IS NULL OR e.spent_on >= c.acquired_on) AS l,
            SUM(e.amount) AS expenses
        FROM {expense} e JOIN {client} c ON c.id = e.client_id
        WHERE e.spent_on <= %s{where}
        GROUP BY 1, 2, 3, 4
    """
    params = [*month_params, _date(window.start), _date(window.end), _date(window.as_of), *where_params]
    return sql, params


def _rate_history() -> list[tuple[int, dt.date, dt.date, int]]:
    """The staff-cost history as (user, from, until, hourly cost in cents)."""
    rows = list(
        StaffCost.objects.order_by("user_id", "effective_from").values_list(
            "user_id", "effective_from", "hourly_cost"
        )
    )
    history = []
    for index, (user, since, cost) in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        until = following[1] if following and following[0] == user else FAR_FUTURE
        history.append((user, since, until, int(cost * 100)))
    return history


def _service_sql(window: Window, scope, client_range):
    """Minutes, and minutes x the hourly cost in force (in cents), of interactions per client, local
    calendar month and flag. The cost of a client is the sum of these / 6000."""
    interaction, client = Interaction._meta.db_table, Client._meta.db_table
    where, where_params = _restrict("i.client_id", scope, client_range)
    period = [
        _moment(local_midnight(window.start)),
        _moment(local_midnight(window.end + dt.timedelta(days=1))),
    ]
    until = _moment(local_midnight(window.as_of + dt.timedelta(days=1)))
    history = _rate_history()
    if _pg():
        # Slots: bucket i of width_bucket(t, bounds) is bounds[i] <= t < bounds[i + 1] (0 before the
        # first); each lies inside one month of the trend (or before it) and one cost per person.
        months = []
        day = window.since
        while day <= window.as_of:
            months.append(day)
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        starts = sorted({*months, *(since for _, since, _, _ in history)})
        bounds = [local_midnight(day) for day in starts]
        slot_month = [None] + [
            months[bisect.bisect_right(months, day) - 1] if day >= window.since else None for day in starts
        ]
        staff = sorted({user for user, *_ in history})
        index_of = {user: position for position, user in enumerate(staff)}
        slot_of_staff = [0] * ((staff[-1] if staff else 0) + 1)
        for user, position in index_of.items():
            slot_of_staff[user] = position + 1
        cents = [0] * (len(starts) + 1) * (len(staff) + 1)
        for user, since, until_day, cost in history:
            for slot, day in enumerate([dt.date.min, *starts]):
                if since <= day < until_day:
                    cents[slot * (len(staff) + 1) + index_of[user] + 1] = cost
        sql = f"""
            SELECT i.client_id, (%s::date[])[w.slot + 1] AS month,
                (i.started_at >= %s AND i.started_at < %s) AS p,
                (c.acquired_at IS NULL OR i.started_at >= c.acquired_at) AS l,
                SUM(i.duration_minutes) AS minutes,
                SUM(i.duration_minutes
                    * (%s::bigint[])[w.slot * %s + COALESCE((%s::int[])[i.staff_id + 1], 0) + 1]) AS cost_x6000
            FROM {interaction} i
            JOIN (
                SELECT id, CAST(acquired_on AS timestamp) AT TIME ZONE %s AS acquired_at FROM {client}
            ) c ON c.id = i.client_id
            CROSS JOIN LATERAL (SELECT width_bucket(i.started_at, %s::timestamptz[]) AS slot) w
            WHERE i.started_at < %s{where}
            GROUP BY 1, 2, 3, 4
        """
        params = [
            slot_month,
            *period,
            cents,
            len(staff) + 1,
            slot_of_staff,
            timezone.get_current_timezone_name(),
            bounds,
            until,
            *where_params,
        ]
        return sql, params
    ops = connection.ops
    tzname = timezone.get_current_timezone_name()
    day_sql, day_params = ops.datetime_cast_date_sql("i.started_at", (), tzname)
    rates = [
        (user, _moment(local_midnight(since)), _moment(local_midnight(until_day)), cost)
        for user, since, until_day, cost in history
    ] or [(0, _moment(local_midnight(FAR_FUTURE)), _moment(local_midnight(FAR_FUTURE)), 0)]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rates))
    sql = f"""
        WITH rate (user_id, valid_from, valid_to, cents) AS (VALUES {values})
        SELECT i.client_id,
            CASE WHEN {day_sql} >= %s THEN date({day_sql}, 'start of month') END AS month,
            (i.started_at >= %s AND i.started_at < %s) AS p,
            (c.acquired_on IS NULL OR {day_sql} >= c.acquired_on) AS l,
            SUM(i.duration_minutes) AS minutes,
            SUM(i.duration_minutes * COALESCE(r.cents, 0)) AS cost_x6000
        FROM {interaction} i
        JOIN {client} c ON c.id = i.client_id
        LEFT JOIN rate r ON r.user_id = i.staff_id AND i.started_at >= r.valid_from AND i.started_at < r.valid_to
        WHERE i.started_at < %s{where}
        GROUP BY 1, 2, 3, 4
    """
    params = [
        *[value for rate in rates for value in rate],
        *day_params,
        _date(window.since),
        *day_params,
        *period,
        *day_params,
        until,
        *where_params,
    ]
    return sql, params


BUILDERS = {
    "invoices": _invoices_sql,
    "payments": _payments_sql,
    "settled": _settled_sql,
    "paid": _paid_sql,
    "late": _late_sql,
    "expenses": _expenses_sql,
    "service": _service_sql,
}

# The monthly sums of each component, summed by (client, month) for the monthly rows.
MONTH_COLUMNS = {
    "invoices": ("revenue", "gross_margin", "bad_debt"),
    "late": ("late_x",),
    "paid": ("paid", "paid_late_x", "paid_days_x"),
    "expenses": ("expenses",),
    "service": ("minutes", "cost_x6000"),
}


def component_build(name: str, *, window: Window, scope=None, client_range=None) -> None:
    sql, params = BUILDERS[name](window, scope, client_range)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {_table(name)} AS {sql}", params)


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


def build(*, window: Window, scope=None, client_range=None) -> None:
    drop()
    for name in COMPONENTS:
        component_build(name, window=window, scope=scope, client_range=client_range)


def drop() -> None:
    tables = [_table(name) for name in COMPONENTS]
    with connection.cursor() as cursor:
        if _pg():
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


# Reading the tables ------------------------------------------------------------------------------


MONTH_FIGURES = {
    "revenue": "ROUND({revenue}, 2)",
    "gross_margin": "ROUND({gross_margin}, 2)",
    "cost_to_serve": "ROUND({cost_x6000} / 6000.0, 2)",
    "direct_expenses": "ROUND({expenses}, 2)",
    "late_payment_cost": "ROUND({late_x} * %s / 365.0, 2)",
    "bad_debt": "ROUND({bad_debt}, 2)",
}


def month_figure_sql(name: str, column=lambda name: f"g.{name}") -> str:
    """A month's rounded figure as SQL (the late-payment cost has one %s, the late rate).
    ``column`` gives the SQL of each monthly sum (by default the monthly sums, alias g). The
    monthly rows and the declining months' net profit both use this, so that they round alike."""
    template = MONTH_FIGURES[name]
    sums = re.findall(r"{(\w+)}", template)
    return template.format(**{sum_name: f"COALESCE({column(sum_name)}, 0)" for sum_name in sums})


# What makes a month's net profit before the acquisition share (each figure has one %s or none).
NET_PROFIT_PARTS = ("gross_margin", "cost_to_serve", "direct_expenses", "late_payment_cost", "bad_debt")


def _date_literal(day: dt.date) -> str:
    """A date as an SQL literal (dates made here, never user input)."""
    return f"CAST('{day.isoformat()}' AS date)" if _pg() else f"'{day.isoformat()}'"


# The component sums that make a month's net profit (before acquisition share).
MONTH_NP_COLUMNS = {
    "inv": ("gross_margin", "bad_debt"),
    "late": ("late_x",),
    "expenses": ("expenses",),
    "service": ("cost_x6000",),
}


def client_rows_sql(*, late_rate: Decimal, months: list[dt.date]) -> tuple[str, list]:
    """One row per client: the period, lifetime and ageing figures, rounded to cents as section 4
    defines them, whether it had any invoice (credit notes included), expense or interaction in
    the period (``activity``, a count of component rows, 0 for none), and the net profit before
    acquisition share of each of ``months``, rounded figure by figure as the monthly rows are."""

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
            ROUND(COALESCE(late.period_x, 0) * %s / 365.0, 2) AS late_payment_cost,
            ROUND(COALESCE(inv.bad_debt, 0), 2) AS bad_debt,
            CAST(COALESCE(service.minutes, 0) AS bigint) AS minutes,
            ROUND(COALESCE(inv.life_gross_margin, 0), 2)
                - ROUND(COALESCE(service.life_cost_x6000, 0) / 6000.0, 2)
                - ROUND(COALESCE(expenses.life_expenses, 0), 2)
                - ROUND(COALESCE(late.life_x, 0) * %s / 365.0, 2)
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


def month_rows_sql(*, run_id: int, as_of: dt.date, late_rate: Decimal, amortisation_months: int):
    """INSERT ... SELECT of the monthly snapshot rows from the monthly sums, so that millions of rows
    never travel through Python.

    Each figure is rounded to cents so that NP = GM - CTS - DE - AQ - LPC - BD holds on every row;
    the acquisition share runs by calendar month from the month of acquisition.
    """
    from audits.models import ClientMonthSnapshot

    if _pg():
        until = (
            "CAST(date_trunc('month', CAST(acquired_on AS timestamp)) + make_interval(months => %s) AS date)"
        )
    else:
        until = "date(acquired_on, 'start of month', '+' || %s || ' months')"
    figures = {name: month_figure_sql(name) for name in MONTH_FIGURES}
    # The amortisation window of each client, computed once per client rather than per row.
    amortisation = f"""
        SELECT id, {_month("acquired_on")} AS aq_from, {until} AS aq_until,
            ROUND(COALESCE(acquisition_cost, 0) * 1.0 / %s, 2) AS aq
        FROM {Client._meta.db_table}
    """
    aq = "CASE WHEN g.month >= c.aq_from AND g.month < c.aq_until THEN c.aq ELSE 0 END"
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
    from audits.models import ClientMonthSnapshot

    table = ClientMonthSnapshot._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({MONTH_ROW_COLUMNS}) FROM STDIN (FORMAT binary)") as copy,
    ):
        copy.write(data)


# Running the pass --------------------------------------------------------------------------------

# PostgreSQL settings for the ledger pass (SET LOCAL: they end with the transaction).
# - jit off: a handful of large aggregates; compiling them costs more than it saves.
# - No parallel workers inside a statement: the aggregates run in the leader anyway, so workers
#   only add a Gather of every ledger row; the pass splits the clients over two connections
#   instead (``Pass``).
# - No hash aggregation or sequential scans: reading the covering indexes in client order lets
#   every component aggregate presorted rows without spilling.
TUNING = (
    "jit = off",
    "max_parallel_workers_per_gather = 0",
    "enable_hashagg = off",
    "enable_seqscan = off",
    "work_mem = '256MB'",
)


def tune() -> None:
    if _pg():
        with connection.cursor() as cursor:
            for setting in TUNING:
                cursor.execute(f"SET LOCAL {setting}")


@dataclass
class Part:
    """What the pass asks of one range of clients."""

    window: Window
    late_rate: Decimal
    amortisation_months: int
    months: list[dt.date]
    scope: object = None
    run_id: int | None = None
    client_range: tuple[int, int] | None = None

    def month_arguments(self) -> dict:
        return {
            "run_id": self.run_id,
            "as_of": self.window.as_of,
            "late_rate": self.late_rate,
            "amortisation_months": self.amortisation_months,
        }


class Helper(threading.Thread):
    """Runs the pass over a range of clients on a second connection, inside the snapshot exported by
    the main transaction (so both halves read the same ledger), while the main connection does the
    other half: both cores of the database server work. Its monthly rows come back in binary COPY
    format, for the main transaction to write."""

    def __init__(self, part: Part, snapshot: str):
        super().__init__(name="ledger-pass", daemon=True)
        self.part, self.snapshot = part, snapshot
        self.rows: list[tuple] = []
        self.rows_ready = threading.Event()
        self.months: bytes | None = None
        self.error: BaseException | None = None
        self.connected = False  # in the shared snapshot

    def run(self):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    cursor.execute(f"SET TRANSACTION SNAPSHOT '{self.snapshot}'")
                self.connected = True
                tune()
                part = self.part
                build(window=part.window, scope=part.scope, client_range=part.client_range)
                self.rows = client_rows(late_rate=part.late_rate, months=part.months)
                self.rows_ready.set()
                if part.run_id is not None:
                    self.months = month_rows_copy_out(**part.month_arguments())
        except BaseException as error:  # re-raised by the main thread
            self.error = error
        finally:
            self.rows_ready.set()
            connection.close()


def snapshot_export() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        return cursor.fetchone()[0]


class Pass:
    """The ledger pass, as a context manager: ``rows()`` gives the per-client rows, then
    ``write_months()`` writes the monthly snapshot rows of the run; leaving waits for any thread
    and drops the temporary tables.

    With ``split_at`` (PostgreSQL, at the start of a REPEATABLE READ transaction that has written
    nothing the pass reads), clients from that id on are done by a ``Helper`` at the same time.
    """

    def __init__(self, part: Part, *, split_at: int | None = None):
        self.part, self.split_at = part, split_at
        self.own = part
        self.helper: Helper | None = None
        self.writer: threading.Thread | None = None
        self.writer_error: BaseException | None = None

    def __enter__(self) -> Pass:
        return self

    def rows(self) -> list[tuple]:
        if self.split_at is not None:
            self.helper = Helper(replace(self.part, client_range=(self.split_at, LAST_ID)), snapshot_export())
            self.helper.start()
            self.own = replace(self.part, client_range=(FIRST_ID, self.split_at))
        build(window=self.own.window, scope=self.own.scope, client_range=self.own.client_range)
        rows = client_rows(late_rate=self.own.late_rate, months=self.own.months)
        if self.helper is None:
            return rows
        self.helper.rows_ready.wait()
        if self.helper.error is not None and not self.helper.connected:
            # No second connection (refused, or the snapshot could not be shared): the whole pass
            # here, slower but complete.
            logger.warning("Ledger pass in one piece: %s", self.helper.error)
            self.helper.join()
            self.helper, self.own = None, self.part
            drop()
            build(window=self.own.window, scope=self.own.scope, client_range=self.own.client_range)
            return client_rows(late_rate=self.own.late_rate, months=self.own.months)
        if self.helper.error is not None:
            raise self.helper.error
        return rows + self.helper.rows

    def write_months(self, *, background: bool = False) -> None:
        """Write the monthly rows: this connection's, then the helper's.

        With ``background`` on PostgreSQL, this thread's connection is lent to a writer thread, so
        that the portfolio maths runs in Python meanwhile: until the pass ends, the caller must not
        use the database.
        """
        if not (background and _pg()):
            self._write()
            return
        main = connections[DEFAULT_DB_ALIAS]
        main.inc_thread_sharing()
        self.writer = threading.Thread(
            target=self._write_with, args=(main,), name="ledger-months", daemon=True
        )
        self.writer.start()

    def _write_with(self, main) -> None:
        connections[DEFAULT_DB_ALIAS] = main
        try:
            self._write()
        except BaseException as error:  # re-raised by the main thread
            self.writer_error = error

    def _write(self) -> None:
        month_rows_insert(**self.own.month_arguments())
        if self.helper is not None:
            self.helper.join()
            if self.helper.error is not None:
                raise self.helper.error
            if self.helper.months:
                month_rows_copy_in(self.helper.months)

    def __exit__(self, kind, error, trace) -> None:
        if self.writer is not None:
            try:
                self.writer.join()
            except BaseException:
                # Interrupted (a signal): the writer must still give the connection back before
                # the transaction ends.
                self.writer.join()
                raise
            finally:
                connections[DEFAULT_DB_ALIAS].dec_thread_sharing()
        if self.helper is not None:
            self.helper.join()
        # After a failed statement PostgreSQL refuses any other in the transaction, and its
        # rollback drops the tables anyway: the original error is the one to see.
        with contextlib.suppress(DatabaseError):
            drop()
        if kind is None:
            for failure in (self.writer_error, self.helper and self.helper.error):
                if failure is not None:
                    raise failure
