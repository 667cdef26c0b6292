"""The per-client rows of the ledger pass: the period, lifetime and ageing figures of each client,
summed from the component tables."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from array import array
from collections.abc import Iterator
from decimal import Decimal

from django.db import connection

from audits.profitability.figures import CENT
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


def row_columns(months: int) -> tuple[str, ...]:
    """The names ``client_rows_sql`` gives the columns of a row after its client id, in order."""
    return (
        *("revenue", "gross_margin", "cost_to_serve", "direct_expenses", "late_payment_cost", "bad_debt"),
        *("minutes", "life_operating", "life_cost_to_serve", *(f"ageing_{i}" for i in range(5))),
        *("paid", "paid_late_x", "paid_days_x", "activity", *(f"np_{i}" for i in range(months))),
    )


# Every column but the minutes and ``activity`` is money (or amount x days), to the cent:
# ``client_rows`` reads it as a whole number of cents.
INTEGER_COLUMNS = ("minutes", "activity")
# A row as the engine reads it: the net profit of the four declining months last.
COLUMNS = row_columns(4)
POSITION = {name: position for position, name in enumerate(COLUMNS)}


FETCHED_AT_ONCE = 10_000


def client_rows(*, late_rate: Decimal, months: list[dt.date]) -> LedgerRows:
    """The per-client rows of ``client_rows_sql``, held as columns of integers (``LedgerRows``):
    the money in cents, read a few thousand rows at a time, so that no row is ever a tuple of
    decimals."""
    sql, params = client_rows_sql(late_rate=late_rate, months=months)
    names = row_columns(len(months))
    columns = ", ".join(
        f"r.{name}" if name in INTEGER_COLUMNS else f"CAST(ROUND(r.{name} * 100) AS bigint)" for name in names
    )
    rows = LedgerRows(len(names))
    with _rows_cursor() as cursor:
        cursor.execute(f"SELECT r.client_id, {columns} FROM ({sql}) r", params)
        while chunk := cursor.fetchmany(FETCHED_AT_ONCE):
            rows.extend(chunk)
    return rows


def _rows_cursor():
    """Inside a transaction on PostgreSQL, a server-side cursor, so that the process holds one chunk
    of rows at a time rather than the whole result (at 100,000 clients the whole result cost the
    process some 40 MB that it kept). ``sql.session.TUNING`` plans it for all of its rows."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return connection.cursor()
    connection.ensure_connection()
    return connection.connection.cursor(name="ledger_client_rows")


# The rows in Python ------------------------------------------------------------------------------

# Cents as the decimal of two places PostgreSQL gives for a sum rounded to cents: Decimal(c) * CENT
# (exact, and of two places whatever the cents: 12340 -> 123.40), zero as NO_CENTS.
NO_CENTS = Decimal("0.00")


def money_of(cents: int) -> Decimal:
    return NO_CENTS if not cents else Decimal(cents) * CENT


def _money(name: str) -> property:
    position = POSITION[name]
    return property(lambda row: money_of(row.cents[position]))


def _moneys(first: str, count: int | None = None) -> property:
    start = POSITION[first]
    end = None if count is None else start + count
    return property(lambda row: tuple(map(money_of, row.cents[start:end])))


def _integer(name: str) -> property:
    position = POSITION[name]
    return property(lambda row: row.cents[position])


class LedgerRow:
    """A client's figures from the ledger pass, rounded in SQL (``client_rows_sql``), held as the
    whole numbers of its columns (money in cents, ``client_rows``) and read as decimals of two
    places when asked for: a row costs a tuple of integers, and only the figures read are made.

    The columns of a per-client row after its client id, in ``client_rows_sql``'s order (``cents``;
    all zero when the client has no ledger row): money, but for the minutes and ``activity``
    (invoices, expenses and interactions in the period, as component rows); ``ageing`` is the open
    amount by bucket (current, then the four overdue buckets) and ``recent_np`` the net profit
    before acquisition share of each of ``engine.declining_months()``. ``life_operating`` is the
    lifetime GM - CTS - DE - LPC - BD (no acquisition share)."""

    __slots__ = ("cents",)

    def __init__(self, cents: tuple[int, ...] = (0,) * len(COLUMNS)):
        self.cents = cents

    revenue = _money("revenue")
    gross_margin = _money("gross_margin")
    cost_to_serve = _money("cost_to_serve")
    direct_expenses = _money("direct_expenses")
    late_payment_cost = _money("late_payment_cost")
    bad_debt = _money("bad_debt")
    minutes = _integer("minutes")
    life_operating = _money("life_operating")
    life_cost_to_serve = _money("life_cost_to_serve")
    ageing = _moneys("ageing_0", 5)
    paid = _money("paid")
    paid_late_x = _money("paid_late_x")
    paid_days_x = _money("paid_days_x")
    activity = _integer("activity")
    recent_np = _moneys("np_0")

    @property
    def overdue(self) -> Decimal:
        """What is open and past due at the as-of date: the four overdue buckets."""
        return money_of(sum(self.cents[POSITION["ageing_1"] : POSITION["ageing_4"] + 1]))

    def __eq__(self, other) -> bool:
        return isinstance(other, LedgerRow) and self.cents == other.cents

    def __hash__(self) -> int:
        return hash(self.cents)

    def __repr__(self) -> str:
        return f"LedgerRow({self.cents})"


EMPTY_ROW = LedgerRow()


class LedgerRows:
    """The ledger pass's rows by client, compact: one array of integers per column (money in
    cents), and a client's ``LedgerRow`` made when it is read (``get``).

    At 100,000 clients the rows as tuples of decimals held some 280 MB; as arrays they hold about
    20."""

    def __init__(self, width: int):
        self.position: dict[int, int] = {}
        self.columns = [array("q") for _ in range(width)]

    def extend(self, rows) -> None:
        """Add rows of (client id, *columns), money as cents."""
        position = self.position
        for row in rows:
            position[row[0]] = len(position)
        for column, values in zip(self.columns, list(zip(*rows, strict=True))[1:], strict=True):
            column.extend(values)

    def joined(self, other: LedgerRows) -> LedgerRows:
        """These rows followed by ``other``'s (of other clients)."""
        offset = len(self.position)
        for client_id, position in other.position.items():
            self.position[client_id] = offset + position
        for column, more in zip(self.columns, other.columns, strict=True):
            column.extend(more)
        return self

    def __contains__(self, client_id) -> bool:
        return client_id in self.position

    def __iter__(self) -> Iterator[int]:
        return iter(self.position)

    def __len__(self) -> int:
        return len(self.position)

    def get(self, client_id, default: LedgerRow = EMPTY_ROW) -> LedgerRow:
        position = self.position.get(client_id)
        if position is None:
            return default
        return LedgerRow(tuple([column[position] for column in self.columns]))
