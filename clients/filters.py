import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.access import sees_all
from clients.forms import PersonChoiceField
from clients.models import Client
from clients.roles import ACCOUNT_MANAGERS


class PersonFilter(django_filters.ModelChoiceFilter):
    """The choice of a user in a list's filters, each named as in the list (``display.person``)."""

    field_class = PersonChoiceField


def account_manager_filter(**kwargs):
    """The choice of an account manager in a list's filters (``field_name`` where the list is not of
    clients)."""
    return PersonFilter(
        queryset=get_user_model()
        .objects.filter(groups__name=ACCOUNT_MANAGERS)
        .order_by("first_name", "last_name", "username"),
        label=_("Account manager"),
        empty_label=_("Any"),
        **kwargs,
    )


class AccountManagerFilterSet(django_filters.FilterSet):
    """Filters with an ``account_manager`` choice, offered only to those who see every client."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and not sees_all(request.user):
            del self.filters["account_manager"]


class ClientFilter(AccountManagerFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        choices=Client.Status.choices, label=_("Status"), empty_label=_("Any")
    )
    segment = django_filters.CharFilter(lookup_expr="icontains", label=_("Segment"))
    account_manager = account_manager_filter()
    is_strategic = django_filters.BooleanFilter(
        label=_("Strategic"),
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = Client
        fields = ["q", "status", "segment", "account_manager", "is_strategic"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(external_ref__icontains=value))
