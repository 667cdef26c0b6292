"""Who may see which client: the one rule, used by every page, selector, export and import.

An account manager sees the clients they manage; finance and admins (the ``view_all_clients``
permission) see every client; an anonymous user sees none. Rows that hang off a client (snapshots,
invoices, interactions) are scoped through their ``client`` relation with the same rule. One row by its
key, or 404: ``clients.selectors.client_get_for_user`` and ``interaction_get_for_user``.
"""

from django.db.models import QuerySet


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
