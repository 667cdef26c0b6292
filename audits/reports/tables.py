"""What the report tables share: the export's first line, the number columns, the client cells."""

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audits.models import ClientSnapshot
from clients.exports import NUMBER
from clients.tables import MoneyColumn, SafeExportTable
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
    """A table of client snapshots; each report's table names its columns in ``Meta.sequence``."""

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
    """The client (linked to its profitability page) and its account manager, on a row of a client
    (a snapshot, a transition)."""

    def render_client(self, record):
        return _client_cell(record)

    def value_client(self, record):
        return record.client.name

    def render_account_manager(self, record):
        return _manager_name(record)

    def value_account_manager(self, record):
        return _manager_name(record)
