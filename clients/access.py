"""Who may see which client: the one rule, used by every page, selector, export and import.

An account manager sees the clients they manage; finance and admins (the ``view_all_clients``
permission) see every client; an anonymous user sees none. Rows that hang off a client (snapshots,
invoices, interactions) are scoped through their ``client`` relation with the same rule.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404


def sees_all(user) -> bool:
    """Whether the user sees every account manager's clients."""
    return user.is_authenticated and user.has_perm("clients.view_all_clients")


def visible(queryset: QuerySet, user, *, through: str = "") -> QuerySet:
    """The rows of ``queryset`` the user may see. ``through`` names the relation that leads from a row
    to its client ("client" for a snapshot or an invoice); empty when the rows are clients."""
    if not user.is_authenticated:
        return queryset.none()
    if sees_all(user):
        return queryset
    return queryset.filter(**{f"{through}__account_manager" if through else "account_manager": user})


def client_get_for_user(*, user, pk):
    """A client the user may see, or 404: another manager's client does not exist for them."""
    from clients.models import Client

    return get_object_or_404(visible(Client.objects.all(), user), pk=pk)


def interaction_get_for_user(*, user, pk):
    """An interaction on a visible client, or 404."""
    from clients.models import Interaction

    rows = Interaction.objects.select_related("client", "staff")
    return get_object_or_404(visible(rows, user, through="client"), pk=pk)
