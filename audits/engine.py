"""The profitability engine: every figure of DESIGN section 4, set-based.

A computation runs a constant number of queries whatever the number of clients: the ledger pass
(``audits.ledger``, the reviewed raw SQL) reads each ledger table once into small per-client,
per-month tables, writes the monthly snapshot rows in the database and returns one row of
figures per client; the portfolio maths then runs in Python on those figures
(``audits.portfolio``).

The same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count, OuterRef, Subquery, Sum

from audits import ledger
from audits import portfolio as pm
from audits.ledger import local_midnight  # noqa: F401 (part of the engine's API)
from audits.portfolio import ZERO, ClientFigures, money, ratio
from clients.models import Client, CostSettings, StaffCost
from clients.periods import add_months, month_index, month_start, period_months, rolling_period  # noqa: F401

DAYS_PER_YEAR = Decimal(365)


# Dates -------------------------------------------------------------------------------------------


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
    """A client's figures from the ledger pass, rounded in SQL (see ``audits.ledger``)."""

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
    activity: int = 0  # invoices, expenses and interactions in the period (component rows)
    recent_np: tuple = (ZERO, ZERO, ZERO, ZERO)  # NP before acquisition share, declining_months()


EMPTY_ROW = LedgerRow()


def ledger_rows(rows: list[tuple]) -> dict[int, LedgerRow]:
    """The ledger pass's rows by client (``audits.ledger.client_rows_sql`` gives their columns).

    PostgreSQL returns decimals and integers already (every column is COALESCEd); SQLite may
    return floats or NULLs, which are converted."""
    if connection.vendor == "postgresql":
        return {row[0]: LedgerRow(*row[1:19], row[19:]) for row in rows}
    return {
        row[0]: LedgerRow(
            *(_dec(v) for v in row[1:7]),
            int(row[7] or 0),
            *(_dec(v) for v in row[8:18]),
            int(row[18] or 0),
            tuple(_dec(v) for v in row[19:]),
        )
        for row in rows
    }


def client_figures(
    cid, row: LedgerRow, *, client, settings: Settings, months: tuple[int, int]
) -> ClientFigures:
    share = ZERO
    if client["acquisition_cost"]:
        aq_months = amortised_months(client["acquired_on"], settings.amortisation_months, *months)
        share = money(client["acquisition_cost"] * aq_months / settings.amortisation_months)
    return ClientFigures(
        client_id=cid,
        revenue=row.revenue,
        gross_margin=row.gross_margin,
        cost_to_serve=row.cost_to_serve,
        direct_expenses=row.direct_expenses,
        acquisition_share=share,
        late_payment_cost=row.late_payment_cost,
        bad_debt=row.bad_debt,
        service_minutes=row.minutes,
    )


def _lifetime(row: LedgerRow, *, client, settings: Settings, as_of: dt.date) -> Decimal:
    acquired = client["acquired_on"]
    if not acquired or not client["acquisition_cost"]:
        return row.life_operating
    aq_months = amortised_months(
        acquired, settings.amortisation_months, month_index(acquired), month_index(as_of)
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
    split: bool = False,
) -> Result:
    """Every figure of DESIGN section 4 for the clients in ``scope`` (a Client queryset, or all).

    ``previous_np`` (client -> NP of the previous snapshot) feeds the "declining" flag. With a
    ``run_id``, the monthly figures of the last ``trend_months`` months are written for that run.
    With ``split`` (PostgreSQL, called at the start of a REPEATABLE READ transaction), a large
    portfolio's ledger pass is shared between this connection and a second one.
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
    window = ledger.Window(
        start=start,
        end=end,
        as_of=as_of,
        since=month_start(month_index(as_of) - trend_months + 1),
        ageing=tuple(settings.ageing),
        margin_rate=settings.margin_rate,
    )
    recent = declining_months(as_of)
    part = ledger.Part(
        window=window,
        late_rate=settings.late_rate,
        amortisation_months=settings.amortisation_months,
        months=[month_start(m) for m in recent],
        scope=scope,
        run_id=run_id,
    )
    split_at = None
    if split and len(clients) >= django_settings.PROFITABILITY_SPLIT_MIN_CLIENTS:
        split_at = sorted(clients)[len(clients) // 2]
    # Everything the portfolio maths reads from the database, read before the ledger pass (which
    # may lend this connection to its writer thread while the maths runs).
    referred_outside = {}
    if scope is not None:
        # Clients outside the scope that a client in scope referred (their GM is indirect value).
        referred_outside = dict(
            Client.objects.filter(referred_by__in=scope.values("pk"))
            .exclude(pk__in=clients)
            .values_list("pk", "referred_by_id")
        )
    day_cost = staff_day_cost(settings.hours_per_day)
    with ledger.Pass(part, split_at=split_at) as ledger_pass:
        rows = ledger_rows(ledger_pass.rows())
        if run_id is not None:
            ledger_pass.write_months(background=True)
        return _portfolio(
            as_of=as_of,
            start=start,
            end=end,
            settings=settings,
            clients=clients,
            rows=rows,
            referred_outside=referred_outside,
            day_cost=day_cost,
            previous_np=previous_np,
        )


def _portfolio(
    *, as_of, start, end, settings, clients, rows, referred_outside, day_cost, previous_np
) -> Result:
    """The per-client values and the portfolio figures, in Python, from the ledger pass's rows."""
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
    referrers = {cid: c["referred_by_id"] for cid, c in clients.items()} | referred_outside
    indirect = pm.indirect_values(referrers, referred_gm, settings.referral_share)

    def active(cid):
        """Any invoice (credit notes included), expense or interaction in the period, or an
        overdue amount (open at the as-of date, or overdue for some days of the period, which is
        what a late-payment cost counts): a client who only costs hours is active."""
        row = rows.get(cid, EMPTY_ROW)
        overdue = row.ageing_1 + row.ageing_2 + row.ageing_3 + row.ageing_4
        return row.activity > 0 or overdue > 0 or row.late_payment_cost > 0

    # Ranked, flagged and on the whale curve: the clients (not prospects) active in the period.
    # Dormant: clients neither prospects nor former with no activity at all, counted apart.
    members, dormant = {}, 0
    for cid, client in clients.items():
        if client["status"] == Client.Status.PROSPECT:
            continue
        if active(cid):
            members[cid] = figures[cid]
        elif client["status"] != Client.Status.FORMER:
            dormant += 1
    revenue = pm.Figures((cid, f.revenue) for cid, f in members.items())
    gross = pm.Figures((cid, f.gross_margin) for cid, f in members.items())
    net = pm.Figures((cid, f.net_profit) for cid, f in members.items())
    # Shares of revenue (Pareto, ABC, concentration) and tiers: the clients with revenue > 0.
    earning = pm.with_revenue(revenue)
    per_hour = {cid: f.profit_per_hour for cid, f in members.items()}
    overheads = money(settings.overheads_per_month * period_month_count)
    overhead = pm.overhead_shares(members, overheads, settings.overhead_allocation)
    rank_np, rank_r, rank_gm, rank_hour = (pm.ranks(v) for v in (net, revenue, gross, per_hour))
    cum_r = pm.cumulative_shares(earning, pm.ranked(earning))
    cum_np = pm.cumulative_shares(net, pm.ranked(net))
    classes = pm.abc_classes(earning, settings.class_a, settings.class_b)
    tier_result = pm.tiers(
        {cid: gross[cid] for cid in earning},
        boundaries=settings.boundaries,
        trimmed_share=settings.trimmed_share,
        acquisition_costs=[clients[cid]["acquisition_cost"] for cid in members],
        cost_per_day=day_cost,
    )
    top_tier = [members[cid] for cid, tier in tier_result.tier.items() if tier == 1]
    pareto = pm.pareto(earning, net)
    whale = pm.whale_curve(net)
    conc = pm.concentration(earning, settings.limits)
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
        net_margin = f.net_margin
        share_r, share_np = cum_r.get(cid), cum_np.get(cid)
        values = {
            "net_margin": net_margin,
            "overhead_share": oh,
            "net_profit_after_overhead": f.net_profit - oh,
            "indirect_value": iv,
            "net_profit_with_indirect": f.net_profit + iv,
            "profit_per_hour": per_hour[cid] if member else f.profit_per_hour,
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
            "cumulative_share_revenue": None if share_r is None else ratio(share_r),
            "cumulative_share_net_profit": None if share_np is None else ratio(share_np),
            "abc_class": classes.get(cid, ""),
            "tier": tier_result.tier.get(cid),
            "is_unprofitable": member and pm.is_unprofitable(f),
            "is_marginal": member and pm.is_marginal(f, settings.marginal_below),
            "is_declining": member
            and pm.is_declining(
                _last_months(row.recent_np, client, settings, as_of),
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
        "clients_with_revenue": len(earning),
        "dormant": dormant,
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
        "pareto_curve": sample_points(pareto_points(earning, shares=cum_r, count=100)),
        "mean_gross_margin": tier_result.mean_gross_margin,
        "tier_thresholds": [str(t) for t in tier_result.thresholds],
        "tier_counts": tier_result.counts,
        "tier_multipliers": [str(m) for m in tier_result.multipliers],
        "mean_acquisition_cost": tier_result.mean_acquisition_cost,
        "acquisition_costs_known": tier_result.acquisition_costs_known,
        "acquisition_costs_unknown": tier_result.acquisition_costs_unknown,
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


def _last_months(recent_np: tuple, client, settings: Settings, as_of: dt.date) -> list[Decimal]:
    """Net profit of the declining months, after their acquisition share (which runs by calendar
    month from the month of acquisition)."""
    acquired = client["acquired_on"]
    if not client["acquisition_cost"] or acquired is None:
        return list(recent_np)
    first = month_index(acquired)
    last = first + settings.amortisation_months - 1
    share = money(client["acquisition_cost"] / settings.amortisation_months)
    return [
        value - share if first <= index <= last else value
        for index, value in zip(declining_months(as_of), recent_np, strict=True)
    ]


def pareto_points(revenue, *, shares=None, count=None):
    """The Pareto curve: (share of clients, cumulative share of revenue), over the clients with
    revenue > 0, by revenue. With ``count``, only the points ``sample_points`` would keep (the
    same ones, computed alone); ``shares`` are those of the same clients."""
    revenue = pm.with_revenue(revenue)
    order = pm.ranked(revenue)
    if shares is None:
        shares = pm.cumulative_shares(revenue, order)
    n = len(order)
    if any(shares[cid] is None for cid in order[:1]):
        return []  # no revenue: every share is undefined
    if count is None or n + 1 <= count + 1:
        positions = range(1, n + 1)
    else:
        step = n / count
        positions = [round(i * step) for i in range(1, count + 1)]
    return [(ZERO, ZERO)] + [(ratio(Decimal(p) / n), ratio(shares[order[p - 1]])) for p in positions]


def sample_points(points, count=100):
    """At most ``count`` + 1 points, evenly spread, first and last kept, as JSON-ready strings."""
    if len(points) > count + 1:
        step = (len(points) - 1) / count
        points = [points[round(i * step)] for i in range(count + 1)]
    return [[str(x), str(y)] for x, y in points]
