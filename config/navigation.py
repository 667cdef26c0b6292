"""The navigation a user's role may use, and the quick-log form offered on every page."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.forms import InteractionForm
from clients.roles import role_of

# (label, url name, permission or None, the view names that light it up)
PRIMARY = [
    (_("Dashboard"), "reports:dashboard", "clients.view_client", ("reports:dashboard",)),
    (_("Ranking"), "reports:ranking", "clients.view_client", ("reports:ranking",)),
    (_("Prospects"), "reports:prospects", "clients.view_client", ("reports:prospects",)),
    (_("Payments"), "reports:payments", "clients.view_client", ("reports:payments",)),
    # A client's pages (its profitability and transitions included) sit under /clients/<id>/.
    (
        _("Clients"),
        "clients:list",
        "clients.view_client",
        ("clients:", "reports:client", "transitions:client"),
    ),
    (_("My interactions"), "interactions:list", "clients.view_interaction", ("interactions:",)),
]
SECONDARY = [
    # The client audit (finance runs it, account managers comment): under "More", where the menu
    # still holds on one line at 1366 px in every language.
    (_("Audits"), "review:list", ("audits.run_audit", "audits.comment_audit")),
    # In "More": the main menu holds on one line at 1366 px in every language.
    (_("Transitions"), "transitions:list", "audits.view_transition"),
    (_("Imports"), "imports:index", "clients.import_data"),
    (_("Cost settings"), "profitability:cost_settings", "clients.change_costsettings"),
    (_("Recompute"), "profitability:recompute", "clients.change_costsettings"),
    (_("Seed calculator"), "profitability:seed_calculator", None),
    (_("Letter templates"), "transitions:template_list", "audits.change_lettertemplate"),
    (_("Alternative providers"), "transitions:provider_list", "audits.view_alternativeprovider"),
]
CLIENT_PAGES = ("clients:detail", "reports:client", "transitions:client")


def _may(user, perm) -> bool:
    """A permission, or any of a tuple of them."""
    if isinstance(perm, tuple):
        return any(user.has_perm(p) for p in perm)
    return user.has_perm(perm)


def navigation(request):
    """The context processor, computed once per request.

    Django runs the context processors for every template rendered with the request, and
    django-tables2 renders each table that way: a page with a table built the menu and the
    quick-log form (its query for the user's clients included) twice."""
    cached = getattr(request, "_navigation_context", None)
    if cached is None:
        cached = request._navigation_context = _navigation(request)
    return cached


def _navigation(request):
    user = getattr(request, "user", None)
    context = {"currency": settings.CURRENCY}
    if user is None or not user.is_authenticated:
        return context
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    primary = [
        (label, reverse(name), any(current.startswith(prefix) for prefix in lights))
        for label, name, perm, lights in PRIMARY
        if perm is None or _may(user, perm)
    ]
    secondary = [
        (label, reverse(name), current == name)
        for label, name, perm in SECONDARY
        if perm is None or _may(user, perm)
    ]
    if user.is_staff:
        secondary.append((_("Admin"), reverse("admin:index"), False))
    context.update(nav_items=primary, nav_more=secondary, user_role=role_of(user))
    if user.has_perm("clients.add_interaction"):
        # On a client's pages the quick log starts with that client chosen.
        initial = {"kind": "call"}
        if current in CLIENT_PAGES:
            initial["client"] = match.kwargs.get("pk")
        context["quick_log_form"] = InteractionForm(user=user, auto_id="ql_%s", initial=initial)
    return context
