from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.roles import role_of


def navigation(request):
    """The navigation a user's role may use, and the quick-log form for every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"currency": settings.CURRENCY}
    items = [(_("Clients"), reverse("clients:list"), "clients")]
    if user.has_perm("clients.view_interaction"):
        items.append((_("My interactions"), reverse("interactions:list"), "interactions"))
    for label, url_name, perm, key in NAV_EXTRA:
        if user.has_perm(perm):
            items.append((label, reverse(url_name), key))
    if user.is_staff:
        items.append((_("Admin"), reverse("admin:index"), "admin"))
    context = {"nav_items": items, "user_role": role_of(user), "currency": settings.CURRENCY}
    if user.has_perm("clients.add_interaction"):
        from clients.forms import InteractionForm

        # On a client's page the quick log starts with that client chosen.
        match = getattr(request, "resolver_match", None)
        initial = {"kind": "call"}
        if match and match.view_name == "clients:detail":
            initial["client"] = match.kwargs.get("pk")
        context["quick_log_form"] = InteractionForm(user=user, auto_id="ql_%s", initial=initial)
    return context


# Further pages register here: (label, url name, permission, key).
NAV_EXTRA = [
    (_("Imports"), "imports:index", "clients.import_data", "imports"),
    (_("Seed calculator"), "audits:seed_calculator", "clients.view_client", "seed"),
    (_("Recompute"), "audits:recompute", "clients.change_costsettings", "recompute"),
]
