"""Reads of the ledger that pages share."""

from django.db.models import Case, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404

from clients.access import visible
from clients.models import Client, Interaction

SEARCH_AT_LEAST = 2
SEARCH_AT_MOST = 12


def client_search(*, user, query: str, limit: int = SEARCH_AT_MOST, former: bool = False) -> list[dict]:
    """The clients a user may see whose name contains `query` or whose external reference starts with
    it (any case), the user's own first, then by name; former clients left out unless asked for (an
    audit's period may hold their costs). One query, `limit` rows."""
    query = query.strip()
    if len(query) < SEARCH_AT_LEAST:
        return []
    own_first = Case(When(account_manager=user, then=Value(0)), default=Value(1), output_field=IntegerField())
    clients = Client.objects.visible_to(user)
    if not former:
        clients = clients.exclude(status=Client.Status.FORMER)
    return list(
        clients.filter(Q(name__icontains=query) | Q(external_ref__istartswith=query))
        .annotate(own=own_first)
        .order_by("own", "name", "pk")
        .values("pk", "name", "external_ref")[:limit]
    )


def client_get_for_user(*, user, pk):
    """A client the user may see, or 404: another manager's client does not exist for them."""
    return get_object_or_404(visible(Client.objects.all(), user), pk=pk)


def interaction_get_for_user(*, user, pk):
    """An interaction on a visible client, or 404."""
    rows = Interaction.objects.select_related("client", "staff")
    return get_object_or_404(visible(rows, user, through="client"), pk=pk)
