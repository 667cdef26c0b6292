"""The prospects page: each prospect's tier, effort budget and effort spent, and the effort each
tier allows, over the prospects the user may see; its table."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import django_tables2 as tables
from django.db.models import Count, Q, Sum
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audits.models import PortfolioSnapshot
from audits.profitability import portfolio
from audits.reports.scope import latest_snapshots
from audits.reports.tables import ClientCellsMixin, DaysColumn, SnapshotTable
from clients.models import Client
from clients.tables import MoneyColumn
from clients.templatetags.money import amount

ZERO = Decimal("0")


@dataclass(frozen=True)
class TierBudget:
    tier: int
    multiplier: Decimal
    budget: Decimal
    days: Decimal | None


def prospect_rows(*, user, latest: PortfolioSnapshot):
    """The prospects of the latest run the user may see (chainable, for the prospects table)."""
    return (
        latest_snapshots(user=user, latest=latest)
        .filter(status=Client.Status.PROSPECT)
        .select_related("client", "client__account_manager")
    )


def prospect_summary(*, user, latest: PortfolioSnapshot) -> dict:
    """How many prospects, how many over budget, and the effort each tier allows (one query)."""
    counts = prospect_rows(user=user, latest=latest).aggregate(
        prospects=Count("pk"),
        over_budget=Count("pk", filter=Q(over_budget=True)),
        spent=Sum("effort_spent", default=ZERO),
    )
    budgets = [
        TierBudget(
            tier=index,
            multiplier=Decimal(multiplier),
            budget=Decimal(budget),
            days=portfolio.effort_days(budget, latest.day_cost),
        )
        for index, (multiplier, budget) in enumerate(
            zip(latest.tier_multipliers, latest.effort_budget, strict=False), start=1
        )
    ]
    return {**counts, "tier_budgets": budgets}


class ProspectTable(ClientCellsMixin, SnapshotTable):
    client = tables.Column(verbose_name=_("Prospect"), order_by=("client__name",))
    account_manager = tables.Column(
        verbose_name=_("Account manager"),
        accessor="client__account_manager",
        order_by=("client__account_manager__first_name", "client__account_manager__username"),
    )
    estimated_margin = MoneyColumn(
        verbose_name=_("Estimated annual margin"),
        accessor="client__estimated_annual_margin",
        order_by=("client__estimated_annual_margin",),
    )
    tier = tables.Column(verbose_name=_("Tier"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    effort_budget = MoneyColumn(verbose_name=_("Effort budget"))
    effort_days = DaysColumn(
        verbose_name=_("Budget (days)"), accessor="effort_budget", order_by=("effort_budget",), places=2
    )
    effort_spent = MoneyColumn(verbose_name=_("Effort spent"))
    over_budget = tables.Column(verbose_name=_("Over budget"))

    class Meta(SnapshotTable.Meta):
        order_by = ("-over_budget", "client")
        attrs = {"class": "table prospects"}
        empty_text = _("No prospect in the figures you see.")

    def __init__(self, *args, day_cost=None, **kwargs):
        """``day_cost``: the portfolio's day cost, which turns a budget in money into days."""
        super().__init__(*args, **kwargs)
        self.day_cost = day_cost

    def _days(self, value):
        return portfolio.effort_days(value, self.day_cost) if value is not None else None

    def render_tier(self, value):
        return value

    def render_effort_days(self, value):
        return amount(self._days(value), 2)

    def value_effort_days(self, value):
        return self._days(value)

    def render_over_budget(self, value):
        if value:
            return format_html('<span class="badge red">{}</span>', _("over budget"))
        return format_html('<span class="badge green">{}</span>', _("within budget"))

    def value_over_budget(self, value):
        return bool(value)  # worded yes/no by clients.exports
