"""The figures a client's rows share: a month of the trend, the nightly snapshot and an audit's
copy hold the same net profit, and the snapshot and the audit the same ranking (see docs/figures.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audits.models.fields import money, money_or_none, share


class NetProfitFigures(models.Model):
    """A client's net profit over a period and what it is made of: NP = GM - CTS - DE - AQ - LPC - BD."""

    revenue = money(_("revenue"))
    gross_margin = money(_("gross margin"))
    cost_to_serve = money(_("cost to serve"))
    direct_expenses = money(_("direct expenses"))
    acquisition_share = money(_("acquisition share"))
    late_payment_cost = money(_("late-payment cost"))
    bad_debt = money(_("bad debt"))
    net_profit = money(_("net profit"))

    class Meta:
        abstract = True


class RankedFigures(NetProfitFigures):
    """A client's figures over 12 months and its place in the portfolio: those the snapshot and an
    audit both show."""

    net_margin = share(_("net margin"))
    overhead_share = money(_("overhead share"))
    net_profit_after_overhead = money(_("net profit after overhead"))
    indirect_value = money(_("indirect value"))
    net_profit_with_indirect = money(_("net profit incl. indirect value"))
    service_minutes = models.PositiveIntegerField(_("service minutes"), default=0)
    profit_per_hour = money_or_none(_("net profit per service hour"))
    open_overdue = money(_("open overdue amount"))
    # Portfolio position.
    rank_net_profit = models.PositiveIntegerField(_("rank by net profit"), null=True, blank=True)
    rank_revenue = models.PositiveIntegerField(_("rank by revenue"), null=True, blank=True)
    cumulative_share_revenue = share(_("cumulative share of revenue"))
    cumulative_share_net_profit = share(_("cumulative share of net profit"))
    abc_class = models.CharField(_("ABC class"), max_length=1, blank=True)
    tier = models.PositiveSmallIntegerField(_("tier"), null=True, blank=True)
    is_unprofitable = models.BooleanField(_("unprofitable"), default=False)
    is_marginal = models.BooleanField(_("marginal"), default=False)
    is_declining = models.BooleanField(_("declining"), default=False)
    # Break-even levers (loss-making clients).
    breakeven_price_increase = share(_("price increase to break even"))
    breakeven_hours_to_cut = money_or_none(_("service hours to cut to break even"))
    breakeven_by_prompt_payment = models.BooleanField(_("prompt payment alone breaks even"), default=False)

    class Meta:
        abstract = True
