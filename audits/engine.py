"""The profitability engine: every figure of DESIGN section 4, set-based.

A computation runs a constant number of queries whatever the number of clients. Each ledger table
is read once: an ORM aggregate per table (invoices, payments by invoice month, payments by payment
month, expenses; interactions through the one raw range join, ``interaction_costs_sql``) grouped
by client and calendar month, with conditional sums for the month itself (``m_*``, the trend),
the period, the lifetime since acquisition and the ageing buckets. The statement in
``ledger_months_build`` assembles them into a temporary table; the per-client figures are its sums
over months, and the monthly snapshot rows are written from it in the database. Raw SQL stays in
this module's ledger-pass functions, where the ORM cannot say CREATE TABLE AS, INSERT ... SELECT
or a range join; everything it aggregates is compiled from ORM querysets. The portfolio maths
then runs in Python on the per-client figures (``audits.portfolio``).

Two quantities are linear in the payments, which keeps them set-based without a per-invoice
sub-aggregate: the unpaid remainder of an invoice is (amount - written off) - its payments, so
"remainder x days overdue" and the ageing buckets are invoice sums minus payment sums (payments
never exceed their invoice; a write-off covers what is left unpaid).

The same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import DatabaseError, connection
from django.db.models import (
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Greatest, TruncMonth
from django.utils import timezone

from audits import portfolio as pm
from audits.portfolio import ZERO, ClientFigures, money, ratio
from clients.models import Client, CostSettings, Expense, Invoice, Payment, StaffCost

DECIMAL = DecimalField(max_digits=24, decimal_places=6)
DAYS_PER_YEAR = Decimal(365)


# Dates -------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, 1)


def rolling_period(as_of: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The ``months`` months ending on the as-of date, both ends included."""
    return add_months(as_of, -months) + dt.timedelta(days=1), as_of


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def period_months(start: dt.date, end: dt.date) -> tuple[int, int]:
    """The calendar months of a period, as month indexes (first, last): those that end inside it."""
    last = month_index(end)
    if end.day != calendar.monthrange(end.year, end.month)[1]:
        last -= 1
    return month_index(start), last


def amortised_months(acquired_on: dt.date | None, amortisation: int, first: int, last: int) -> int:
    """How many of the months first..last fall inside the amortisation window, which runs by calendar
    month from the month of acquisition."""
    if acquired_on is None:
        return 0
    begin = month_index(acquired_on)
    end = begin + amortisation - 1
    return max(0, min(last, end) - max(first, begin) + 1)


@dataclass(frozen=True)
class Settings:
    """The cost settings as plain numbers (rates as fractions)."""

    late_rate: Decimal
    margin_rate: Decimal
    amortisation_months: int
    referral_share: Decimal
    boundaries: list[Decimal]
    trimmed_share: Decimal
    class_a: Decimal
    class_b: Decimal
    marginal_below: Decimal
    limits: dict
    overheads_per_month: Decimal
    overhead_allocation: str
    ageing: list[int]
    hours_per_day: Decimal

    @classmethod
    def from_model(cls, cs: CostSettings) -> Settings:
        pct = Decimal(100)
        return cls(
            late_rate=cs.late_payment_rate / pct,
            margin_rate=cs.default_margin_rate / pct,
            amortisation_months=cs.amortisation_months,
            referral_share=cs.referral_share / pct,
            boundaries=cs.boundaries,
            trimmed_share=cs.trimmed_share / pct,
            class_a=cs.class_a_limit / pct,
            class_b=cs.class_b_limit / pct,
            marginal_below=cs.marginal_below / pct,
            limits={
                "top1": (cs.top1_amber / pct, cs.top1_red / pct),
                "top5": (cs.top5_amber / pct, cs.top5_red / pct),
                "top10": (cs.top10_amber / pct, cs.top10_red / pct),
                "hhi": (Decimal(cs.hhi_amber), Decimal(cs.hhi_red)),
            },
            overheads_per_month=cs.overheads_per_month,
            overhead_allocation=cs.overhead_allocation,
            ageing=cs.ageing,
            hours_per_day=cs.hours_per_day,
        )


# Expressions -------------------------------------------------------------------------------------


class DaysBetween(Func):
    """Whole days from the second date to the first (negative when the first is earlier)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _days_late(later, earlier):
    return Greatest(DaysBetween(later, earlier), Value(0))


def _sum(expression, condition=None):
    return Sum(expression, filter=condition, output_field=DECIMAL, default=Value(ZERO))


def _date(value: dt.date):
    from django.db.models import DateField

    return Value(value, output_field=DateField())


# Queries -----------------------------------------------------------------------------------------
#
# One pass over each ledger table, grouped by client and calendar month, with conditional sums:
# unconditional (m_*, the monthly trend), inside the period, since acquisition (life_*) and by
# ageing bucket. The passes are unioned and summed into a temporary table, from which the
# per-client figures (sum over months) and the monthly snapshot rows are read: every ledger row is
# read once, however many figures depend on it.

LEDGER_TABLE = "audits_ledger_month"


def _scoped(queryset, scope, path="client"):
    return queryset if scope is None else queryset.filter(**{f"{path}__in": scope.values("pk")})


def _ageing_conditions(as_of: dt.date, limits: list[int], due: str) -> list[Q]:
    """Not yet due, then 1..L1, L1+1..L2, L2+1..L3 and over L3 days past due."""
    edges = [as_of - dt.timedelta(days=limit) for limit in limits]
    return [
        Q(**{f"{due}__gte": as_of}),
        Q(**{f"{due}__lt": as_of, f"{due}__gte": edges[0]}),
        Q(**{f"{due}__lt": edges[0], f"{due}__gte": edges[1]}),
        Q(**{f"{due}__lt": edges[1], f"{due}__gte": edges[2]}),
        Q(**{f"{due}__lt": edges[2]}),
    ]


def _invoice_sums(*, scope, start, end, as_of, ageing):
    in_period = Q(issued_on__gte=start, issued_on__lte=end)
    lifetime = Q(client__acquired_on__isnull=True) | Q(issued_on__gte=F("client__acquired_on"))
    known = Q(cost_of_sales__isnull=False)
    owed = Q(amount__gt=0)
    open_part = F("amount") - F("written_off")
    overdue = open_part * _days_late(_date(as_of), F("due_on"))
    queryset = Invoice.objects.filter(issued_on__lte=as_of)
    if scope is not None:
        # Clients referred by a client in scope count for its indirect value.
        queryset = queryset.filter(
            Q(client__in=scope.values("pk")) | Q(client__referred_by__in=scope.values("pk"))
        )
    sums = {}
    for prefix, condition in (("m_", Q()), ("", in_period), ("life_", lifetime)):
        sums |= {
            f"{prefix}revenue": _sum("amount", condition),
            f"{prefix}amount_known": _sum("amount", condition & known),
            f"{prefix}cost_known": _sum("cost_of_sales", condition & known),
            f"{prefix}amount_blank": _sum("amount", condition & ~known),
            f"{prefix}bad_debt": _sum("written_off", condition),
            f"{prefix}overdue_x": _sum(overdue, condition & owed),
        }
    del sums["life_revenue"]
    for index, condition in enumerate(_ageing_conditions(as_of, ageing, "due_on")):
        sums[f"ageing_{index}"] = _sum(open_part, condition & owed)
    return queryset.order_by().values("client_id", month=TruncMonth("issued_on")).annotate(**sums)


def _payment_sums_by_invoice(*, scope, start, end, as_of, ageing):
    """Payments on the month their invoice was issued: late-payment cost and ageing."""
    in_period = Q(invoice__issued_on__gte=start, invoice__issued_on__lte=end)
    lifetime = Q(invoice__client__acquired_on__isnull=True) | Q(
        invoice__issued_on__gte=F("invoice__client__acquired_on")
    )
    late = F("amount") * _days_late(F("paid_on"), F("invoice__due_on"))
    overdue = F("amount") * _days_late(_date(as_of), F("invoice__due_on"))
    queryset = _scoped(
        Payment.objects.filter(paid_on__lte=as_of, invoice__issued_on__lte=as_of, invoice__amount__gt=0),
        scope,
        "invoice__client",
    )
    sums = {}
    for prefix, condition in (("m_pay_", Q()), ("pay_", in_period), ("pay_life_", lifetime)):
        sums |= {f"{prefix}late_x": _sum(late, condition), f"{prefix}overdue_x": _sum(overdue, condition)}
    for index, condition in enumerate(_ageing_conditions(as_of, ageing, "invoice__due_on")):
        sums[f"pay_ageing_{index}"] = _sum("amount", condition)
    return (
        queryset.order_by()
        .values(client_id=F("invoice__client_id"), month=TruncMonth("invoice__issued_on"))
        .annotate(**sums)
    )


def _payment_sums_by_payment(*, scope, start, end, as_of):
    """Payments on the month they were made: days late and days to pay."""
    paid_in_period = Q(paid_on__gte=start, paid_on__lte=end)
    late = F("amount") * _days_late(F("paid_on"), F("invoice__due_on"))
    queryset = _scoped(
        Payment.objects.filter(paid_on__lte=as_of, invoice__amount__gt=0), scope, "invoice__client"
    )
    return (
        queryset.order_by()
        .values(client_id=F("invoice__client_id"), month=TruncMonth("paid_on"))
        .annotate(
            m_paid=_sum("amount"),
            m_paid_late_x=_sum(late),
            m_paid_days_x=_sum(F("amount") * DaysBetween(F("paid_on"), F("invoice__issued_on"))),
            pay_paid=_sum("amount", paid_in_period),
            pay_paid_late_x=_sum(late, paid_in_period),
            pay_paid_days_x=_sum(
                F("amount") * DaysBetween(F("paid_on"), F("invoice__issued_on")), paid_in_period
            ),
        )
    )


def _expense_sums(*, scope, start, end, as_of):
    lifetime = Q(client__acquired_on__isnull=True) | Q(spent_on__gte=F("client__acquired_on"))
    return (
        _scoped(Expense.objects.filter(spent_on__lte=as_of), scope)
        .order_by()
        .values("client_id", month=TruncMonth("spent_on"))
        .annotate(
            m_expenses=_sum("amount"),
            expenses=_sum("amount", Q(spent_on__gte=start, spent_on__lte=end)),
            life_expenses=_sum("amount", lifetime),
        )
    )


def _scope_sql(scope):
    if scope is None:
        return "", ()
    sql, params = scope.values("pk").query.sql_with_params()
    return f" AND i.client_id IN ({sql})", params


FAR_FUTURE = dt.date(3000, 1, 1)


def _rates():
    """The staff-cost history as (user, from, until, hourly cost), bounds at local midnight."""
    rows = list(
        StaffCost.objects.order_by("user_id", "effective_from").values_list(
            "user_id", "effective_from", "hourly_cost"
        )
    )
    adapt = connection.ops.adapt_datetimefield_value
    rates = []
    for index, (user, since, cost) in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        until = following[1] if following and following[0] == user else FAR_FUTURE
        rates.append((user, adapt(local_midnight(since)), adapt(local_midnight(until)), cost))
    return rates or [(0, adapt(local_midnight(FAR_FUTURE)), adapt(local_midnight(FAR_FUTURE)), ZERO)]


def interaction_costs_sql(*, scope, start: dt.date, end: dt.date, as_of: dt.date):
    """Minutes and cost (minutes x the hourly cost in force) of interactions, per client and local
    calendar month: for the month, inside the period, and since acquisition.

    Raw SQL, written here alone: each interaction takes the staff member's hourly cost in force on
    its local date, a range join against the staff-cost history. The ORM can say this only as a
    correlated subquery per interaction (millions of index probes a night); as a join against the
    few history rows (inlined as VALUES, their bounds at local midnight) PostgreSQL hashes them
    once. Date expressions come from Django's backend operations, so the statement runs on SQLite
    and PostgreSQL alike. Costs are minutes x hourly cost (divided by 60 once, at the end).
    """
    tzname = timezone.get_current_timezone_name()
    ops = connection.ops
    day_sql, day_params = ops.datetime_cast_date_sql("i.started_at", (), tzname)
    month_sql, month_params = ops.date_trunc_sql("month", day_sql, day_params)
    if connection.vendor == "postgresql":
        # The same month as Django's expression (local date, truncated), with one time-zone
        # conversion per interaction instead of three.
        month_sql, month_params = "CAST(date_trunc('month', i.started_at AT TIME ZONE %s) AS date)", (tzname,)
    scope_sql, scope_params = _scope_sql(scope)
    rates = _rates()
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rates))
    interaction = Client.interactions.rel.related_model._meta.db_table
    adapt = ops.adapt_datetimefield_value
    start_dt, end_dt = adapt(local_midnight(start)), adapt(local_midnight(end + dt.timedelta(days=1)))
    until_dt = adapt(local_midnight(as_of + dt.timedelta(days=1)))
    cost = "COALESCE(r.hourly_cost, 0)"
    # Minutes first (integer sums, per client, month and hourly cost in force), then money: the
    # cost of a group is its minutes x its hourly cost, exactly the sum of the interactions' costs,
    # with one decimal product per group instead of three per interaction.
    sql = f"""
        WITH rate (user_id, valid_from, valid_to, hourly_cost) AS (VALUES {values}),
        per_cost AS (
            SELECT i.client_id, {month_sql} AS month, {cost} AS hourly_cost,
                   SUM(i.duration_minutes) AS m_minutes,
                   SUM(CASE WHEN i.started_at >= %s AND i.started_at < %s THEN i.duration_minutes ELSE 0 END)
                       AS minutes,
                   SUM(CASE WHEN c.acquired_on IS NULL OR {day_sql} >= c.acquired_on
                       THEN i.duration_minutes ELSE 0 END) AS life_minutes
            FROM {interaction} i
            JOIN {Client._meta.db_table} c ON c.id = i.client_id
            LEFT JOIN rate r
                ON r.user_id = i.staff_id AND i.started_at >= r.valid_from AND i.started_at < r.valid_to
            WHERE i.started_at < %s{scope_sql}
            GROUP BY i.client_id, {month_sql}, {cost}
        )
        SELECT client_id, month,
               CAST(SUM(m_minutes) AS bigint) AS m_minutes,
               SUM(m_minutes * hourly_cost) AS m_cost_x60,
               CAST(SUM(minutes) AS bigint) AS minutes,
               SUM(minutes * hourly_cost) AS cost_x60,
               SUM(life_minutes * hourly_cost) AS life_cost_x60
        FROM per_cost
        GROUP BY client_id, month
    """
    params = (
        *[value for rate in rates for value in rate],
        *month_params,
        start_dt,
        end_dt,
        *day_params,
        until_dt,
        *scope_params,
        *month_params,
    )
    return sql, params


def _component_columns(sql: str, columns) -> set[str]:
    return {c for c in columns if f'AS "{c}"' in sql or f"AS {c}" in sql}


LEDGER_COLUMNS = (
    *(
        f"{p}{c}"
        for p in ("m_", "")
        for c in ("revenue", "amount_known", "cost_known", "amount_blank", "bad_debt", "overdue_x")
    ),
    *(f"life_{c}" for c in ("amount_known", "cost_known", "amount_blank", "bad_debt", "overdue_x")),
    *(f"ageing_{i}" for i in range(5)),
    *(f"{p}{c}" for p in ("m_pay_", "pay_", "pay_life_") for c in ("late_x", "overdue_x")),
    *(f"pay_ageing_{i}" for i in range(5)),
    "m_paid",
    "m_paid_late_x",
    "m_paid_days_x",
    "pay_paid",
    "pay_paid_late_x",
    "pay_paid_days_x",
    "m_minutes",
    "m_cost_x60",
    "minutes",
    "cost_x60",
    "life_cost_x60",
    "m_expenses",
    "expenses",
    "life_expenses",
)


def ledger_months_build(*, scope, start, end, as_of, settings: Settings) -> None:
    """Fill the temporary table of per-client, per-month sums (one statement, one pass per table)."""
    components = [
        q.query.sql_with_params()
        for q in (
            _invoice_sums(scope=scope, start=start, end=end, as_of=as_of, ageing=settings.ageing),
            _payment_sums_by_invoice(scope=scope, start=start, end=end, as_of=as_of, ageing=settings.ageing),
            _payment_sums_by_payment(scope=scope, start=start, end=end, as_of=as_of),
            _expense_sums(scope=scope, start=start, end=end, as_of=as_of),
        )
    ]
    components.append(interaction_costs_sql(scope=scope, start=start, end=end, as_of=as_of))
    # Each component is grouped by client and month on its own; a FULL JOIN of the components on
    # (client, month) assembles the row (cheaper than summing a union of sparse rows, or than
    # joining each component onto the union of their keys).
    is_pg = connection.vendor == "postgresql"
    month = "CAST(x.month AS date)" if is_pg else "x.month"
    ctes, params, columns_of = [], [], []
    for index, (sql, component_params) in enumerate(components):
        present = [c for c in LEDGER_COLUMNS if c in _component_columns(sql, LEDGER_COLUMNS)]
        ctes.append(
            f"c{index} AS (SELECT x.client_id, {month} AS month, {', '.join(present)} FROM ({sql}) x)"
        )
        params.extend(component_params)
        columns_of.append(present)
    select = []
    for column in LEDGER_COLUMNS:
        owner = next(index for index, present in enumerate(columns_of) if column in present)
        select.append(f"COALESCE(c{owner}.{column}, 0) AS {column}")
    joins = " ".join(f"FULL JOIN c{index} USING (client_id, month)" for index in range(1, len(components)))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LEDGER_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {LEDGER_TABLE} AS WITH {', '.join(ctes)} "
            f"SELECT client_id, month, {', '.join(select)} FROM c0 {joins}",
            params,
        )


def ledger_months_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LEDGER_TABLE}")


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def staff_day_cost(hours_per_day: Decimal) -> Decimal | None:
    """The mean loaded daily cost of staff (their latest hourly cost x hours per day)."""
    latest = StaffCost.objects.filter(
        effective_from=Subquery(
            StaffCost.objects.filter(user=OuterRef("user"))
            .order_by("-effective_from")
            .values("effective_from")[:1]
        )
    ).aggregate(total=Sum("hourly_cost"), count=Count("pk"))
    if not latest["count"]:
        return None
    return money(_dec(latest["total"]) / latest["count"] * hours_per_day)


# The computation ---------------------------------------------------------------------------------


@dataclass
class ClientResult:
    """Everything a client snapshot stores."""

    client_id: int
    status: str
    in_portfolio: bool
    figures: ClientFigures
    values: dict = field(default_factory=dict)


@dataclass
class Result:
    as_of: dt.date
    start: dt.date
    end: dt.date
    settings: Settings
    clients: dict[int, ClientResult]
    portfolio: dict


class LedgerRow(NamedTuple):
    """A client's figures summed over the months of the temporary table, rounded in SQL."""

    revenue: Decimal = ZERO
    gross_margin: Decimal = ZERO
    cost_to_serve: Decimal = ZERO
    direct_expenses: Decimal = ZERO
    late_payment_cost: Decimal = ZERO
    bad_debt: Decimal = ZERO
    minutes: int = 0
    life_operating: Decimal = ZERO  # lifetime GM - CTS - DE - LPC - BD (no acquisition share)
    life_cost_to_serve: Decimal = ZERO
    ageing_0: Decimal = ZERO
    ageing_1: Decimal = ZERO
    ageing_2: Decimal = ZERO
    ageing_3: Decimal = ZERO
    ageing_4: Decimal = ZERO
    paid: Decimal = ZERO
    paid_late_x: Decimal = ZERO
    paid_days_x: Decimal = ZERO


EMPTY_ROW = LedgerRow()


def ledger_rows(settings: Settings) -> dict[int, LedgerRow]:
    """Per-client figures from the temporary table (one query), each rounded to cents as section 4
    defines it, so that Python only adds them up."""

    def gm(p):
        return f"ROUND(SUM({p}amount_known) - SUM({p}cost_known) + SUM({p}amount_blank) * %s, 2)"

    def lpc(p, q):
        return f"ROUND((SUM({q}late_x) + SUM({p}overdue_x) - SUM({q}overdue_x)) * %s / 365.0, 2)"

    columns = [
        ("ROUND(SUM(revenue), 2)", []),
        (gm(""), [settings.margin_rate]),
        ("ROUND(SUM(cost_x60) / 60.0, 2)", []),
        ("ROUND(SUM(expenses), 2)", []),
        (lpc("", "pay_"), [settings.late_rate]),
        ("ROUND(SUM(bad_debt), 2)", []),
        ("SUM(minutes)", []),
        (
            f"{gm('life_')} - ROUND(SUM(life_cost_x60) / 60.0, 2) - ROUND(SUM(life_expenses), 2) - "
            f"{lpc('life_', 'pay_life_')} - ROUND(SUM(life_bad_debt), 2)",
            [settings.margin_rate, settings.late_rate],
        ),
        ("ROUND(SUM(life_cost_x60) / 60.0, 2)", []),
        *((f"ROUND(SUM(ageing_{i}) - SUM(pay_ageing_{i}), 2)", []) for i in range(5)),
        ("SUM(pay_paid)", []),
        ("SUM(pay_paid_late_x)", []),
        ("SUM(pay_paid_days_x)", []),
    ]
    sql = f"SELECT client_id, {', '.join(c for c, _ in columns)} FROM {LEDGER_TABLE} GROUP BY client_id"
    params = [p for _, values in columns for p in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            row[0]: LedgerRow(*(_dec(v) for v in row[1:7]), int(row[7] or 0), *(_dec(v) for v in row[8:]))
            for row in cursor.fetchall()
        }


def _month_money_sql(settings: Settings) -> dict[str, tuple[str, list]]:
    """The rounded monthly figures as SQL over the temporary table (alias g), with their params."""
    return {
        "gross_margin": (
            "ROUND(g.m_amount_known - g.m_cost_known + g.m_amount_blank * %s, 2)",
            [settings.margin_rate],
        ),
        "cost_to_serve": ("ROUND(g.m_cost_x60 / 60.0, 2)", []),
        "direct_expenses": ("ROUND(g.m_expenses, 2)", []),
        "late_payment_cost": (
            "ROUND((g.m_pay_late_x + g.m_overdue_x - g.m_pay_overdue_x) * %s / 365.0, 2)",
            [settings.late_rate],
        ),
        "bad_debt": ("ROUND(g.m_bad_debt, 2)", []),
    }


def ledger_month_net_profit(*, months: list[int], settings: Settings) -> dict[int, dict[int, Decimal]]:
    """Net profit before the acquisition share, per client, for the given months (month indexes)."""
    figures = _month_money_sql(settings)
    expression = " - ".join(sql for sql, _ in figures.values())
    params = [p for _, values in figures.values() for p in values]
    adapt = connection.ops.adapt_datefield_value
    sql = f"SELECT g.client_id, g.month, {expression} FROM {LEDGER_TABLE} g WHERE g.month >= %s AND g.month <= %s"
    result: dict[int, dict[int, Decimal]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, adapt(month_start(months[0])), adapt(month_start(months[-1]))])
        for client_id, month, value in cursor.fetchall():
            if isinstance(month, str):
                month = dt.date.fromisoformat(month[:10])
            result.setdefault(client_id, {})[month_index(month)] = money(_dec(value))
    return result


def client_figures(
    cid, row: LedgerRow, *, client, settings: Settings, months: tuple[int, int]
) -> ClientFigures:
    aq_months = amortised_months(client["acquired_on"], settings.amortisation_months, *months)
    return ClientFigures(
        client_id=cid,
        revenue=row.revenue,
        gross_margin=row.gross_margin,
        cost_to_serve=row.cost_to_serve,
        direct_expenses=row.direct_expenses,
        acquisition_share=money(client["acquisition_cost"] * aq_months / settings.amortisation_months),
        late_payment_cost=row.late_payment_cost,
        bad_debt=row.bad_debt,
        service_minutes=row.minutes,
    )


def _lifetime(row: LedgerRow, *, client, settings: Settings, as_of: dt.date) -> Decimal:
    acquired = client["acquired_on"]
    aq_months = (
        amortised_months(acquired, settings.amortisation_months, month_index(acquired), month_index(as_of))
        if acquired
        else 0
    )
    return row.life_operating - money(client["acquisition_cost"] * aq_months / settings.amortisation_months)


def compute(
    *,
    as_of: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    scope=None,
    cost_settings: CostSettings | None = None,
    previous_np: dict[int, Decimal] | None = None,
    run_id: int | None = None,
    trend_months: int = 24,
) -> Result:
    """Every figure of DESIGN section 4 for the clients in ``scope`` (a Client queryset, or all).

    ``previous_np`` (client -> NP of the previous snapshot) feeds the "declining" flag. With a
    ``run_id``, the monthly figures of the last ``trend_months`` months are written for that run.
    """
    if start is None or end is None:
        start, end = rolling_period(as_of)
    settings = Settings.from_model(cost_settings or CostSettings.load())
    clients_qs = Client.objects.all() if scope is None else scope
    clients = {
        row["id"]: row
        for row in clients_qs.order_by().values(
            "id", "status", "acquired_on", "acquisition_cost", "referred_by_id", "estimated_annual_margin"
        )
    }
    ledger_months_build(scope=scope, start=start, end=end, as_of=as_of, settings=settings)
    try:
        rows = ledger_rows(settings)
        monthly_np = ledger_month_net_profit(months=declining_months(as_of), settings=settings)
        if run_id is not None:
            month_rows_insert(run_id=run_id, as_of=as_of, months=trend_months, settings=settings)
    finally:
        # After a failed statement PostgreSQL refuses any other in the transaction, and its
        # rollback drops the table anyway: the original error is the one to see.
        with contextlib.suppress(DatabaseError):
            ledger_months_drop()
    months = period_months(start, end)
    period_days = (end - start).days + 1
    period_month_count = Decimal(max(1, months[1] - months[0] + 1))
    figures = {
        cid: client_figures(cid, rows.get(cid, EMPTY_ROW), client=client, settings=settings, months=months)
        for cid, client in clients.items()
    }
    # Gross margin of clients outside the scope that a client in scope referred.
    referred_gm = {cid: f.gross_margin for cid, f in figures.items()}
    for cid, row in rows.items():
        if cid not in clients:
            referred_gm[cid] = row.gross_margin
    referrers = {cid: c["referred_by_id"] for cid, c in clients.items()}
    if scope is not None:
        referrers |= dict(
            Client.objects.filter(referred_by__in=scope.values("pk"))
            .exclude(pk__in=clients)
            .values_list("pk", "referred_by_id")
        )
    indirect = pm.indirect_values(referrers, referred_gm, settings.referral_share)

    def in_portfolio(cid):
        status = clients[cid]["status"]
        if status == Client.Status.PROSPECT:
            return False
        f = figures[cid]
        return not (status == Client.Status.FORMER and f.revenue == 0 and f.service_minutes == 0)

    members = {cid: figures[cid] for cid in clients if in_portfolio(cid)}
    revenue = {cid: f.revenue for cid, f in members.items()}
    gross = {cid: f.gross_margin for cid, f in members.items()}
    net = {cid: f.net_profit for cid, f in members.items()}
    per_hour = {cid: f.profit_per_hour for cid, f in members.items()}
    overheads = money(settings.overheads_per_month * period_month_count)
    overhead = pm.overhead_shares(members, overheads, settings.overhead_allocation)
    rank_np, rank_r, rank_gm, rank_hour = (pm.ranks(v) for v in (net, revenue, gross, per_hour))
    cum_r = pm.cumulative_shares(revenue, pm.ranked(revenue))
    cum_np = pm.cumulative_shares(net, pm.ranked(net))
    classes = pm.abc_classes(revenue, settings.class_a, settings.class_b)
    tier_result = pm.tiers(
        gross,
        boundaries=settings.boundaries,
        trimmed_share=settings.trimmed_share,
        acquisition_costs=[clients[cid]["acquisition_cost"] for cid in members],
        cost_per_day=staff_day_cost(settings.hours_per_day),
    )
    top_tier = [members[cid] for cid, tier in tier_result.tier.items() if tier == 1]
    pareto = pm.pareto(revenue, net)
    whale = pm.whale_curve(net)
    conc = pm.concentration(revenue, settings.limits)
    previous_np = previous_np or {}

    results = {}
    for cid, client in clients.items():
        f = figures[cid]
        row = rows.get(cid, EMPTY_ROW)
        member = cid in members
        ageing = [row.ageing_0, row.ageing_1, row.ageing_2, row.ageing_3, row.ageing_4]
        open_receivables = sum(ageing, ZERO)
        paid = row.paid
        lifetime_np = _lifetime(row, client=client, settings=settings, as_of=as_of)
        acq_cost = client["acquisition_cost"]
        contribution = (f.net_profit + f.acquisition_share) / period_month_count
        oh = overhead.get(cid, ZERO)
        iv = indirect.get(cid, ZERO)
        levers = pm.break_even(f)
        values = {
            "net_margin": f.net_margin,
            "overhead_share": oh,
            "net_profit_after_overhead": f.net_profit - oh,
            "indirect_value": iv,
            "net_profit_with_indirect": f.net_profit + iv,
            "profit_per_hour": f.profit_per_hour,
            "average_days_late": ratio(row.paid_late_x / paid) if paid else None,
            "average_days_to_pay": ratio(row.paid_days_x / paid) if paid else None,
            "open_receivables": open_receivables,
            "open_overdue": sum(ageing[1:], ZERO),
            "ageing_current": ageing[0],
            "ageing_1": ageing[1],
            "ageing_2": ageing[2],
            "ageing_3": ageing[3],
            "ageing_4": ageing[4],
            "dso": ratio(open_receivables / f.revenue * period_days) if f.revenue > 0 else None,
            "lifetime_net_profit": lifetime_np,
            "lifetime_roi": ratio(lifetime_np / acq_cost) if acq_cost else None,
            "payback_months": ratio(acq_cost / contribution) if acq_cost and contribution > 0 else None,
            "rank_net_profit": rank_np.get(cid),
            "rank_revenue": rank_r.get(cid),
            "rank_gross_margin": rank_gm.get(cid),
            "rank_profit_per_hour": rank_hour.get(cid),
            "cumulative_share_revenue": ratio(cum_r[cid]) if cum_r.get(cid) is not None else None,
            "cumulative_share_net_profit": ratio(cum_np[cid]) if cum_np.get(cid) is not None else None,
            "abc_class": classes.get(cid, ""),
            "tier": tier_result.tier.get(cid),
            "is_unprofitable": member and pm.is_unprofitable(f),
            "is_marginal": member and pm.is_marginal(f, settings.marginal_below),
            "is_declining": member
            and pm.is_declining(
                _last_months(monthly_np.get(cid, {}), client, settings, as_of),
                previous_np.get(cid),
                f.net_profit,
            ),
            "breakeven_price_increase": levers.price_increase if levers else None,
            "breakeven_hours_to_cut": levers.hours_to_cut if levers else None,
            "breakeven_by_prompt_payment": bool(levers and levers.delay_removal_suffices),
            "effort_budget": None,
            "effort_spent": None,
            "over_budget": False,
        }
        if client["status"] == Client.Status.PROSPECT:
            spent = row.life_cost_to_serve
            values["effort_spent"] = spent
            estimate = client["estimated_annual_margin"]
            if estimate is not None:
                tier = tier_result.of(estimate)
                values["tier"] = tier
                values["effort_budget"] = tier_result.effort_budget[tier - 1]
                values["over_budget"] = spent > values["effort_budget"]
        if not member:
            values["is_declining"] = False
        results[cid] = ClientResult(
            client_id=cid, status=client["status"], in_portfolio=member, figures=f, values=values
        )

    member_results = [results[cid] for cid in members]
    prospects = [r for r in results.values() if r.status == Client.Status.PROSPECT]
    total_np = sum(net.values(), ZERO)
    portfolio = {
        "clients": len(members),
        "revenue": sum(revenue.values(), ZERO),
        "gross_margin": sum(gross.values(), ZERO),
        "net_profit": total_np,
        "overheads": overheads,
        "net_profit_after_overhead": total_np - sum(overhead.values(), ZERO),
        "service_minutes": sum(f.service_minutes for f in members.values()),
        "top20_share_revenue": pareto.top_share_revenue,
        "top20_share_net_profit": pareto.top_share_net_profit,
        "top_clients": pareto.top_clients,
        "clients_for_80_percent": pareto.clients_for_80,
        "class_counts": {k: sum(1 for c in classes.values() if c == k) for k in "ABC"},
        "whale_peak_client_share": whale.peak_client_share,
        "whale_peak_profit_share": whale.peak_profit_share,
        "whale_curve": sample_points(whale.points),
        "pareto_curve": sample_points(pareto_points(revenue)),
        "mean_gross_margin": tier_result.mean_gross_margin,
        "tier_thresholds": [str(t) for t in tier_result.thresholds],
        "tier_counts": tier_result.counts,
        "tier_multipliers": [str(m) for m in tier_result.multipliers],
        "mean_acquisition_cost": tier_result.mean_acquisition_cost,
        "day_cost": tier_result.day_cost,
        "effort_budget": [str(b) for b in tier_result.effort_budget],
        "effort_days": [None if d is None else str(d) for d in tier_result.effort_days],
        "top_tier_profit_per_hour": pm.np_per_hour(top_tier),
        "top1_share": conc.top1,
        "top5_share": conc.top5,
        "top10_share": conc.top10,
        "hhi": conc.hhi,
        "concentration_levels": conc.levels,
        "unprofitable": sum(1 for r in member_results if r.values["is_unprofitable"]),
        "marginal": sum(1 for r in member_results if r.values["is_marginal"]),
        "declining": sum(1 for r in member_results if r.values["is_declining"]),
        "prospects": len(prospects),
        "prospects_over_budget": sum(1 for r in prospects if r.values["over_budget"]),
    }
    return Result(as_of=as_of, start=start, end=end, settings=settings, clients=results, portfolio=portfolio)


def declining_months(as_of: dt.date) -> list[int]:
    """The four complete calendar months before the as-of month, oldest first (month indexes)."""
    current = month_index(as_of)
    return [current - 4, current - 3, current - 2, current - 1]


def _last_months(by_month: dict[int, Decimal], client, settings: Settings, as_of: dt.date) -> list[Decimal]:
    values = []
    for index in declining_months(as_of):
        share = amortised_months(client["acquired_on"], settings.amortisation_months, index, index)
        aq = money(client["acquisition_cost"] * share / settings.amortisation_months)
        values.append(by_month.get(index, ZERO) - aq)
    return values


def pareto_points(revenue):
    order = pm.ranked(revenue)
    shares = pm.cumulative_shares(revenue, order)
    n = len(order)
    points = [(ZERO, ZERO)]
    for position, cid in enumerate(order, start=1):
        if shares[cid] is None:
            return []
        points.append((ratio(Decimal(position) / n), ratio(shares[cid])))
    return points


def sample_points(points, count=100):
    """At most ``count`` + 1 points, evenly spread, first and last kept, as JSON-ready strings."""
    if len(points) > count + 1:
        step = (len(points) - 1) / count
        points = [points[round(i * step)] for i in range(count + 1)]
    return [[str(x), str(y)] for x, y in points]


# Monthly figures ---------------------------------------------------------------------------------


def month_rows_insert(*, run_id: int, as_of: dt.date, months: int, settings: Settings) -> int:
    """Write the monthly figures of the last ``months`` calendar months from the temporary table, in
    the database (INSERT ... SELECT), so that millions of rows never travel through Python.

    Each figure is rounded to cents so that NP = GM - CTS - DE - AQ - LPC - BD holds on every row;
    the acquisition share runs by calendar month from the month of acquisition. Returns the
    number of rows written.
    """
    from audits.models import ClientMonthSnapshot

    since = month_start(month_index(as_of) - months + 1)
    ops = connection.ops
    parts_sql, offset_params = [], []
    for lookup, column in (
        ("year", "g.month"),
        ("month", "g.month"),
        ("year", "c.acquired_on"),
        ("month", "c.acquired_on"),
    ):
        extract_sql, extract_params = ops.date_extract_sql(lookup, column, ())
        parts_sql.append(extract_sql)
        offset_params.extend(extract_params)
    year_sql, mon_sql, acq_year, acq_mon = parts_sql
    offset = f"(({year_sql}) * 12 + ({mon_sql}) - ({acq_year}) * 12 - ({acq_mon}))"
    figures = _month_money_sql(settings)
    gm, gm_params = figures["gross_margin"]
    cts, de, bd = (figures[name][0] for name in ("cost_to_serve", "direct_expenses", "bad_debt"))
    lpc, lpc_params = figures["late_payment_cost"]
    aq = (
        f"CASE WHEN c.acquired_on IS NOT NULL AND {offset} >= 0 AND {offset} < %s "
        "THEN ROUND(c.acquisition_cost * 1.0 / %s, 2) ELSE 0 END"
    )
    aq_params = [*offset_params, *offset_params, settings.amortisation_months, settings.amortisation_months]
    # Each figure is computed once, in a subquery kept apart from the outer SELECT that subtracts
    # them (on PostgreSQL, OFFSET 0 stops the planner from inlining it and so computing every
    # figure twice).
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    statement = f"""
        INSERT INTO {ClientMonthSnapshot._meta.db_table} (run_id, as_of, client_id, month, revenue,
            gross_margin, cost_to_serve, direct_expenses, acquisition_share, late_payment_cost, bad_debt,
            net_profit, service_minutes, paid_amount, average_days_late, average_days_to_pay)
        SELECT %s, %s, f.client_id, f.month, f.revenue, f.gm, f.cts, f.de, f.aq, f.lpc, f.bd,
            f.gm - f.cts - f.de - f.aq - f.lpc - f.bd, f.minutes, f.paid, f.days_late, f.days_to_pay
        FROM (
            SELECT g.client_id, g.month, ROUND(g.m_revenue, 2) AS revenue, {gm} AS gm, {cts} AS cts,
                {de} AS de, {aq} AS aq, {lpc} AS lpc, {bd} AS bd, g.m_minutes AS minutes,
                ROUND(g.m_paid, 2) AS paid,
                CASE WHEN g.m_paid > 0 THEN ROUND(g.m_paid_late_x * 1.0 / g.m_paid, 6) END AS days_late,
                CASE WHEN g.m_paid > 0 THEN ROUND(g.m_paid_days_x * 1.0 / g.m_paid, 6) END AS days_to_pay
            FROM {LEDGER_TABLE} g
            JOIN {Client._meta.db_table} c ON c.id = g.client_id
            WHERE g.month >= %s{fence}
        ) f
    """
    params = [
        run_id,
        ops.adapt_datefield_value(as_of),
        *gm_params,
        *aq_params,
        *lpc_params,
        ops.adapt_datefield_value(since),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount
