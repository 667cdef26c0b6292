"""What a run computes: each client's figures, the portfolio's figures and its month totals."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audits.models.fields import money, money_or_none, share
from audits.models.figures import NetProfitFigures, RankedFigures
from audits.models.runs import ProfitabilityRun
from clients.models import Client
from clients.models.fields import optional_link


class ClientSnapshot(RankedFigures):
    """One client's figures over the 12 months ending on ``as_of`` (see docs/figures.md)."""

    # Foreign keys without their own index: the indexes below lead with these columns, and every
    # index costs time on the nightly write of one row per client.
    run = models.ForeignKey(
        ProfitabilityRun, on_delete=models.CASCADE, related_name="client_snapshots", db_index=False
    )
    as_of = models.DateField(_("as of"))
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    status = models.CharField(_("status"), max_length=16, choices=Client.Status)
    in_portfolio = models.BooleanField(
        _("in the portfolio"),
        default=True,
        help_text=_("Prospects and clients with no activity in the period are not ranked."),
    )
    # Payment behaviour.
    average_days_late = share(_("average days late (amount-weighted)"))
    average_days_to_pay = share(_("average days to pay"))
    open_receivables = money(_("open receivables"))
    ageing_current = money(_("not yet due"))
    ageing_1 = money(_("overdue, first bucket"))
    ageing_2 = money(_("overdue, second bucket"))
    ageing_3 = money(_("overdue, third bucket"))
    ageing_4 = money(_("overdue, beyond the last limit"))
    dso = share(_("days sales outstanding"))
    # Lifetime, since acquired on.
    lifetime_net_profit = money(_("lifetime net profit"))
    lifetime_roi = share(_("lifetime ROI"))
    payback_months = share(_("payback (months)"))
    # Portfolio position, besides the ranks by net profit and revenue.
    rank_gross_margin = models.PositiveIntegerField(_("rank by gross margin"), null=True, blank=True)
    rank_profit_per_hour = models.PositiveIntegerField(_("rank by NP per hour"), null=True, blank=True)
    # Prospects.
    effort_budget = money_or_none(_("prospecting effort budget"))
    effort_spent = money_or_none(_("prospecting effort spent"))
    over_budget = models.BooleanField(_("over budget"), default=False)

    class Meta:
        verbose_name = _("client snapshot")
        verbose_name_plural = _("client snapshots")
        ordering = ["as_of", "rank_net_profit"]
        constraints = [models.UniqueConstraint(fields=["as_of", "client"], name="clientsnapshot_one_per_day")]
        indexes = [
            models.Index(fields=["client", "-as_of"], name="clientsnapshot_client_recent"),
            # The ranking's default order (and its NP sort): a page reads 51 rows of the index
            # instead of sorting every client of the day.
            models.Index(fields=["as_of", "rank_net_profit"], name="clientsnapshot_ranked"),
        ]

    def __str__(self):
        return f"{self.client_id} {self.as_of}"


class PortfolioSnapshot(models.Model):
    """The portfolio figures of a run: Pareto, whale curve, tiers, concentration."""

    run = models.OneToOneField(ProfitabilityRun, on_delete=models.CASCADE, related_name="portfolio")
    as_of = models.DateField(_("as of"), unique=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    clients = models.PositiveIntegerField(
        _("clients"), default=0, help_text=_("Clients with any activity in the period: those ranked.")
    )
    clients_with_revenue = models.PositiveIntegerField(
        _("clients with revenue"),
        default=0,
        help_text=_("Clients with revenue > 0 in the period: those that shares of revenue and tiers count."),
    )
    dormant = models.PositiveIntegerField(
        _("dormant clients"), default=0, help_text=_("Clients with no activity at all in the period.")
    )
    revenue = money(_("revenue"))
    gross_margin = money(_("gross margin"))
    net_profit = money(_("net profit"))
    overheads = money(_("overheads"))
    net_profit_after_overhead = money(_("net profit after overhead"))
    service_minutes = models.PositiveBigIntegerField(_("service minutes"), default=0)
    top20_share_revenue = share(_("share of revenue of the top 20 %"))
    top20_share_net_profit = share(_("share of net profit of the top 20 %"))
    top_clients = models.PositiveIntegerField(_("clients in the top 20 %"), default=0)
    clients_for_80_percent = models.PositiveIntegerField(
        _("clients making 80 % of revenue"), null=True, blank=True
    )
    class_counts = models.JSONField(_("clients per ABC class"), default=dict)
    whale_peak_client_share = share(_("whale curve peak: share of clients"))
    whale_peak_profit_share = share(_("whale curve peak: share of profit"))
    whale_curve = models.JSONField(_("whale curve points"), default=list)
    pareto_curve = models.JSONField(_("Pareto curve points"), default=list)
    mean_gross_margin = money(_("mean gross margin per client"))
    tier_thresholds = models.JSONField(_("tier thresholds"), default=list)
    tier_counts = models.JSONField(_("clients per tier"), default=list)
    tier_multipliers = models.JSONField(_("effort multipliers per tier"), default=list)
    mean_acquisition_cost = money(_("mean acquisition cost"))
    acquisition_costs_known = models.PositiveIntegerField(
        _("clients whose acquisition cost is known"), default=0
    )
    acquisition_costs_unknown = models.PositiveIntegerField(
        _("clients whose acquisition cost is unknown"), default=0
    )
    day_cost = money_or_none(_("day cost"))
    effort_budget = models.JSONField(_("effort budget per tier"), default=list)
    effort_days = models.JSONField(_("effort budget per tier, in days"), default=list)
    top_tier_profit_per_hour = money(_("top tier net profit per hour"))
    top1_share = share(_("top-1 share of revenue"))
    top5_share = share(_("top-5 share of revenue"))
    top10_share = share(_("top-10 share of revenue"))
    hhi = models.DecimalField(_("HHI"), max_digits=10, decimal_places=2, null=True, blank=True)
    concentration_levels = models.JSONField(_("concentration levels"), default=dict)
    unprofitable = models.PositiveIntegerField(_("unprofitable clients"), default=0)
    marginal = models.PositiveIntegerField(_("marginal clients"), default=0)
    declining = models.PositiveIntegerField(_("declining clients"), default=0)
    prospects = models.PositiveIntegerField(_("prospects"), default=0)
    prospects_over_budget = models.PositiveIntegerField(_("prospects over budget"), default=0)

    class Meta:
        verbose_name = _("portfolio snapshot")
        verbose_name_plural = _("portfolio snapshots")
        ordering = ["-as_of"]

    def __str__(self):
        return str(self.as_of)


class PortfolioMonth(NetProfitFigures):
    """One calendar month of the trend, summed over the clients of one account manager (or those
    with none) as they stood at the run: what the dashboard and payments trends read. Each client's
    month is rounded to cents first, as a client's own trend shows it
    (``audits.profitability.client.client_months``), then summed. A few hundred rows a run, written
    and removed with the portfolio snapshot of its day (by as-of date, as the client snapshots)."""

    run = models.ForeignKey(ProfitabilityRun, on_delete=models.CASCADE, related_name="months")
    as_of = models.DateField(_("as of"))
    month = models.DateField(_("month"))
    account_manager = optional_link(settings.AUTH_USER_MODEL, _("account manager"))
    clients = models.PositiveIntegerField(_("clients with activity"), default=0)
    service_minutes = models.PositiveBigIntegerField(_("service minutes"), default=0)
    paid_amount = money(_("amount paid"))
    # Sums of each client's amount paid x its amount-weighted days, over the clients that were
    # paid in the month: divided by the amount paid they give the group's weighted averages.
    paid_days_late = models.DecimalField(
        _("amount paid x days late"), max_digits=30, decimal_places=8, default=0
    )
    paid_days_to_pay = models.DecimalField(
        _("amount paid x days to pay"), max_digits=30, decimal_places=8, default=0
    )

    class Meta:
        verbose_name = _("portfolio month")
        verbose_name_plural = _("portfolio months")
        ordering = ["as_of", "month"]

    def __str__(self):
        return f"{self.as_of} {self.month:%Y-%m}"
