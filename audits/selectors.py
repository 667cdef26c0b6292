"""Reads of the profitability side. Pages read snapshots here; nothing recomputes on a request."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from audits.models import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot
from audits.profitability import portfolio
from audits.profitability.cost_settings import Settings
from audits.profitability.figures import acquisition_share, money
from clients import display
from clients.models import CostSettings
from clients.periods import month_index, month_start


def portfolio_latest() -> PortfolioSnapshot | None:
    return PortfolioSnapshot.objects.select_related("run").order_by("-as_of").first()


def snapshot_latest_for_clients(clients):
    """The latest snapshot of each client of a Client queryset (one query, chainable)."""
    latest = ClientSnapshot.objects.filter(client=OuterRef("client")).order_by("-as_of").values("pk")[:1]
    return ClientSnapshot.objects.filter(client__in=clients.values("pk"), pk=Subquery(latest)).select_related(
        "client"
    )


def snapshot_latest_for_client(client) -> ClientSnapshot | None:
    return ClientSnapshot.objects.filter(client=client).order_by("-as_of").first()


def client_month_trend(client, *, as_of=None) -> list[ClientMonthSnapshot]:
    """The monthly figures of a client's latest snapshot, oldest month first, 24 months.

    Months without ledger activity have no stored row; they are filled in here (zero activity,
    and the acquisition share when the month falls inside the amortisation window)."""
    if as_of is None:
        as_of = (
            ClientSnapshot.objects.filter(client=client)
            .order_by("-as_of")
            .values_list("as_of", flat=True)
            .first()
        )
        if as_of is None:
            return []
    stored = {row.month: row for row in ClientMonthSnapshot.objects.filter(client=client, as_of=as_of)}
    months = CostSettings.load().amortisation_months
    last = month_index(as_of)
    trend = []
    for index in range(last - 23, last + 1):
        month = month_start(index)
        row = stored.get(month)
        if row is None:
            aq = money(acquisition_share(client.acquisition_cost, client.acquired_on, months, index, index))
            row = ClientMonthSnapshot(
                client=client, as_of=as_of, month=month, acquisition_share=aq, net_profit=-aq
            )
        trend.append(row)
    return trend


def pareto_sentence(portfolio: PortfolioSnapshot) -> str:
    """'The top 20 % bring 80 % of revenue', from a portfolio snapshot."""
    if portfolio.top20_share_revenue is None:
        return _("No revenue in the period.")
    return _("The top %(top)s bring %(share)s of revenue.") % {
        "top": display.percent(Decimal("0.2"), 0),
        "share": display.percent(portfolio.top20_share_revenue, 0),
    }


def what_if_latest(client_ids) -> portfolio.WhatIf | None:
    """The what-if (see docs/figures.md, What-if) for a set of clients leaving, read from the latest snapshot
    (one query): revenue and GM lost, costs and hours freed, NP before and after, the same with
    the freed hours re-invested at the top tier's NP per hour, and concentration after."""
    latest = portfolio_latest()
    if latest is None:
        return None
    rows = ClientSnapshot.objects.filter(as_of=latest.as_of, in_portfolio=True).values(
        "client_id", *portfolio.FIGURE_FIELDS
    )
    figures = {row["client_id"]: portfolio.ClientFigures(**row) for row in rows}
    settings = Settings.from_model(CostSettings.load())
    return portfolio.what_if(
        figures,
        client_ids,
        reinvest_np_per_hour=latest.top_tier_profit_per_hour,
        limits=settings.limits,
    )
