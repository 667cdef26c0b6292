"""Reads for the dashboard, the ranking and the client profitability page.

Everything here reads the latest snapshots; nothing recomputes from the ledger on a request.
Each function runs a fixed number of queries whatever the number of clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, Sum

from audits.models import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot
from audits.profitability import portfolio
from audits.profitability.cost_settings import Settings
from audits.selectors import portfolio_latest
from clients.models import Client, CostSettings
from clients.periods import month_index, month_start

ZERO = Decimal("0")


def sees_all(user) -> bool:
    return user.has_perm("clients.view_all_clients")


# Clients (neither prospects nor former clients) with no activity at all in the period: the engine
# leaves them out of the portfolio, and the pages count and list them apart.
DORMANT = Q(in_portfolio=False) & ~Q(status__in=[Client.Status.PROSPECT, Client.Status.FORMER])


def snapshots_in_scope(*, user, latest: PortfolioSnapshot):
    """The client snapshots of the latest run that the user may see (chainable)."""
    rows = ClientSnapshot.objects.filter(as_of=latest.as_of)
    if not sees_all(user):
        rows = rows.filter(client__account_manager=user)
    return rows


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


def _trend(rows_filter: dict, as_of) -> list[tuple]:
    """Revenue and net profit summed by month over the 24 months to ``as_of``, empty months as zero."""
    months = (
        ClientMonthSnapshot.objects.filter(as_of=as_of, **rows_filter)
        .values("month")
        .order_by("month")
        .annotate(revenue=Sum("revenue"), net_profit=Sum("net_profit"))
    )
    stored = {row["month"]: (row["revenue"], row["net_profit"]) for row in months}
    last = month_index(as_of)
    trend = []
    for index in range(last - 23, last + 1):
        month = month_start(index)
        revenue, net_profit = stored.get(month, (ZERO, ZERO))
        trend.append((month, revenue, net_profit))
    return trend


def _scope_totals(rows) -> dict:
    """The unprofitable clients' count, NP and minutes, and the dormant count, in one query."""
    loss = Q(in_portfolio=True, is_unprofitable=True)
    return rows.aggregate(
        count=Count("pk", filter=loss),
        net_profit=Sum("net_profit", filter=loss),
        minutes=Sum("service_minutes", filter=loss),
        dormant=Count("pk", filter=DORMANT),
    )


def dashboard_for(*, user) -> Dashboard | None:
    """The dashboard's figures: the whole portfolio for finance, a manager's own clients otherwise."""
    latest = portfolio_latest()
    if latest is None:
        return None
    rows = snapshots_in_scope(user=user, latest=latest)
    loss = _scope_totals(rows)
    reinvest_rate = latest.top_tier_profit_per_hour or ZERO
    hours_freed = Decimal(loss["minutes"] or 0) / 60
    if sees_all(user):
        # The portfolio figures were computed with the run: read them, do not reload every client.
        trend = cache.get_or_set(
            f"dashboard-trend:{latest.run_id}", lambda: _trend({}, latest.as_of), timeout=24 * 3600
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
        trend = _trend({"client__account_manager": user}, latest.as_of)
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
            "pareto_points": portfolio.sample_points(portfolio.pareto_points(revenue)),
            "whale_points": portfolio.sample_points(whale.points),
            "tier_counts": tiers,
        }
    without = today - (loss["net_profit"] or ZERO)
    return Dashboard(
        latest=latest,
        scope_all=sees_all(user),
        concentration=concentration,
        trend=trend,
        profit_today=today,
        profit_without_unprofitable=without,
        profit_reinvested=portfolio.money(without + hours_freed * reinvest_rate),
        hours_freed=hours_freed.quantize(Decimal("0.1")),
        top_tier_profit_per_hour=reinvest_rate,
        **figures,
    )


def ranking_rows(*, user, latest: PortfolioSnapshot, dormant: bool = False):
    """The ranked clients of the latest run the user may see, with what the table shows; with
    ``dormant``, the clients with no activity in the period instead (listed apart, not ranked)."""
    return (
        snapshots_in_scope(user=user, latest=latest)
        .filter(DORMANT if dormant else Q(in_portfolio=True))
        .select_related("client", "client__account_manager")
    )


def dormant_count(*, user, latest: PortfolioSnapshot) -> int:
    """How many of the clients the user may see were dormant in the latest run."""
    if sees_all(user):
        return latest.dormant
    return snapshots_in_scope(user=user, latest=latest).filter(DORMANT).count()
