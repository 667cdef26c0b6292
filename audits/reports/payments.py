"""The payments page: the ageing of receivables, portfolio DSO, the worst payers and the monthly
trend of days late, over the clients the user may see; its table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import django_tables2 as tables
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audits.models import ClientSnapshot, PortfolioSnapshot
from audits.profitability import portfolio
from audits.profitability.runs import portfolio_latest
from audits.reports.scope import latest_month_totals, latest_snapshots
from audits.reports.tables import ClientCellsMixin, DaysColumn, SnapshotTable, TotalColumn
from clients.periods import TREND_MONTHS, trend_months

ZERO = Decimal("0")
# The open amount by how late it is: not yet due, then one bucket per ageing limit and one past the last.
AGEING_COLUMNS = ("ageing_current", "ageing_1", "ageing_2", "ageing_3", "ageing_4")
WORST_PAYERS = 10


def overdue_labels(limits) -> list[str]:
    """The headings of the overdue buckets: '1-30 d', '31-60 d', '61-90 d', 'over 90 d' from the
    ageing limits."""
    labels, low = [], 1
    for limit in limits:
        labels.append(_("%(low)s-%(high)s d") % {"low": low, "high": limit})
        low = limit + 1
    labels.append(_("over %(days)s d") % {"days": limits[-1]})
    return labels


def ageing_labels(limits) -> list[str]:
    """The headings of every ageing bucket (``AGEING_COLUMNS``): 'Current', then the overdue ones."""
    return [_("Current"), *overdue_labels(limits)]


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
        latest_snapshots(user=user, latest=latest)
        .exclude(open_receivables=0)
        .select_related("client", "client__account_manager")
    )


def payments_trend(*, user, latest: PortfolioSnapshot, months: int = TREND_MONTHS) -> list[MonthPayments]:
    """Amount paid and amount-weighted days late and days to pay per calendar month, the last ``months`` months of
    the latest run, from its month totals of the account managers the user sees (one query; months
    without payments read as none paid)."""
    trend_range = trend_months(latest.as_of, months)
    rows = (
        latest_month_totals(user=user, latest=latest)
        .filter(month__gte=trend_range[0])
        .order_by()
        .values("month")
        .annotate(paid=Sum("paid_amount"), late_x=Sum("paid_days_late"), days_x=Sum("paid_days_to_pay"))
    )
    by_month = {row["month"]: row for row in rows}
    trend = []
    for month in trend_range:
        row = by_month.get(month)
        paid = (row["paid"] or ZERO) if row else ZERO
        late = days = None
        if row and paid and row["late_x"] is not None:
            late = portfolio.ratio(row["late_x"] / paid)
        if row and paid and row["days_x"] is not None:
            days = portfolio.ratio(row["days_x"] / paid)
        trend.append(MonthPayments(month=month, paid=paid, average_days_late=late, average_days_to_pay=days))
    return trend


def payments_for(*, user) -> Payments | None:
    """The payments page: ageing totals, portfolio DSO, worst payers and the monthly trend, over
    the clients the user may see. None before the first run."""
    latest = portfolio_latest()
    if latest is None:
        return None
    rows = latest_snapshots(user=user, latest=latest)
    summed = (*AGEING_COLUMNS, "open_receivables", "open_overdue", "revenue")
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
        ageing_totals={name: totals[name] for name in AGEING_COLUMNS},
        open_receivables=totals["open_receivables"],
        open_overdue=totals["open_overdue"],
        revenue=revenue,
        dso=dso,
        clients_with_open=totals["clients_with_open"],
        worst_payers=worst,
        trend=payments_trend(user=user, latest=latest),
    )


class AgeingTable(ClientCellsMixin, SnapshotTable):
    client = tables.Column(
        verbose_name=gettext_lazy("Client"), order_by=("client__name",), footer=gettext_lazy("Total")
    )
    # Hidden on the page (the reference sits under the name there); a column of its own in exports.
    external_ref = tables.Column(
        verbose_name=gettext_lazy("Reference"), accessor="client__external_ref", visible=False
    )
    account_manager = tables.Column(
        verbose_name=gettext_lazy("Account manager"),
        accessor="client__account_manager",
        order_by=("client__account_manager__first_name", "client__account_manager__username"),
    )
    ageing_current = TotalColumn(verbose_name=gettext_lazy("Current"))
    ageing_1 = TotalColumn()
    ageing_2 = TotalColumn()
    ageing_3 = TotalColumn()
    ageing_4 = TotalColumn()
    open_receivables = TotalColumn(verbose_name=gettext_lazy("Open"))
    open_overdue = TotalColumn(verbose_name=gettext_lazy("Overdue"))
    average_days_late = DaysColumn(
        verbose_name=gettext_lazy("Avg days late"),
        export_header=gettext_lazy("Average days late (amount-weighted)"),
    )
    average_days_to_pay = DaysColumn(
        verbose_name=gettext_lazy("Avg days to pay"), export_header=gettext_lazy("Average days to pay")
    )
    dso = DaysColumn(verbose_name=gettext_lazy("DSO (days)"))

    class Meta(SnapshotTable.Meta):
        order_by = ("-open_overdue",)
        attrs = {"class": "table ageing"}
        empty_text = gettext_lazy("Nothing is owed by the clients you see.")

    def __init__(self, *args, labels, totals=None, **kwargs):
        """``labels``: the five bucket headings (from the ageing limits of the settings);
        ``totals``: column name -> total over every row (not just the page), for the footer."""
        super().__init__(*args, **kwargs)
        for name, label in zip(AGEING_COLUMNS, labels, strict=True):
            self.columns[name].column.verbose_name = label
        self.totals = totals or {}
