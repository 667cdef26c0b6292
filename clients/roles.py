"""The three roles, as Django groups, and the permissions each holds.

The groups are created by a data migration; tests and the demo users rely on these names.
"""

from django.utils.translation import gettext_lazy as _

ACCOUNT_MANAGERS = "Account managers"
FINANCE = "Finance"
ADMINS = "Admins"

ROLE_LABELS = {
    ACCOUNT_MANAGERS: _("Account manager"),
    FINANCE: _("Finance"),
    ADMINS: _("Admin"),
}

_LEDGER = ["client", "contact", "staffcost", "interaction", "invoice", "payment", "expense"]

PERMISSIONS = {
    ACCOUNT_MANAGERS: [
        "clients.view_client",
        "clients.change_client",
        "clients.view_contact",
        "clients.add_contact",
        "clients.change_contact",
        "clients.view_interaction",
        "clients.add_interaction",
        "clients.change_interaction",
        "clients.delete_interaction",
        "clients.view_invoice",
        "clients.view_payment",
        "clients.view_expense",
    ],
    FINANCE: [
        "clients.view_all_clients",
        "clients.import_data",
        "clients.view_costsettings",
        "clients.change_costsettings",
        "clients.view_historicalcostsettings",
        *[f"clients.{action}_{model}" for model in _LEDGER for action in ("view", "add", "change", "delete")],
    ],
    ADMINS: [
        "clients.view_all_clients",
        "clients.import_data",
        "clients.view_costsettings",
        "clients.change_costsettings",
        "clients.view_historicalcostsettings",
        *[f"clients.{action}_{model}" for model in _LEDGER for action in ("view", "add", "change", "delete")],
        *[
            f"auth.{action}_{model}"
            for model in ("user", "group")
            for action in ("view", "add", "change", "delete")
        ],
    ],
}


def role_of(user):
    """The label of a user's role, for display."""
    names = {group.name for group in user.groups.all()}
    for name in (ADMINS, FINANCE, ACCOUNT_MANAGERS):
        if name in names:
            return ROLE_LABELS[name]
    return _("Superuser") if user.is_superuser else _("No role")


def roles_sync(*, group_model=None, permission_model=None):
    """Create the role groups and give each its permissions (idempotent).

    Runs from the data migration (with historical models) and wherever the groups may be missing,
    such as after a test database flush.
    """
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    for group_name, codes in PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=group_name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
