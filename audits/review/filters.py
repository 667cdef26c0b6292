import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from audits.models import Audit
from clients.filters import PersonFilter
from clients.roles import ADMINS, FINANCE


class AuditFilter(django_filters.FilterSet):
    title = django_filters.CharFilter(label=_("Search"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        choices=Audit.Status.choices, label=_("Status"), empty_label=_("Any")
    )
    step = django_filters.ChoiceFilter(choices=Audit.Step.choices, label=_("Step"), empty_label=_("Any"))
    owner = PersonFilter(
        queryset=get_user_model()
        .objects.filter(groups__name__in=[FINANCE, ADMINS])
        .distinct()
        .order_by("first_name", "last_name", "username"),
        label=_("Owner"),
        empty_label=_("Any"),
    )
    ends_after = django_filters.DateFilter(
        field_name="period_end",
        lookup_expr="gte",
        label=_("Period ends on or after"),
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Audit
        fields = ["title", "status", "step", "owner", "ends_after"]
