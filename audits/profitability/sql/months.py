"""The months of the trend, from the ledger pass's components: each client's figures by calendar
month (``month_figures_sql``), summed by account manager for the portfolio trends
(``month_totals``). Nothing here is written per client: a client's months are computed when its
page asks for them (``audits.profitability.client.client_months``), from the components of that
client alone."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from audits.profitability.figures import MONEY_FIGURES, acquisition_share_sql
from audits.profitability.sql.fragments import _pg, _table
from audits.profitability.sql.late_payment import late_months_sql
from audits.profitability.sql.rows import MONTH_FIGURES, month_figure_sql

# The monthly sums of each component, summed by (client, month).
MONTH_COLUMNS = {
    "invoices": ("revenue", "gross_margin", "bad_debt"),
    "late": ("late_x",),
    "paid": ("paid", "paid_late_x", "paid_days_x"),
    "expenses": ("expenses",),
    "service": ("minutes", "cost_x6000"),
}

# What a month of a client and a run's month totals both hold, in this order.
MONTH_FIGURES_SUMMED = (*MONEY_FIGURES, "net_profit", "service_minutes", "paid_amount")
# What ``month_figures_sql`` selects, in order: a client's month as its trend shows it.
MONTH_FIGURE_COLUMNS = (
    "client_id",
    "month",
    *MONTH_FIGURES_SUMMED,
    "average_days_late",
    "average_days_to_pay",
)
# What ``month_totals`` gives of a group's month after (account manager, month): how many clients
# had activity, the sums, and amount paid x days late or to pay summed over them.
TOTAL_COLUMNS = ("clients", *MONTH_FIGURES_SUMMED, "paid_days_late", "paid_days_to_pay")


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


def month_figures_sql(
    *,
    late_rate: Decimal,
    amortisation_months: int,
    by_manager: bool = False,
    client_range: tuple[int, int] | None = None,
) -> tuple[str, list]:
    """Each client's figures by calendar month of the trend window, from the monthly sums (a
    SELECT of ``MONTH_FIGURE_COLUMNS``, and with ``by_manager`` the client's account manager last):
    the months with ledger activity only; with ``client_range``, those of its clients only.

    Each figure is rounded to cents so that NP = GM - CTS - DE - AQ - LPC - BD holds on every row;
    the acquisition share runs by calendar month from the month of acquisition.
    """
    figures = {name: month_figure_sql(name) for name in MONTH_FIGURES}
    manager = ("account_manager_id",) if by_manager else ()
    amortisation, aq = acquisition_share_sql("g.month", columns=manager)
    clients: list = []
    if client_range is not None:
        amortisation += " WHERE id >= %s AND id < %s"
        clients = list(client_range)
    # Each figure is computed once, in a subquery kept apart from the outer SELECT that subtracts
    # them (on PostgreSQL, OFFSET 0 stops the planner from inlining it and so computing every
    # figure twice).
    fence = " OFFSET 0" if _pg() else ""
    sql = f"""
        SELECT f.client_id, f.month, f.revenue, f.gm AS gross_margin, f.cts AS cost_to_serve,
            f.de AS direct_expenses, f.aq AS acquisition_share, f.lpc AS late_payment_cost,
            f.bd AS bad_debt, f.gm - f.cts - f.de - f.aq - f.lpc - f.bd AS net_profit,
            f.minutes AS service_minutes, f.paid AS paid_amount, f.days_late AS average_days_late,
            f.days_to_pay AS average_days_to_pay{"".join(f", f.{column}" for column in manager)}
        FROM (
            SELECT g.client_id, g.month, {figures["revenue"]} AS revenue, {figures["gross_margin"]} AS gm,
                {figures["cost_to_serve"]} AS cts, {figures["direct_expenses"]} AS de, {aq} AS aq,
                {figures["late_payment_cost"]} AS lpc, {figures["bad_debt"]} AS bd,
                COALESCE(g.minutes, 0) AS minutes, ROUND(COALESCE(g.paid, 0), 2) AS paid,
                CASE WHEN g.paid > 0 THEN ROUND(g.paid_late_x * 1.0 / g.paid, 6) END AS days_late,
                CASE WHEN g.paid > 0 THEN ROUND(g.paid_days_x * 1.0 / g.paid, 6) END AS days_to_pay
                {"".join(f", c.{column}" for column in manager)}
            FROM ({month_sums_sql()}) g
            JOIN ({amortisation}) c ON c.id = g.client_id{fence}
        ) f
    """
    return sql, [late_rate, amortisation_months, amortisation_months, *clients]


def month_totals(*, late_rate: Decimal, amortisation_months: int) -> list[tuple]:
    """This connection's clients' months (``month_figures_sql``) summed by (account manager,
    month): rows of (account manager id, month, *``TOTAL_COLUMNS``). Each client's month is rounded
    first, so that a group's total is the sum of what its clients' trends show; the weighted days
    are summed as amount paid x the client's rounded average, as a client's trend gives them."""
    sql, params = month_figures_sql(
        late_rate=late_rate, amortisation_months=amortisation_months, by_manager=True
    )
    sums = ", ".join(f"SUM(m.{column})" for column in MONTH_FIGURES_SUMMED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT m.account_manager_id, m.month, COUNT(*), {sums},
                COALESCE(SUM(m.paid_amount * m.average_days_late), 0),
                COALESCE(SUM(m.paid_amount * m.average_days_to_pay), 0)
            FROM ({sql}) m
            GROUP BY m.account_manager_id, m.month
            """,
            params,
        )
        return cursor.fetchall()


def totals_merged(*parts: list[tuple]) -> list[tuple]:
    """The month totals of several passes (the two halves of a split pass) as one: rows of the same
    (account manager, month) added up."""
    merged: dict[tuple, list] = {}
    for rows in parts:
        for manager, month, *values in rows:
            stored = merged.get((manager, month))
            if stored is None:
                merged[manager, month] = list(values)
            else:
                for position, value in enumerate(values):
                    stored[position] += value
    return [(manager, month, *values) for (manager, month), values in merged.items()]
