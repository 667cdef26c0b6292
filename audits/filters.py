import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audits.models import ClientSnapshot
from clients.models import Client
from clients.roles import ACCOUNT_MANAGERS

# Up to this many matching clients, a text search passes their ids to the ranking query.
SEARCH_IDS_LIMIT = 2000

FLAG_CHOICES = [
    ("unprofitable", _("Unprofitable")),
    ("marginal", _("Marginal")),
    ("declining", _("Declining")),
    ("strategic", _("Strategic")),
]


class RankingFilter(django_filters.FilterSet):
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
    account_manager = django_filters.ModelChoiceFilter(
        field_name="client__account_manager",
        queryset=get_user_model().objects.filter(groups__name=ACCOUNT_MANAGERS).order_by("first_name"),
        label=_("Account manager"),
        empty_label=_("Any"),
    )
    segment = django_filters.CharFilter(
        field_name="client__segment", lookup_expr="icontains", label=_("Segment")
    )
    flag = django_filters.ChoiceFilter(
        choices=FLAG_CHOICES, label=_("Flag"), empty_label=_("Any"), method="filter_flag"
    )

    class Meta:
        model = ClientSnapshot
        fields = ["q", "status", "tier", "abc_class", "account_manager", "segment", "flag"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not request.user.has_perm("clients.view_all_clients"):
            del self.filters["account_manager"]
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.TextInput):
                field.widget.attrs.setdefault("size", 14)

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
