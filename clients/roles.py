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
# The computed records, read-only in the admin. audits' own data migration grants them on a new database.
_FIGURES = ["audits.view_profitabilityrun", "audits.view_clientsnapshot", "audits.view_portfoliosnapshot"]
# Transitions and letters (audits/transitions/permissions.py, granted by audits' data migration).
_TRANSITIONS_SEE = ["audits.view_transition", "audits.view_letter"]
_TRANSITIONS_MOVE = [
    *_TRANSITIONS_SEE,
    *[f"audits.{action}_{model}" for model in ("transition", "letter") for action in ("add", "change")],
    "audits.manage_transitions",
    "audits.view_alternativeprovider",
    "audits.view_lettertemplate",
]
_TRANSITIONS_MANAGE = [
    *_TRANSITIONS_MOVE,
    *[
        f"audits.{action}_{model}"
        for model in ("alternativeprovider", "lettertemplate")
        for action in ("add", "change")
    ],
    "audits.view_letterhead",
    "audits.change_letterhead",
]
# The client audit: finance and admins run audits, account managers comment on their clients' flags.
_RUN_AUDIT = ["audits.run_audit"]

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
        *_TRANSITIONS_SEE,
        "audits.comment_audit",
    ],
    FINANCE: [
        "clients.view_all_clients",
        "clients.import_data",
        "clients.view_costsettings",
        "clients.change_costsettings",
        "clients.view_historicalcostsettings",
        *[f"clients.{action}_{model}" for model in _LEDGER for action in ("view", "add", "change", "delete")],
        *_FIGURES,
        *_TRANSITIONS_MOVE,
        *_RUN_AUDIT,
    ],
    ADMINS: [
        "clients.view_all_clients",
        "clients.import_data",
        "clients.view_costsettings",
        "clients.change_costsettings",
        "clients.view_historicalcostsettings",
        *[f"clients.{action}_{model}" for model in _LEDGER for action in ("view", "add", "change", "delete")],
        *_FIGURES,
        *_TRANSITIONS_MANAGE,
        *_RUN_AUDIT,
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
    such as after a test database flush. There it first creates the permission rows a flush may have
    left out, and a permission of PERMISSIONS that still does not exist is an error, never skipped.
    From the migration it grants only the permissions of the apps migrated so far: an app migrated
    later (audits) grants its roles' permissions in its own data migration.
    """
    if group_model is None:
        from django.apps import apps
        from django.contrib.auth.management import create_permissions
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model

        for app_label in sorted({code.split(".")[0] for codes in PERMISSIONS.values() for code in codes}):
            create_permissions(apps.get_app_config(app_label), verbosity=0)
        migrated = None
    else:
        migrated = {app_config.label for app_config in group_model._meta.apps.get_app_configs()}
    for group_name, codes in PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=group_name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            if migrated is not None and app_label not in migrated:
                continue
            try:
                wanted.append(
                    permission_model.objects.get(content_type__app_label=app_label, codename=codename)
                )
            except permission_model.DoesNotExist:
                raise LookupError(
                    f"The {group_name} role needs the permission {code}, which does not exist."
                ) from None
        group.permissions.add(*wanted)
