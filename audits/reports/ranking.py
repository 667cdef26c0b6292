"""The ranking page: the ranked clients of the latest run (or the dormant ones), its table and filter."""

import re
from operator import attrgetter

import django_filters
from django import forms
from django.db.models import F, Q
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from audits.models import ClientSnapshot, PortfolioSnapshot
from audits.profitability.figures import MONEY_FIGURES
from audits.reports.scope import DORMANT, latest_snapshots
from audits.reports.tables import FigureTable, SnapshotTable
from clients.access import sees_all
from clients.exports import INTEGER, spreadsheet_safe
from clients.filters import AccountManagerFilterSet, account_manager_filter
from clients.models import Client
from clients.tables import Column, MoneyColumn


def ranking_rows(*, user, latest: PortfolioSnapshot, dormant: bool = False):
    """The ranked clients of the latest run the user may see, with what the table shows; with
    ``dormant``, the clients with no activity in the period instead (listed apart, not ranked)."""
    return (
        latest_snapshots(user=user, latest=latest)
        .filter(DORMANT if dormant else Q(in_portfolio=True))
        .select_related("client", "client__account_manager")
    )


def dormant_count(*, user, latest: PortfolioSnapshot) -> int:
    """How many of the clients the user may see were dormant in the latest run."""
    if sees_all(user):
        return latest.dormant
    return latest_snapshots(user=user, latest=latest).filter(DORMANT).count()


class RankingTable(SnapshotTable, FigureTable):
    rank_net_profit = Column(
        verbose_name="#", attrs={"td": {"class": "num"}}, export_header=_("Rank"), export_kind=INTEGER
    )
    # The rank orders by NP (highest first, ties by client) and is indexed: sorting by NP reads
    # the index instead of sorting every row of the day.
    net_profit = MoneyColumn(
        verbose_name=_("NP"), export_header=_("Net profit"), order_by=("-rank_net_profit",)
    )

    class Meta(SnapshotTable.Meta):
        sequence = (
            "rank_net_profit",
            "client",
            "external_ref",
            *MONEY_FIGURES,  # the cost breakdown, in its order: NP is what they leave
            "net_profit",
            "net_profit_after_overhead",
            "net_margin",
            "profit_per_hour",
            "indirect_value",
            "tier",
            "abc_class",
            "flags",
        )
        order_by = ("rank_net_profit",)
        attrs = {"class": "table ranking"}
        empty_text = _("No client matches these filters.")

    empty_unfiltered = _("No client in the figures you see.")

    # Figures that may be undefined (net margin when R <= 0, NP per hour without hours, the tier of
    # a client without revenue) sort after every defined one, whichever the direction.
    def _undefined_last(self, queryset, name, is_descending):
        field = F(name)
        ordered = field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True)
        return queryset.order_by(ordered, "rank_net_profit"), True

    def order_net_margin(self, queryset, is_descending):
        return self._undefined_last(queryset, "net_margin", is_descending)

    def order_profit_per_hour(self, queryset, is_descending):
        return self._undefined_last(queryset, "profit_per_hour", is_descending)

    def order_tier(self, queryset, is_descending):
        return self._undefined_last(queryset, "tier", is_descending)

    def as_values(self, exclude_columns=None):
        """The export rows, as django-tables2 gives them (values, blank cells empty), read straight
        from the records: the generic path inspects each cell's value method (0.7 ms a row, 7 s
        for 10,000 clients)."""
        columns = [
            column
            for column in self.columns.iterall()
            if not (column.column.exclude_from_export or column.name in (exclude_columns or ()))
        ]
        yield [force_str(column.header, strings_only=True) for column in columns]
        getters = [self._export_getter(column) for column in columns]
        empties = [column.column.empty_values for column in columns]
        for record in self.data:
            row = []
            for get, empty in zip(getters, empties, strict=True):
                value = get(record)
                row.append(None if value in empty else spreadsheet_safe(force_str(value, strings_only=True)))
            yield row

    def _export_getter(self, column):
        """The table's ``value_<name>`` where it has one (the client, the flags), else the column's
        accessor read as attributes (``client__external_ref``: ``record.client.external_ref``)."""
        return getattr(self, f"value_{column.name}", None) or attrgetter(
            str(column.accessor).replace("__", ".")
        )

    def client_url(self, record) -> str:
        return reverse("reports:client", args=[record.client_id])


# Up to this many matching clients, a text search passes their ids to the ranking query.
SEARCH_IDS_LIMIT = 2000

FLAG_CHOICES = [
    ("unprofitable", _("Unprofitable")),
    ("marginal", _("Marginal")),
    ("declining", _("Declining")),
    ("strategic", _("Strategic")),
]


class RankingFilter(AccountManagerFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        field_name="status", choices=Client.Status.choices, label=_("Status"), empty_label=_("Any")
    )
    tier = django_filters.ChoiceFilter(
        choices=[(n, str(n)) for n in range(1, 6)], label=_("Tier"), empty_label=_("Any")
    )
    abc_class = django_filters.ChoiceFilter(
        choices=[("A", "A"), ("B", "B"), ("C", "C")], label=_("Class"), empty_label=_("Any")
    )
    account_manager = account_manager_filter(field_name="client__account_manager")
    segment = django_filters.CharFilter(
        field_name="client__segment", lookup_expr="icontains", label=_("Segment")
    )
    flag = django_filters.ChoiceFilter(
        choices=FLAG_CHOICES, label=_("Flag"), empty_label=_("Any"), method="filter_flag"
    )

    class Meta:
        model = ClientSnapshot
        fields = ["q", "status", "tier", "abc_class", "account_manager", "segment", "flag"]

    def __init__(self, *args, request=None, tiers=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.TextInput):
                field.widget.attrs.setdefault("size", 14)
        if tiers:  # the tiers the latest figures have (three to five), not every tier there could be
            self.form.fields["tier"].choices = [(n, str(n)) for n in range(1, tiers + 1)]

    def search(self, queryset, name, value):
        """Clients whose name or reference contains the text.

        The matching clients are found first: PostgreSQL cannot estimate how few rows a
        "contains" matches, and would otherwise walk the whole ranking in rank order looking for
        them (200 ms at 100,000 clients for a handful of matches). A broad text filters the joined
        client with a case-insensitive regular expression on the plain columns instead, which
        PostgreSQL estimates from their statistics: it then walks the ranking, where a page of
        matches comes quickly (UPPER(name) LIKE has no statistics and was taken as rare: 170 ms)."""
        matches = Client.objects.filter(Q(name__icontains=value) | Q(external_ref__icontains=value))
        ids = list(matches.values_list("pk", flat=True)[: SEARCH_IDS_LIMIT + 1])
        if len(ids) <= SEARCH_IDS_LIMIT:
            return queryset.filter(client_id__in=ids)
        pattern = re.escape(value)
        return queryset.filter(Q(client__name__iregex=pattern) | Q(client__external_ref__iregex=pattern))

    def filter_flag(self, queryset, name, value):
        lookups = {
            "unprofitable": {"is_unprofitable": True},
            "marginal": {"is_marginal": True},
            "declining": {"is_declining": True},
            "strategic": {"client__is_strategic": True},
        }
        return queryset.filter(**lookups[value])
