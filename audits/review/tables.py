"""The audit's tables: the list of audits, and the audit's clients at steps 1 to 3."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audits.models import Audit, AuditClient
from clients.exports import INTEGER
from clients.tables import Column, MoneyColumn, SafeExportTable, ShareColumn
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
    created_at = tables.DateTimeColumn(verbose_name=_("Started"), format="SHORT_DATETIME_FORMAT")
    completed_at = tables.DateTimeColumn(verbose_name=_("Completed"), format="SHORT_DATETIME_FORMAT")
    outcome = tables.Column(verbose_name=_("Outcome"), orderable=False)

    class Meta:
        model = Audit
        fields = ()
        sequence = (
            "title",
            "step",
            "status",
            "owner",
            "period",
            "scope",
            "created_at",
            "completed_at",
            "outcome",
        )
        order_by = ("-created_at",)
        attrs = {"class": "table"}
        empty_text = _("No audit yet.")

    def render_step(self, record):
        return format_html("{}. {}", record.step, record.get_step_display())

    def value_step(self, record):
        return f"{record.step}. {record.get_step_display()}"

    def render_owner(self, value):
        return value.get_full_name() or value.username

    def value_owner(self, value):
        return value.get_full_name() or value.username

    def render_period(self, record):
        return f"{date_format(record.period_start, 'SHORT_DATE_FORMAT')} – {date_format(record.period_end, 'SHORT_DATE_FORMAT')}"

    def value_period(self, record):
        return f"{record.period_start.isoformat()} – {record.period_end.isoformat()}"

    def render_scope(self, record):
        return record.scope_label()

    def value_scope(self, record):
        return record.scope_label()

    def value_created_at(self, value):
        return value.isoformat(timespec="minutes")

    def value_completed_at(self, value):
        return value.isoformat(timespec="minutes") if value else ""


def _client_link(record):
    return format_html(
        '<a href="{}" title="{}">{}</a>',
        reverse("clients:detail", args=[record.client_id]),
        record.client.external_ref,
        record.client.name,
    )


class AuditClientTable(SafeExportTable):
    """The audit's frozen figures per client; each step shows the columns it needs."""

    rank_net_profit = Column(verbose_name="#", attrs={"td": {"class": "num"}}, export_kind=INTEGER)
    client = tables.Column(verbose_name=_("Client"), order_by=("client__name",))
    account_manager = tables.Column(
        verbose_name=_("Account manager"),
        accessor="client__account_manager",
        order_by=("client__account_manager__first_name",),
    )
    revenue = MoneyColumn(verbose_name=_("R"), export_header=_("Revenue"))
    gross_margin = MoneyColumn(verbose_name=_("GM"), export_header=_("Gross margin"))
    cost_to_serve = MoneyColumn(verbose_name=_("CTS"), export_header=_("Cost to serve"))
    direct_expenses = MoneyColumn(verbose_name=_("DE"), export_header=_("Direct expenses"))
    acquisition_share = MoneyColumn(verbose_name=_("AQ"), export_header=_("Acquisition share"))
    late_payment_cost = MoneyColumn(verbose_name=_("LPC"), export_header=_("Late-payment cost"))
    bad_debt = MoneyColumn(verbose_name=_("BD"), export_header=_("Bad debt"))
    net_profit = MoneyColumn(verbose_name=_("NP"), export_header=_("Net profit"))
    overhead_share = MoneyColumn(verbose_name=_("OH"), export_header=_("Overhead share"))
    net_profit_after_overhead = MoneyColumn(
        verbose_name=_("NP after OH"), export_header=_("Net profit after overhead")
    )
    indirect_value = MoneyColumn(verbose_name=_("IV"), export_header=_("Indirect value"))
    profit_per_hour = MoneyColumn(verbose_name=_("NP / hour"), export_header=_("Net profit per service hour"))
    hours = Column(verbose_name=_("Hours"), accessor="service_minutes", attrs={"td": {"class": "num"}})
    net_margin = ShareColumn(verbose_name=_("Net margin"))
    cumulative_share_revenue = ShareColumn(
        verbose_name=_("Cum. R"), export_header=_("Cumulative share of revenue")
    )
    cumulative_share_net_profit = ShareColumn(
        verbose_name=_("Cum. NP"), export_header=_("Cumulative share of net profit")
    )
    abc_class = tables.Column(verbose_name=_("Class"))
    tier = Column(verbose_name=_("Tier"), attrs={"td": {"class": "num"}}, export_kind=INTEGER)
    flags = tables.Column(verbose_name=_("Flags"), empty_values=(), orderable=False)

    class Meta:
        model = AuditClient
        fields = ()
        order_by = ("rank_net_profit",)
        attrs = {"class": "table ranking"}
        empty_text = _("No client in the audit.")

    def render_client(self, record):
        return _client_link(record)

    def value_client(self, record):
        return record.client.name

    def render_account_manager(self, value):
        return value.get_full_name() or value.username

    def value_account_manager(self, value):
        return value.get_full_name() or value.username

    def render_hours(self, value):
        return amount(value / 60, 1)

    def value_hours(self, value):
        return round(value / 60, 1)

    def _flags(self, record):
        flags = []
        if record.is_unprofitable:
            flags.append(("red", _("unprofitable")))
        if record.is_marginal:
            flags.append(("amber", _("marginal")))
        if record.is_declining:
            flags.append(("amber", _("declining")))
        if record.is_strategic:
            flags.append(("strategic", _("strategic")))
        return flags

    def render_flags(self, record):
        return format_html_join(" ", '<span class="badge {}">{}</span>', self._flags(record))

    def value_flags(self, record):
        return ", ".join(str(label) for _css, label in self._flags(record))


STEP_COLUMNS = {
    1: ("client", "account_manager", "revenue", "hours", "flags"),
    2: (
        "client",
        "revenue",
        "gross_margin",
        "cost_to_serve",
        "direct_expenses",
        "acquisition_share",
        "late_payment_cost",
        "bad_debt",
        "net_profit",
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


def table_for_step(step):
    """The table class of a step: the shared table with only that step's columns."""
    wanted = STEP_COLUMNS[step]
    every = list(AuditClientTable.base_columns)
    return type(
        f"AuditStep{step}Table",
        (AuditClientTable,),
        {
            "Meta": type(
                "Meta",
                (AuditClientTable.Meta,),
                {"exclude": [c for c in every if c not in wanted], "sequence": wanted},
            )
        },
    )
