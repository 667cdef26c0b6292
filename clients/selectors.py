"""Reads of the ledger that pages share."""

from django.db.models import Case, IntegerField, Q, Value, When

from clients.models import Client

SEARCH_AT_LEAST = 2
SEARCH_AT_MOST = 12


def client_search(*, user, query: str, limit: int = SEARCH_AT_MOST) -> list[dict]:
    """The clients a user may see whose name contains `query` or whose external reference starts with
    it (any case), the user's own first, then by name; former clients left out. One query, `limit` rows."""
    query = query.strip()
    if len(query) < SEARCH_AT_LEAST:
        return []
    own_first = Case(When(account_manager=user, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(
        Client.objects.visible_to(user)
        .exclude(status=Client.Status.FORMER)
        .filter(Q(name__icontains=query) | Q(external_ref__istartswith=query))
        .annotate(own=own_first)
        .order_by("own", "name", "pk")
        .values("pk", "name", "external_ref")[:limit]
    )
