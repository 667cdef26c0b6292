"""The portfolio maths of a computation, between its per-client figures and its values: ranks,
shares, Pareto, ABC, tiers, whale curve and concentration over the members (``portfolio_maths``),
and what the portfolio snapshot stores (``portfolio_figures``), the flags counted as each client's
values are made (``count_flags``). The rules themselves are ``audits.profitability.portfolio``'s."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from audits.profitability import portfolio as pm
from audits.profitability.cost_settings import Settings
from audits.profitability.figures import ZERO, money
from clients.models import Client


@dataclass
class Period:
    """The period as the maths reads it."""

    as_of: dt.date
    days: int
    month_count: Decimal


@dataclass
class Maths:
    """The portfolio figures of the members, before any per-client value is assembled."""

    revenue: pm.Figures
    gross: pm.Figures
    net: pm.Figures
    earning: Mapping[int, Decimal]  # the members with revenue > 0 (shares of revenue, tiers)
    per_hour: dict
    overheads: Decimal
    overhead: dict
    rank_np: dict
    rank_r: dict
    rank_gm: dict
    rank_hour: dict
    cum_r: dict
    cum_np: dict
    classes: dict
    tiers: pm.Tiers
    top_tier: list
    pareto: pm.Pareto
    whale: pm.Whale
    concentration: pm.Concentration


def portfolio_maths(
    *, members, clients, settings: Settings, day_cost, period: Period, overhead_base: Decimal | None = None
) -> Maths:
    """Ranks, shares, Pareto, ABC, tiers, whale curve and concentration over the members
    (``overhead_base``: the firm's weight in the overheads, where the members are not all of it)."""
    revenue = pm.Figures((cid, f.revenue) for cid, f in members.items())
    gross = pm.Figures((cid, f.gross_margin) for cid, f in members.items())
    net = pm.Figures((cid, f.net_profit) for cid, f in members.items())
    # Shares of revenue (Pareto, ABC, concentration) and tiers: the clients with revenue > 0.
    earning = pm.with_revenue(revenue)
    per_hour = {cid: f.profit_per_hour for cid, f in members.items()}
    overheads = money(settings.overheads_per_month * period.month_count)
    rank_np, rank_r, rank_gm, rank_hour = (pm.ranks(v) for v in (net, revenue, gross, per_hour))
    tier_result = pm.tiers(
        {cid: gross[cid] for cid in earning},
        boundaries=settings.boundaries,
        trimmed_share=settings.trimmed_share,
        acquisition_costs=[clients[cid].acquisition_cost for cid in members],
        cost_per_day=day_cost,
    )
    return Maths(
        revenue=revenue,
        gross=gross,
        net=net,
        earning=earning,
        per_hour=per_hour,
        overheads=overheads,
        overhead=pm.overhead_shares(members, overheads, settings.overhead_allocation, base=overhead_base),
        rank_np=rank_np,
        rank_r=rank_r,
        rank_gm=rank_gm,
        rank_hour=rank_hour,
        cum_r=pm.cumulative_shares(earning, pm.ranked(earning)),
        cum_np=pm.cumulative_shares(net, pm.ranked(net)),
        classes=pm.abc_classes(earning, settings.class_a, settings.class_b),
        tiers=tier_result,
        top_tier=[members[cid] for cid, tier in tier_result.tier.items() if tier == 1],
        pareto=pm.pareto(earning, net),
        whale=pm.whale_curve(net, count=100),
        concentration=pm.concentration(earning, settings.limits),
    )


def count_flags(counts: Counter, values: dict, *, member: bool, status: str) -> None:
    """Count a client in the portfolio's flags: a member by its flags, a prospect (never a member)
    as one, and whether it is over its effort budget."""
    if member:
        for flag in ("is_unprofitable", "is_marginal", "is_declining"):
            counts[flag] += values[flag]
    elif status == Client.Status.PROSPECT:
        counts["prospects"] += 1
        counts["over_budget"] += values["over_budget"]


def portfolio_figures(*, maths: Maths, counts: Counter, members, dormant) -> dict:
    """What the portfolio snapshot stores (``counts``: the members flagged, and the prospects, as
    ``count_flags`` counts them)."""
    total_np = sum(maths.net.values(), ZERO)
    tier_result, pareto, whale, conc = maths.tiers, maths.pareto, maths.whale, maths.concentration
    return {
        "clients": len(members),
        "clients_with_revenue": len(maths.earning),
        "dormant": dormant,
        "revenue": sum(maths.revenue.values(), ZERO),
        "gross_margin": sum(maths.gross.values(), ZERO),
        "net_profit": total_np,
        "overheads": maths.overheads,
        "net_profit_after_overhead": total_np - sum(maths.overhead.values(), ZERO),
        "service_minutes": sum(f.service_minutes for f in members.values()),
        "top20_share_revenue": pareto.top_share_revenue,
        "top20_share_net_profit": pareto.top_share_net_profit,
        "top_clients": pareto.top_clients,
        "clients_for_80_percent": pareto.clients_for_80,
        "class_counts": {k: sum(1 for c in maths.classes.values() if c == k) for k in "ABC"},
        "whale_peak_client_share": whale.peak_client_share,
        "whale_peak_profit_share": whale.peak_profit_share,
        "whale_curve": pm.sample_points(whale.points),
        "pareto_curve": pm.sample_points(pm.pareto_points(maths.earning, shares=maths.cum_r, count=100)),
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
        "top_tier_profit_per_hour": pm.np_per_hour(maths.top_tier),
        "top1_share": conc.top1,
        "top5_share": conc.top5,
        "top10_share": conc.top10,
        "hhi": conc.hhi,
        "concentration_levels": conc.levels,
        "unprofitable": counts["is_unprofitable"],
        "marginal": counts["is_marginal"],
        "declining": counts["is_declining"],
        "prospects": counts["prospects"],
        "prospects_over_budget": counts["over_budget"],
    }
