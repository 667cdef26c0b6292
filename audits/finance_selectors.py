"""Reads for the finance pages: payments, prospects and the cost settings.

Everything here reads the latest snapshots (or the settings and their history); nothing
recomputes from the ledger on a request. Each function runs a fixed number of queries whatever
the number of clients, and every client read is scoped with ``Client.objects.visible_to(user)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from audits.models import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot
from audits.profitability import portfolio
from audits.selectors import portfolio_latest
from clients.models import Client
from clients.periods import month_index, month_start

ZERO = Decimal("0")
AGEING_FIELDS = ("ageing_current", "ageing_1", "ageing_2", "ageing_3", "ageing_4")
WORST_PAYERS = 10
TREND_MONTHS = 24
_WIDE = DecimalField(max_digits=30, decimal_places=6)


def snapshots_visible(*, user, latest: PortfolioSnapshot):
    """The client snapshots of the latest run for the clients the user may see (chainable)."""
    return ClientSnapshot.objects.filter(
        as_of=latest.as_of, client__in=Client.objects.visible_to(user).values("pk")
    )


# Payments ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPayments:
    month: dt.date
    paid: Decimal
    average_days_late: Decimal | None
    average_days_to_pay: Decimal | None = None


@dataclass(frozen=True)
class Payments:
    latest: PortfolioSnapshot
    ageing_totals: dict[str, Decimal]
    open_receivables: Decimal
    open_overdue: Decimal
    revenue: Decimal
    dso: Decimal | None
    clients_with_open: int
    worst_payers: list[ClientSnapshot]
    trend: list[MonthPayments]

    @property
    def overdue_share(self) -> Decimal | None:
        return portfolio.ratio(self.open_overdue / self.open_receivables) if self.open_receivables else None

    @property
    def average_days_late(self) -> Decimal | None:
        """Amount-weighted over the months of the trend (payments made in those months)."""
        paid = sum((m.paid for m in self.trend), ZERO)
        if not paid:
            return None
        late_x = sum(
            (m.paid * m.average_days_late for m in self.trend if m.average_days_late is not None), ZERO
        )
        return portfolio.ratio(late_x / paid)


def ageing_rows(*, user, latest: PortfolioSnapshot):
    """The clients with something open (receivables or credit), for the ageing table (chainable)."""
    return (
        snapshots_visible(user=user, latest=latest)
        .exclude(open_receivables=0)
        .select_related("client", "client__account_manager")
    )


def payments_trend(*, user, latest: PortfolioSnapshot, months: int = TREND_MONTHS) -> list[MonthPayments]:
    """Amount paid and amount-weighted days late and days to pay per calendar month, the last ``months`` months of
    the latest run (one query; months without payments read as none paid)."""
    last = month_index(latest.as_of)
    first = month_start(last - months + 1)
    rows = (
        ClientMonthSnapshot.objects.filter(
            as_of=latest.as_of,
            month__gte=first,
            client__in=Client.objects.visible_to(user).values("pk"),
        )
        .order_by()
        .values("month")
        .annotate(
            paid=Sum("paid_amount"),
            late_x=Sum(
                ExpressionWrapper(F("paid_amount") * F("average_days_late"), output_field=_WIDE),
                filter=Q(average_days_late__isnull=False),
            ),
            days_x=Sum(
                ExpressionWrapper(F("paid_amount") * F("average_days_to_pay"), output_field=_WIDE),
                filter=Q(average_days_to_pay__isnull=False),
            ),
        )
    )
    by_month = {row["month"]: row for row in rows}
    trend = []
    for index in range(last - months + 1, last + 1):
        month = month_start(index)
        row = by_month.get(month)
        paid = (row["paid"] or ZERO) if row else ZERO
        late = days = None
        if paid and row["late_x"] is not None:
            late = portfolio.ratio(row["late_x"] / paid)
        if paid and row["days_x"] is not None:
            days = portfolio.ratio(row["days_x"] / paid)
        trend.append(MonthPayments(month=month, paid=paid, average_days_late=late, average_days_to_pay=days))
    return trend


def payments_for(*, user) -> Payments | None:
    """The payments page: ageing totals, portfolio DSO, worst payers and the monthly trend, over
    the clients the user may see. None before the first run."""
    latest = portfolio_latest()
    if latest is None:
        return None
    rows = snapshots_visible(user=user, latest=latest)
    summed = (*AGEING_FIELDS, "open_receivables", "open_overdue", "revenue")
    totals = rows.aggregate(
        **{f"total_{name}": Sum(name, default=ZERO) for name in summed},
        clients_with_open=Count("pk", filter=~Q(open_receivables=0)),
    )
    totals |= {name: totals.pop(f"total_{name}") for name in summed}
    period_days = (latest.period_end - latest.period_start).days + 1
    revenue = totals["revenue"]
    dso = portfolio.ratio(totals["open_receivables"] / revenue * period_days) if revenue > 0 else None
    worst = list(
        rows.filter(Q(average_days_late__gt=0) | Q(open_overdue__gt=0))
        .select_related("client", "client__account_manager")
        .order_by(F("average_days_late").desc(nulls_last=True), "-open_overdue", "client__name")[
            :WORST_PAYERS
        ]
    )
    return Payments(
        latest=latest,
        ageing_totals={name: totals[name] for name in AGEING_FIELDS},
        open_receivables=totals["open_receivables"],
        open_overdue=totals["open_overdue"],
        revenue=revenue,
        dso=dso,
        clients_with_open=totals["clients_with_open"],
        worst_payers=worst,
        trend=payments_trend(user=user, latest=latest),
    )


# Prospects ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierBudget:
    tier: int
    multiplier: Decimal
    budget: Decimal
    days: Decimal | None


def prospect_rows(*, user, latest: PortfolioSnapshot):
    """The prospects of the latest run the user may see (chainable, for the prospects table)."""
    return (
        snapshots_visible(user=user, latest=latest)
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
