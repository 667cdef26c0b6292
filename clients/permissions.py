"""One place that answers 'may this user reach this object?'."""

from django.shortcuts import get_object_or_404

from clients.models import Client, Interaction


def client_get_for_user(*, user, pk):
    """A client the user may see, or 404: another manager's client does not exist for them."""
    return get_object_or_404(Client.objects.visible_to(user), pk=pk)


def interaction_get_for_user(*, user, pk):
    """An interaction on a visible client, or 404."""
    return get_object_or_404(
        Interaction.objects.select_related("client", "staff").filter(
            client__in=Client.objects.visible_to(user)
        ),
        pk=pk,
    )
