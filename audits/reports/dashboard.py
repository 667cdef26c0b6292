"""The dashboard: the portfolio's figures for finance (read from the run's portfolio snapshot), the
same figures over a manager's own clients otherwise, the 24-month trend and the what-if of the
unprofitable clients leaving."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.core.cache import cache
from django.db.models import Count, Q, Sum

from audits.models import PortfolioSnapshot
from audits.profitability import portfolio
from audits.profitability.cost_settings import Settings
from audits.profitability.portfolio.ranking import pareto_points, sample_points
from audits.profitability.runs import portfolio_latest
from audits.reports.scope import DORMANT, latest_month_totals, latest_snapshots
from clients.access import sees_all
from clients.models import CostSettings
from clients.periods import trend_months

ZERO = Decimal("0")


@dataclass
class Dashboard:
    latest: PortfolioSnapshot
    scope_all: bool
    clients: int  # with any activity in the period (ranked)
    clients_with_revenue: int  # with revenue > 0: those the shares of revenue count
    top_clients: int  # how many make "the top 20 %"
    clients_for_80: int | None
    class_counts: dict[str, int]
    dormant: int
    revenue: Decimal
    net_profit: Decimal
    unprofitable: int
    marginal: int
    declining: int
    top20_share: Decimal | None
    whale_client_share: Decimal | None
    whale_profit_share: Decimal | None
    concentration: portfolio.Concentration
    pareto_points: list
    whale_points: list
    tier_counts: list[int]
    trend: list[tuple]  # (month, revenue, net profit)
    profit_today: Decimal
    profit_without_unprofitable: Decimal
    profit_reinvested: Decimal
    hours_freed: Decimal
    top_tier_profit_per_hour: Decimal


def _trend(*, user, latest: PortfolioSnapshot) -> list[tuple]:
    """Revenue and net profit of the user's clients summed by month over the trend's months to the
    latest run's day, empty months as zero: the run's month totals of the account managers the
    user sees (``PortfolioMonth``)."""
    months = (
        latest_month_totals(user=user, latest=latest)
        .values("month")
        .order_by("month")
        .annotate(revenue=Sum("revenue"), net_profit=Sum("net_profit"))
    )
    stored = {row["month"]: (row["revenue"], row["net_profit"]) for row in months}
    trend = []
    for month in trend_months(latest.as_of):
        revenue, net_profit = stored.get(month, (ZERO, ZERO))
        trend.append((month, revenue, net_profit))
    return trend


def _scope_totals(rows) -> dict:
    """The unprofitable clients' count, net profit and summed figures (``loss_<field>``), and the
    dormant count, in one query."""
    loss = Q(in_portfolio=True, is_unprofitable=True)
    return rows.aggregate(
        count=Count("pk", filter=loss),
        net_profit=Sum("net_profit", filter=loss),
        **{
            f"loss_{name}": Sum(name, filter=loss, default=0 if name == "service_minutes" else ZERO)
            for name in portfolio.FIGURE_FIELDS
        },
        dormant=Count("pk", filter=DORMANT),
    )


def _without_unprofitable(loss: dict, *, net_profit: Decimal, reinvest_rate: Decimal) -> portfolio.WhatIf:
    """The what-if of the unprofitable clients leaving (docs/figures.md, "What-if"), from their summed
    figures: the portfolio is taken as two groups, those clients and the rest (of which the what-if
    reads only the net profit)."""
    leaving = portfolio.ClientFigures(
        client_id=1, **{name: loss[f"loss_{name}"] for name in portfolio.FIGURE_FIELDS}
    )
    rest = portfolio.ClientFigures(client_id=0, gross_margin=net_profit - (loss["net_profit"] or ZERO))
    return portfolio.what_if({0: rest, 1: leaving}, [1], reinvest_np_per_hour=reinvest_rate)


def dashboard_for(*, user) -> Dashboard | None:
    """The dashboard's figures: the whole portfolio for finance, a manager's own clients otherwise."""
    latest = portfolio_latest()
    if latest is None:
        return None
    rows = latest_snapshots(user=user, latest=latest)
    loss = _scope_totals(rows)
    reinvest_rate = latest.top_tier_profit_per_hour or ZERO
    if sees_all(user):
        # The portfolio figures were computed with the run: read them, do not reload every client.
        # Never None: the default is a callable giving a list (django-stubs types the result Any | None).
        trend = cast(
            list[tuple],
            cache.get_or_set(
                f"dashboard-trend:{latest.run_id}",
                lambda: _trend(user=user, latest=latest),
                timeout=24 * 3600,
            ),
        )
        levels = latest.concentration_levels or {}
        concentration = portfolio.Concentration(
            top1=latest.top1_share,
            top5=latest.top5_share,
            top10=latest.top10_share,
            hhi=latest.hhi,
            levels=levels,
        )
        today = latest.net_profit
        figures = {
            "clients": latest.clients,
            "clients_with_revenue": latest.clients_with_revenue,
            "top_clients": latest.top_clients,
            "clients_for_80": latest.clients_for_80_percent,
            "class_counts": {key: (latest.class_counts or {}).get(key, 0) for key in "ABC"},
            "dormant": latest.dormant,
            "revenue": latest.revenue,
            "net_profit": today,
            "unprofitable": latest.unprofitable,
            "marginal": latest.marginal,
            "declining": latest.declining,
            "top20_share": latest.top20_share_revenue,
            "whale_client_share": latest.whale_peak_client_share,
            "whale_profit_share": latest.whale_peak_profit_share,
            "pareto_points": latest.pareto_curve,
            "whale_points": latest.whale_curve,
            "tier_counts": latest.tier_counts,
        }
    else:
        own = list(
            rows.filter(in_portfolio=True).values_list(
                "client_id",
                "revenue",
                "net_profit",
                "tier",
                "is_unprofitable",
                "is_marginal",
                "is_declining",
                "abc_class",
            )
        )
        revenue = {cid: r for cid, r, *_ in own}
        net_profit = {cid: np_ for cid, _r, np_, *_ in own}
        settings = Settings.from_model(CostSettings.load())
        pareto = portfolio.pareto(revenue, net_profit)
        whale = portfolio.whale_curve(net_profit)
        tiers = [0] * len(latest.tier_counts or [0, 0, 0])
        for _cid, _r, _np, tier, *_ in own:
            if tier and tier <= len(tiers):
                tiers[tier - 1] += 1
        today = sum(net_profit.values(), ZERO)
        concentration = portfolio.concentration(revenue, settings.limits)
        trend = _trend(user=user, latest=latest)
        # The same rules as the run's (audits.profitability.portfolio): shares and the top 20 % over the clients
        # with revenue; the classes are the portfolio's, counted over the manager's clients.
        figures = {
            "clients": len(own),
            "clients_with_revenue": pareto.clients,
            "top_clients": pareto.top_clients,
            "clients_for_80": pareto.clients_for_80,
            "class_counts": {key: sum(1 for row in own if row[7] == key) for key in "ABC"},
            "dormant": loss["dormant"],
            "revenue": sum(revenue.values(), ZERO),
            "net_profit": today,
            "unprofitable": sum(1 for row in own if row[4]),
            "marginal": sum(1 for row in own if row[5]),
            "declining": sum(1 for row in own if row[6]),
            "top20_share": pareto.top_share_revenue,
            "whale_client_share": whale.peak_client_share,
            "whale_profit_share": whale.peak_profit_share,
            "pareto_points": sample_points(pareto_points(revenue)),
            "whale_points": sample_points(whale.points),
            "tier_counts": tiers,
        }
    what_if = _without_unprofitable(loss, net_profit=today, reinvest_rate=reinvest_rate)
    return Dashboard(
        latest=latest,
        scope_all=sees_all(user),
        concentration=concentration,
        trend=trend,
        profit_today=today,
        profit_without_unprofitable=what_if.net_profit_after,
        profit_reinvested=what_if.net_profit_after_reinvested,
        hours_freed=what_if.hours_freed.quantize(Decimal("0.1")),
        top_tier_profit_per_hour=reinvest_rate,
        **figures,
    )
