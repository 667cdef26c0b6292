import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from audits.models import Transition
from clients.access import sees_all
from clients.roles import ACCOUNT_MANAGERS

OPEN = "open"


class TransitionFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(
        choices=[(OPEN, _("Open (any stage before completed)")), *Transition.Stage.choices],
        label=_("Stage"),
        empty_label=_("Any"),
        method="filter_stage",
    )
    account_manager = django_filters.ModelChoiceFilter(
        field_name="client__account_manager",
        queryset=get_user_model().objects.filter(groups__name=ACCOUNT_MANAGERS).order_by("first_name"),
        label=_("Account manager"),
        empty_label=_("Any"),
    )
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

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not sees_all(request.user):
            del self.filters["account_manager"]

    def filter_stage(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(stage__in=Transition.OPEN)
        return queryset.filter(stage=value)
