"""The audit's tables: the list of audits, and the audit's clients at steps 1 to 3."""

import copy

import django_tables2 as tables
from django.db.models import Sum
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audits.models import Audit, AuditClient
from audits.reports.tables import FigureTable
from audits.review.figures import BREAKDOWN
from clients import display
from clients.exports import INTEGER
from clients.tables import Column, DateTimeColumn, MoneyColumn, SafeExportTable, ShareColumn
from clients.templatetags.money import amount


class AuditTable(SafeExportTable):
    title = tables.Column(
        verbose_name=_("Audit"), linkify=lambda record: reverse("review:detail", args=[record.pk])
    )
    step = tables.Column(verbose_name=_("Step"))
    status = tables.Column(verbose_name=_("Status"))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__first_name", "owner__username"))
    period = tables.Column(verbose_name=_("Period"), empty_values=(), order_by=("period_start", "period_end"))
    scope = tables.Column(verbose_name=_("Scope"), empty_values=())
    created_at = DateTimeColumn(verbose_name=_("Started"), format="SHORT_DATETIME_FORMAT")
    completed_at = DateTimeColumn(
        verbose_name=pgettext_lazy("an audit", "Completed"), format="SHORT_DATETIME_FORMAT"
    )
    outcome = tables.Column(verbose_name=_("Outcome"), accessor="outcome_text", orderable=False)

    class Meta:
        model = Audit
        fields = ()
        order_by = ("-created_at",)
        empty_text = _("No audit matches these filters.")

    empty_unfiltered = _("No audit yet.")

    def render_step(self, record):
        return format_html("{}. {}", record.step, record.get_step_display())

    def value_step(self, record):
        return f"{record.step}. {record.get_step_display()}"

    def render_owner(self, value):
        return display.person(value)

    def value_owner(self, value):
        return display.person(value)

    def render_period(self, record):
        return f"{date_format(record.period_start, 'SHORT_DATE_FORMAT')} – {date_format(record.period_end, 'SHORT_DATE_FORMAT')}"

    def value_period(self, record):
        return f"{record.period_start.isoformat()} – {record.period_end.isoformat()}"

    def render_scope(self, record):
        return record.scope_label()

    def value_scope(self, record):
        return record.scope_label()


class AuditClientTable(FigureTable):
    """The audit's frozen figures per client; each step shows the columns it needs."""

    rank_net_profit = Column(verbose_name="#", attrs={"td": {"class": "num"}}, export_kind=INTEGER)
    account_manager = tables.Column(
        verbose_name=_("Account manager"),
        accessor="client__account_manager",
        order_by=("client__account_manager__first_name",),
    )
    overhead_share = MoneyColumn(verbose_name=_("OH"), export_header=_("Overhead share"))
    hours = Column(verbose_name=_("Hours"), accessor="service_minutes", attrs={"td": {"class": "num"}})
    # Each cumulative share runs in its own figure's order: sorted by it, the column climbs to 100 %.
    cumulative_share_revenue = ShareColumn(
        verbose_name=_("Cum. R"), export_header=_("Cumulative share of revenue"), order_by=("rank_revenue",)
    )
    cumulative_share_net_profit = ShareColumn(
        verbose_name=_("Cum. NP"),
        export_header=_("Cumulative share of net profit"),
        order_by=("rank_net_profit",),
    )

    class Meta:
        model = AuditClient
        fields = ()
        order_by = ("rank_net_profit",)
        attrs = {"class": "table ranking"}
        empty_text = _("No client in the audit.")

    def client_url(self, record) -> str:
        return reverse("clients:detail", args=[record.client_id])

    def is_strategic(self, record) -> bool:
        return record.is_strategic

    def render_account_manager(self, value):
        return display.person(value)

    def value_account_manager(self, value):
        return display.person(value)

    def render_hours(self, value):
        return amount(value / 60, 1)

    def value_hours(self, value):
        return round(value / 60, 1)


STEP_COLUMNS = {
    1: ("client", "account_manager", "revenue", "hours", "flags"),
    2: (
        "client",
        *BREAKDOWN,
        "overhead_share",
        "net_profit_after_overhead",
        "indirect_value",
        "profit_per_hour",
    ),
    3: (
        "rank_net_profit",
        "client",
        "revenue",
        "net_profit",
        "net_margin",
        "profit_per_hour",
        "cumulative_share_revenue",
        "cumulative_share_net_profit",
        "abc_class",
        "tier",
        "flags",
    ),
}


# Each step's rows in an order its columns show: by name at step 1 (the data's checks), by net
# profit, highest first, at step 2 (the costs) and by rank at step 3.
STEP_ORDER = {1: ("client",), 2: ("-net_profit",), 3: ("rank_net_profit",)}


# The columns a step totals in its footer, over all the step's clients (``step_totals``).
STEP_TOTALS = {
    2: (*BREAKDOWN, "overhead_share", "net_profit_after_overhead", "indirect_value"),
    3: ("revenue", "net_profit"),
}


def step_totals(step, rows) -> dict:
    """The totals of a step's footer over ``rows`` (every client of the step, not one page)."""
    return rows.aggregate(**{name: Sum(name) for name in STEP_TOTALS.get(step, ())})


def _totalled(column, name):
    """A copy of a money column whose footer is the table's total of it (``table.totals``)."""
    column = copy.copy(column)
    column.attrs = {**column.attrs, "tf": {"class": "num"}}
    column._footer = lambda table: amount(getattr(table, "totals", {}).get(name))
    return column


def table_for_step(step):
    """The table class of a step: the shared table with only that step's columns, the money ones
    it totals with their total in the footer."""
    wanted = STEP_COLUMNS[step]
    every = list(AuditClientTable.base_columns)
    columns = {
        name: _totalled(AuditClientTable.base_columns[name], name) for name in STEP_TOTALS.get(step, ())
    }
    if columns:
        client = copy.copy(AuditClientTable.base_columns["client"])
        client._footer = _("Total")
        columns["client"] = client
    return type(
        f"AuditStep{step}Table",
        (AuditClientTable,),
        {
            **columns,
            "Meta": type(
                "Meta",
                (AuditClientTable.Meta,),
                {
                    "exclude": [c for c in every if c not in wanted],
                    "sequence": wanted,
                    "order_by": STEP_ORDER[step],
                },
            ),
        },
    )
