import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from audits.models import Transition
from clients.filters import AccountManagerFilterSet, account_manager_filter

OPEN = "open"


class TransitionFilter(AccountManagerFilterSet):
    stage = django_filters.ChoiceFilter(
        choices=[(OPEN, _("Open (any stage before completed)")), *Transition.Stage.choices],
        label=_("Stage"),
        empty_label=_("Any"),
        method="filter_stage",
    )
    account_manager = account_manager_filter(field_name="client__account_manager")
    end_after = django_filters.DateFilter(
        field_name="end_date",
        lookup_expr="gte",
        label=_("Ends from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end_before = django_filters.DateFilter(
        field_name="end_date",
        lookup_expr="lte",
        label=_("Ends by"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Transition
        fields = ["stage", "account_manager", "end_after", "end_before"]

    def filter_stage(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(stage__in=Transition.OPEN)
        return queryset.filter(stage=value)
