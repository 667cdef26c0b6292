"""The profitability engine: every figure of DESIGN section 4, set-based.

A computation runs a constant number of queries whatever the number of clients: one aggregate
query per ledger table grouped by client (conditional aggregation gives the period, the lifetime
and the ageing buckets in one pass), plus the client list and the settings. The portfolio maths
then runs in Python on those per-client figures (``audits.portfolio``).

Two quantities are linear in the payments, which keeps them set-based without a per-invoice
sub-aggregate: the unpaid remainder of an invoice is (amount - written off) - sum of its payments,
so "remainder x days overdue" and the ageing buckets are invoice sums minus payment sums.

The same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
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
    for prefix, condition in (("", in_period), ("life_", lifetime)):
        sums |= {
            f"{prefix}revenue": _sum("amount", condition),
            f"{prefix}amount_known": _sum("amount", condition & known),
            f"{prefix}cost_known": _sum("cost_of_sales", condition & known),
            f"{prefix}amount_blank": _sum("amount", condition & ~known),
            f"{prefix}bad_debt": _sum("written_off", condition),
            f"{prefix}overdue_x": _sum(overdue, condition & owed),
        }
    for index, condition in enumerate(_ageing_conditions(as_of, ageing, "due_on")):
        sums[f"ageing_{index}"] = _sum(open_part, condition & owed)
    return queryset.order_by().values("client_id").annotate(**sums)


def _payment_sums(*, scope, start, end, as_of, ageing):
    in_period = Q(invoice__issued_on__gte=start, invoice__issued_on__lte=end)
    lifetime = Q(invoice__client__acquired_on__isnull=True) | Q(
        invoice__issued_on__gte=F("invoice__client__acquired_on")
    )
    paid_in_period = Q(paid_on__gte=start, paid_on__lte=end)
    late = F("amount") * _days_late(F("paid_on"), F("invoice__due_on"))
    overdue = F("amount") * _days_late(_date(as_of), F("invoice__due_on"))
    queryset = _scoped(
        Payment.objects.filter(paid_on__lte=as_of, invoice__issued_on__lte=as_of, invoice__amount__gt=0),
        scope,
        "invoice__client",
    )
    sums = {}
    for prefix, condition in (("", in_period), ("life_", lifetime)):
        sums |= {f"{prefix}late_x": _sum(late, condition), f"{prefix}overdue_x": _sum(overdue, condition)}
    sums |= {
        "paid": _sum("amount", paid_in_period),
        "paid_late_x": _sum(late, paid_in_period),
        "paid_days_x": _sum(F("amount") * DaysBetween(F("paid_on"), F("invoice__issued_on")), paid_in_period),
    }
    for index, condition in enumerate(_ageing_conditions(as_of, ageing, "invoice__due_on")):
        sums[f"ageing_{index}"] = _sum("amount", condition)
    return queryset.order_by().values(client_id=F("invoice__client_id")).annotate(**sums)


def _expense_sums(*, scope, start, end, as_of):
    lifetime = Q(client__acquired_on__isnull=True) | Q(spent_on__gte=F("client__acquired_on"))
    return (
        _scoped(Expense.objects.filter(spent_on__lte=as_of), scope)
        .order_by()
        .values("client_id")
        .annotate(
            expenses=_sum("amount", Q(spent_on__gte=start, spent_on__lte=end)),
            life_expenses=_sum("amount", lifetime),
        )
    )


def _scope_sql(scope):
    if scope is None:
        return "", ()
    sql, params = scope.values("pk").query.sql_with_params()
    return f" AND i.client_id IN ({sql})", params


def interaction_costs_sql(*, scope, since: dt.date, until: dt.date, period_start: dt.date, by_month: bool):
    """Minutes and cost (minutes x hourly cost in force that day) of interactions, per client, or per
    client and local calendar month.

    Raw SQL, and the only place it is written: each interaction takes the staff member's hourly
    cost in force on its (local) date, a range join against the staff-cost history (valid from one
    row's date to the next's, found with LEAD). The ORM can say this only as a correlated subquery
    per interaction (millions of index probes a night); as a join, PostgreSQL hashes the small
    staff-cost table once. The date and month expressions come from Django's backend operations,
    so the statement runs on SQLite and PostgreSQL alike. Costs are returned x 60 (divide once).

    Returns (sql, params). Columns: client_id, [month,] minutes, cost_x60, life_cost_x60.
    """
    tzname = timezone.get_current_timezone_name()
    ops = connection.ops
    day_sql, day_params = ops.datetime_cast_date_sql("i.started_at", (), tzname)
    scope_sql, scope_params = _scope_sql(scope)
    staff_cost = StaffCost._meta.db_table
    interaction = Client.interactions.rel.related_model._meta.db_table
    client = Client._meta.db_table
    if by_month:
        month_sql, month_params = ops.date_trunc_sql("month", day_sql, day_params)
        if connection.vendor == "postgresql":
            month_sql = f"CAST({month_sql} AS date)"
        group = f", {month_sql} AS month"
        group_params = month_params
        group_by = ", 2"
    else:
        group, group_params, group_by = "", (), ""
    sql = f"""
        WITH rate AS (
            SELECT user_id, effective_from AS valid_from,
                   LEAD(effective_from) OVER (PARTITION BY user_id ORDER BY effective_from) AS valid_to,
                   hourly_cost
            FROM {staff_cost}
        )
        SELECT i.client_id{group},
               SUM(CASE WHEN i.started_at >= %s THEN i.duration_minutes ELSE 0 END) AS minutes,
               SUM(CASE WHEN i.started_at >= %s THEN i.duration_minutes * COALESCE(r.hourly_cost, 0)
                   ELSE 0 END) AS cost_x60,
               SUM(CASE WHEN c.acquired_on IS NULL OR {day_sql} >= c.acquired_on
                   THEN i.duration_minutes * COALESCE(r.hourly_cost, 0) ELSE 0 END) AS life_cost_x60
        FROM {interaction} i
        JOIN {client} c ON c.id = i.client_id
        LEFT JOIN rate r ON r.user_id = i.staff_id AND r.valid_from <= {day_sql}
             AND (r.valid_to IS NULL OR {day_sql} < r.valid_to)
        WHERE i.started_at >= %s AND i.started_at < %s{scope_sql}
        GROUP BY i.client_id{group_by}
    """
    start_dt, since_dt, until_dt = (
        local_midnight(d) for d in (period_start, since, until + dt.timedelta(days=1))
    )
    params = (
        *group_params,
        start_dt,
        start_dt,
        *day_params,
        *day_params,
        *day_params,
        since_dt,
        until_dt,
        *scope_params,
    )
    return sql, params


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [col[0] for col in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


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


def ledger_rows(*, scope, start, end, as_of, settings: Settings) -> dict[int, dict]:
    """Per-client raw sums from the ledger tables (four aggregate queries)."""
    rows: dict[int, dict] = defaultdict(dict)
    for queryset in (
        _invoice_sums(scope=scope, start=start, end=end, as_of=as_of, ageing=settings.ageing),
        _expense_sums(scope=scope, start=start, end=end, as_of=as_of),
    ):
        for row in queryset:
            rows[row.pop("client_id")].update(row)
    for row in _payment_sums(scope=scope, start=start, end=end, as_of=as_of, ageing=settings.ageing):
        target = rows[row.pop("client_id")]
        for key, value in row.items():
            target[f"pay_{key}"] = value
    sql, params = interaction_costs_sql(
        scope=scope, since=dt.date(1, 1, 2), until=as_of, period_start=start, by_month=False
    )
    for row in _fetch(sql, params):
        rows[row.pop("client_id")].update(row)
    return rows


def client_figures(cid, row, *, client, settings: Settings, months: tuple[int, int]) -> ClientFigures:
    get = lambda key: _dec(row.get(key))  # noqa: E731
    gross_margin = get("amount_known") - get("cost_known") + get("amount_blank") * settings.margin_rate
    late_x = get("pay_late_x") + get("overdue_x") - get("pay_overdue_x")
    aq_months = amortised_months(client["acquired_on"], settings.amortisation_months, *months)
    return ClientFigures(
        client_id=cid,
        revenue=money(get("revenue")),
        gross_margin=money(gross_margin),
        cost_to_serve=money(get("cost_x60") / 60),
        direct_expenses=money(get("expenses")),
        acquisition_share=money(client["acquisition_cost"] * aq_months / settings.amortisation_months),
        late_payment_cost=money(late_x * settings.late_rate / DAYS_PER_YEAR),
        bad_debt=money(get("bad_debt")),
        service_minutes=int(row.get("minutes") or 0),
    )


def _lifetime(row, *, client, settings: Settings, as_of: dt.date) -> Decimal:
    get = lambda key: _dec(row.get(key))  # noqa: E731
    gross_margin = (
        get("life_amount_known") - get("life_cost_known") + get("life_amount_blank") * settings.margin_rate
    )
    late_x = get("pay_life_late_x") + get("life_overdue_x") - get("pay_life_overdue_x")
    acquired = client["acquired_on"]
    aq_months = (
        amortised_months(acquired, settings.amortisation_months, month_index(acquired), month_index(as_of))
        if acquired
        else 0
    )
    return (
        money(gross_margin)
        - money(get("life_cost_x60") / 60)
        - money(get("life_expenses"))
        - money(client["acquisition_cost"] * aq_months / settings.amortisation_months)
        - money(late_x * settings.late_rate / DAYS_PER_YEAR)
        - money(get("life_bad_debt"))
    )


def compute(
    *,
    as_of: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    scope=None,
    cost_settings: CostSettings | None = None,
    previous_np: dict[int, Decimal] | None = None,
    monthly_np: dict[int, dict[int, Decimal]] | None = None,
) -> Result:
    """Every figure of DESIGN section 4 for the clients in ``scope`` (a Client queryset, or all).

    ``previous_np`` (client -> NP of the previous snapshot) and ``monthly_np`` (client -> month
    index -> NP, for the four complete months before the as-of month) feed the "declining" flag;
    a month without a row had no ledger activity, so its NP is minus its acquisition share.
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
    rows = ledger_rows(scope=scope, start=start, end=end, as_of=as_of, settings=settings)
    months = period_months(start, end)
    period_days = (end - start).days + 1
    period_month_count = Decimal(max(1, months[1] - months[0] + 1))
    figures = {
        cid: client_figures(cid, rows.get(cid, {}), client=client, settings=settings, months=months)
        for cid, client in clients.items()
    }
    # Gross margin of clients outside the scope that a client in scope referred.
    referred_gm = {cid: f.gross_margin for cid, f in figures.items()}
    for cid, row in rows.items():
        if cid not in clients:
            get = lambda key, row=row: _dec(row.get(key))  # noqa: E731
            referred_gm[cid] = money(
                get("amount_known") - get("cost_known") + get("amount_blank") * settings.margin_rate
            )
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
    monthly_np = monthly_np or {}

    results = {}
    for cid, client in clients.items():
        f = figures[cid]
        row = rows.get(cid, {})
        get = lambda key, row=row: _dec(row.get(key))  # noqa: E731
        member = cid in members
        ageing = [money(get(f"ageing_{i}") - get(f"pay_ageing_{i}")) for i in range(5)]
        open_receivables = sum(ageing, ZERO)
        paid = get("pay_paid")
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
            "average_days_late": ratio(get("pay_paid_late_x") / paid) if paid else None,
            "average_days_to_pay": ratio(get("pay_paid_days_x") / paid) if paid else None,
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
            spent = money(get("life_cost_x60") / 60)
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
        "whale_curve": _sample(whale.points),
        "pareto_curve": _sample(_pareto_points(revenue)),
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
        if index in by_month:
            values.append(by_month[index])
        else:
            share = amortised_months(client["acquired_on"], settings.amortisation_months, index, index)
            values.append(-money(client["acquisition_cost"] * share / settings.amortisation_months))
    return values


def _pareto_points(revenue):
    order = pm.ranked(revenue)
    shares = pm.cumulative_shares(revenue, order)
    n = len(order)
    points = [(ZERO, ZERO)]
    for position, cid in enumerate(order, start=1):
        if shares[cid] is None:
            return []
        points.append((ratio(Decimal(position) / n), ratio(shares[cid])))
    return points


def _sample(points, count=100):
    """At most ``count`` + 1 points, evenly spread, first and last kept, as JSON-ready strings."""
    if len(points) > count + 1:
        step = (len(points) - 1) / count
        points = [points[round(i * step)] for i in range(count + 1)]
    return [[str(x), str(y)] for x, y in points]


# Monthly figures ---------------------------------------------------------------------------------

MONTH_COLUMNS = (
    "revenue",
    "amount_known",
    "cost_known",
    "amount_blank",
    "bad_debt",
    "late_x",
    "expenses",
    "minutes",
    "cost_x60",
    "paid",
    "paid_late_x",
)


def _month_components(*, since, as_of):
    """The ORM aggregates behind the monthly trend, each grouped by client and month."""
    owed = Q(amount__gt=0)
    open_part = F("amount") - F("written_off")
    known = Q(cost_of_sales__isnull=False)
    invoices = (
        Invoice.objects.filter(issued_on__gte=since, issued_on__lte=as_of)
        .order_by()
        .values("client_id", month=TruncMonth("issued_on"))
        .annotate(
            revenue=_sum("amount"),
            amount_known=_sum("amount", known),
            cost_known=_sum("cost_of_sales", known),
            amount_blank=_sum("amount", ~known),
            bad_debt=_sum("written_off"),
            late_x=_sum(open_part * _days_late(_date(as_of), F("due_on")), owed),
        )
    )
    payments = Payment.objects.filter(paid_on__lte=as_of, invoice__amount__gt=0).order_by()
    late = F("amount") * _days_late(F("paid_on"), F("invoice__due_on"))
    by_issue = (
        payments.filter(invoice__issued_on__gte=since, invoice__issued_on__lte=as_of)
        .values(client_id=F("invoice__client_id"), month=TruncMonth("invoice__issued_on"))
        .annotate(late_x=_sum(late - F("amount") * _days_late(_date(as_of), F("invoice__due_on"))))
    )
    by_payment = (
        payments.filter(paid_on__gte=since)
        .values(client_id=F("invoice__client_id"), month=TruncMonth("paid_on"))
        .annotate(paid=_sum("amount"), paid_late_x=_sum(late))
    )
    expenses = (
        Expense.objects.filter(spent_on__gte=since, spent_on__lte=as_of)
        .order_by()
        .values("client_id", month=TruncMonth("spent_on"))
        .annotate(expenses=_sum("amount"))
    )
    return [q.query.sql_with_params() for q in (invoices, by_issue, by_payment, expenses)]


def month_rows_insert(*, run_id: int, as_of: dt.date, months: int, settings: Settings) -> int:
    """Write the monthly figures of the last ``months`` calendar months for every client, in the
    database (INSERT ... SELECT): millions of rows at scale never travel through Python.

    The components are ORM aggregates compiled to SQL; this function unions them, adds the
    interaction costs and the acquisition share, and rounds each figure to cents so that
    NP = GM - CTS - DE - AQ - LPC - BD holds on every row. Returns the number of rows written.
    """
    from audits.models import ClientMonthSnapshot

    first = month_index(as_of) - months + 1
    since = month_start(first)
    parts = []
    params: list = []
    is_pg = connection.vendor == "postgresql"
    for sql, component_params in _month_components(since=since, as_of=as_of):
        columns = _component_columns(sql)
        select = ", ".join(c if c in columns else f"0 AS {c}" for c in MONTH_COLUMNS)
        month = "CAST(x.month AS date)" if is_pg else "x.month"
        parts.append(f"SELECT x.client_id, {month} AS month, {select} FROM ({sql}) x")
        params.extend(component_params)
    sql, interaction_params = interaction_costs_sql(
        scope=None, since=since, until=as_of, period_start=since, by_month=True
    )
    select = ", ".join(c if c in ("minutes", "cost_x60") else f"0 AS {c}" for c in MONTH_COLUMNS)
    parts.append(f"SELECT x.client_id, x.month, {select} FROM ({sql}) x")
    params.extend(interaction_params)
    union = " UNION ALL ".join(parts)
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
    table = ClientMonthSnapshot._meta.db_table
    money_sql = {
        "revenue": "ROUND(g.revenue, 2)",
        "gross_margin": "ROUND(g.amount_known - g.cost_known + g.amount_blank * %s, 2)",
        "cost_to_serve": "ROUND(g.cost_x60 / 60.0, 2)",
        "direct_expenses": "ROUND(g.expenses, 2)",
        "acquisition_share": (
            f"CASE WHEN c.acquired_on IS NOT NULL AND {offset} >= 0 AND {offset} < %s "
            "THEN ROUND(c.acquisition_cost * 1.0 / %s, 2) ELSE 0 END"
        ),
        "late_payment_cost": "ROUND(g.late_x * %s / 365.0, 2)",
        "bad_debt": "ROUND(g.bad_debt, 2)",
    }
    money_params = {
        "gross_margin": [settings.margin_rate],
        "acquisition_share": [
            *offset_params,
            *offset_params,
            settings.amortisation_months,
            settings.amortisation_months,
        ],
        "late_payment_cost": [settings.late_rate],
    }
    select_money = []
    select_params: list = []
    for name, expression in money_sql.items():
        select_money.append(expression)
        select_params.extend(money_params.get(name, []))
    gm, cts, de, aq, lpc, bd = select_money[1:]
    np_params = (
        money_params["gross_margin"] + money_params["acquisition_share"] + money_params["late_payment_cost"]
    )
    statement = f"""
        INSERT INTO {table} (run_id, as_of, client_id, month, revenue, gross_margin, cost_to_serve,
            direct_expenses, acquisition_share, late_payment_cost, bad_debt, net_profit, service_minutes,
            paid_amount, average_days_late)
        SELECT %s, %s, g.client_id, g.month, {", ".join(select_money)},
            {gm} - {cts} - {de} - {aq} - {lpc} - {bd},
            g.minutes, ROUND(g.paid, 2),
            CASE WHEN g.paid > 0 THEN ROUND(g.paid_late_x * 1.0 / g.paid, 6) END
        FROM (
            SELECT u.client_id, u.month, {", ".join(f"SUM(u.{c}) AS {c}" for c in MONTH_COLUMNS)}
            FROM ({union}) u
            GROUP BY u.client_id, u.month
        ) g
        JOIN {Client._meta.db_table} c ON c.id = g.client_id
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, [run_id, as_of, *select_params, *np_params, *params])
        return cursor.rowcount


def _component_columns(sql: str) -> set[str]:
    return {c for c in MONTH_COLUMNS if f'AS "{c}"' in sql or f"AS {c}" in sql}
