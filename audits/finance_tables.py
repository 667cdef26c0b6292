"""Tables of the finance pages: ageing of receivables by client, and the prospects."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audits.models import ClientSnapshot
from audits.tables import MoneyColumn
from clients.exports import NUMBER
from clients.tables import SafeExportTable
from clients.templatetags.money import amount

AGEING_COLUMNS = ("ageing_current", "ageing_1", "ageing_2", "ageing_3", "ageing_4")


def _client_cell(record):
    return format_html(
        '<a href="{}">{}</a><br><small class="muted">{}</small>',
        reverse("reports:client", args=[record.client_id]),
        record.client.name,
        record.client.external_ref,
    )


def _manager_name(record):
    manager = record.client.account_manager
    if manager is None:
        return "—"
    return manager.get_full_name() or manager.username


class ClientCellsMixin:
    """The client (linked to its profitability page) and its account manager, on a snapshot row."""

    def render_client(self, record):
        return _client_cell(record)

    def value_client(self, record):
        return record.client.name

    def render_account_manager(self, record):
        return _manager_name(record)

    def value_account_manager(self, record):
        return _manager_name(record)


class TotalColumn(MoneyColumn):
    """An amount whose footer is the table's total for that column (``table.totals``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}, "tf": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render_footer(self, bound_column, table):
        totals = getattr(table, "totals", None) or {}
        return amount(totals.get(bound_column.name))


class DaysColumn(MoneyColumn):
    """A number of days, one decimal unless told."""

    def __init__(self, *args, places=1, **kwargs):
        kwargs.setdefault("export_kind", NUMBER)
        super().__init__(*args, **kwargs)
        self.places = places

    def render(self, value):
        return amount(value, self.places)


class AgeingTable(ClientCellsMixin, SafeExportTable):
    client = tables.Column(verbose_name=_("Client"), order_by=("client__name",), footer=_("Total"))
    # Hidden on the page (the reference sits under the name there); a column of its own in exports.
    external_ref = tables.Column(verbose_name=_("Reference"), accessor="client__external_ref", visible=False)
    account_manager = tables.Column(
        verbose_name=_("Account manager"),
        accessor="client__account_manager",
        order_by=("client__account_manager__first_name", "client__account_manager__username"),
    )
    ageing_current = TotalColumn(verbose_name=_("Current"))
    ageing_1 = TotalColumn()
    ageing_2 = TotalColumn()
    ageing_3 = TotalColumn()
    ageing_4 = TotalColumn()
    open_receivables = TotalColumn(verbose_name=_("Open"))
    open_overdue = TotalColumn(verbose_name=_("Overdue"))
    average_days_late = DaysColumn(
        verbose_name=_("Avg days late"), export_header=_("Average days late (amount-weighted)")
    )
    average_days_to_pay = DaysColumn(
        verbose_name=_("Avg days to pay"), export_header=_("Average days to pay")
    )
    dso = DaysColumn(verbose_name=_("DSO (days)"))

    class Meta:
        model = ClientSnapshot
        fields = ()
        sequence = (
            "client",
            "external_ref",
            "account_manager",
            *AGEING_COLUMNS,
            "open_receivables",
            "open_overdue",
            "average_days_late",
            "average_days_to_pay",
            "dso",
        )
        order_by = ("-open_overdue",)
        attrs = {"class": "table ageing"}
        empty_text = _("Nothing is owed by the clients you see.")

    def __init__(self, *args, labels, totals=None, **kwargs):
        """``labels``: the five bucket headings (from the ageing limits of the settings);
        ``totals``: column name -> total over every row (not just the page), for the footer."""
        super().__init__(*args, **kwargs)
        for name, label in zip(AGEING_COLUMNS, labels, strict=True):
            self.columns[name].column.verbose_name = label
        self.totals = totals or {}


class ProspectTable(ClientCellsMixin, SafeExportTable):
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

    class Meta:
        model = ClientSnapshot
        fields = ()
        sequence = (
            "client",
            "account_manager",
            "estimated_margin",
            "tier",
            "effort_budget",
            "effort_days",
            "effort_spent",
            "over_budget",
        )
        order_by = ("-over_budget", "client")
        attrs = {"class": "table prospects"}
        empty_text = _("No prospect in the figures you see.")

    def __init__(self, *args, day_cost=None, **kwargs):
        """``day_cost``: the portfolio's day cost, which turns a budget in money into days."""
        super().__init__(*args, **kwargs)
        self.day_cost = day_cost

    def _days(self, value):
        from audits.profitability.portfolio import effort_days

        return effort_days(value, self.day_cost) if value is not None else None

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
        return _("yes") if value else _("no")
