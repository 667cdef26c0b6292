"""What the report tables share: the export's first line, the number columns, the client cells, and
the columns of a client's figures."""

import django_tables2 as tables
from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audits.models import ClientSnapshot
from clients import display
from clients.exports import INTEGER, NUMBER
from clients.tables import Column, MoneyColumn, SafeExportTable, ShareColumn
from clients.templatetags.money import amount


def snapshot_about(title, latest) -> str:
    """The first line of an export of snapshot figures: what, as of when, over which period, in
    which currency."""
    if latest is None:
        return str(title)
    return _(
        "%(title)s, as of %(as_of)s: the 12 months from %(start)s to %(end)s; amounts in %(currency)s."
    ) % {
        "title": title,
        "as_of": date_format(latest.as_of, "DATE_FORMAT"),
        "start": date_format(latest.run.period_start, "DATE_FORMAT"),
        "end": date_format(latest.run.period_end, "DATE_FORMAT"),
        "currency": settings.CURRENCY,
    }


class SnapshotTable(SafeExportTable):
    """A table of client snapshots; each report's table declares its columns, in the order shown."""

    class Meta:
        model = ClientSnapshot
        fields = ()


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


def client_cell(client, url):
    """A client's name linked to ``url``, with its reference under it."""
    return format_html(
        '<a href="{}">{}</a><br><small class="muted">{}</small>', url, client.name, client.external_ref
    )


def client_link(client, url):
    """A client's name linked to ``url``, with its reference on hover."""
    return format_html('<a href="{}" title="{}">{}</a>', url, client.external_ref, client.name)


def _manager_name(record):
    manager = record.client.account_manager
    if manager is None:
        return "—"
    return display.person(manager)


class ClientCellsMixin:
    """The client (linked to its profitability page) and its account manager, on a row of a client
    (a snapshot, a transition)."""

    def render_client(self, record):
        return client_cell(record.client, reverse("reports:client", args=[record.client_id]))

    def value_client(self, record):
        return record.client.name

    def render_account_manager(self, record):
        return _manager_name(record)

    def value_account_manager(self, record):
        return _manager_name(record)


class FigureTable(SafeExportTable):
    """A row per client with its figures (docs/figures.md), as the ranking and the audit's steps show
    them: abbreviated on the page, named in full in exports; then the client's flags as badges. Each
    table says which columns it shows, and where the client's name links (``client_url``)."""

    client = tables.Column(
        verbose_name=_("Client"), order_by=("client__name", "client_id"), attrs={"td": {"class": "client"}}
    )
    # Shown under the name on the page (``client_link``'s title), a column of its own in exports.
    external_ref = tables.Column(verbose_name=_("Reference"), accessor="client__external_ref", visible=False)
    revenue = MoneyColumn(verbose_name=_("R"), export_header=_("Revenue"))
    gross_margin = MoneyColumn(verbose_name=_("GM"), export_header=_("Gross margin"))
    cost_to_serve = MoneyColumn(verbose_name=_("CTS"), export_header=_("Cost to serve"))
    direct_expenses = MoneyColumn(verbose_name=_("DE"), export_header=_("Direct expenses"))
    acquisition_share = MoneyColumn(verbose_name=_("AQ"), export_header=_("Acquisition share"))
    late_payment_cost = MoneyColumn(verbose_name=_("LPC"), export_header=_("Late-payment cost"))
    bad_debt = MoneyColumn(verbose_name=_("BD"), export_header=_("Bad debt"))
    net_profit = MoneyColumn(verbose_name=_("NP"), export_header=_("Net profit"))
    net_profit_after_overhead = MoneyColumn(
        verbose_name=_("NP after OH"), export_header=_("Net profit after overhead")
    )
    net_margin = ShareColumn(verbose_name=_("Net margin"))
    profit_per_hour = MoneyColumn(verbose_name=_("NP / hour"), export_header=_("Net profit per service hour"))
    indirect_value = MoneyColumn(verbose_name=_("IV"), export_header=_("Indirect value"))
    tier = Column(verbose_name=_("Tier"), attrs={"td": {"class": "num"}}, export_kind=INTEGER)
    abc_class = tables.Column(verbose_name=_("Class"))
    flags = tables.Column(verbose_name=_("Flags"), empty_values=(), orderable=False)

    def client_url(self, record) -> str:
        raise NotImplementedError

    def render_client(self, record):
        return client_link(record.client, self.client_url(record))

    def value_client(self, record):
        return record.client.name

    def is_strategic(self, record) -> bool:
        return record.client.is_strategic

    def _flags(self, record):
        flags = []
        if record.is_unprofitable:
            flags.append(("red", _("unprofitable")))
        if record.is_marginal:
            flags.append(("amber", _("marginal")))
        if record.is_declining:
            flags.append(("amber", _("declining")))
        if self.is_strategic(record):
            flags.append(("strategic", _("strategic")))
        return flags

    def render_flags(self, record):
        return format_html_join(" ", '<span class="badge {}">{}</span>', self._flags(record))

    def value_flags(self, record):
        return ", ".join(str(label) for _css, label in self._flags(record))
