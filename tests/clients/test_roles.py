"""The role groups and their permissions: what the migrations grant, roles_sync grants again after a flush."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from clients.roles import ACCOUNT_MANAGERS, ADMINS, FINANCE, PERMISSIONS, roles_sync

FIGURES = {"audits.view_profitabilityrun", "audits.view_clientsnapshot", "audits.view_portfoliosnapshot"}


def _flush(*, inhibit_post_migrate=False):
    """Empty every table, as a transactional test does; without post_migrate no permission row is left."""
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=inhibit_post_migrate)


def _grants():
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def _run_data_migrations():
    """The data migrations that grant the roles' permissions, run on an empty database with the
    historical models they see on a new installation (the audit's grant runs at the end of the
    migration that creates the audit)."""
    loader = MigrationLoader(connection)
    for app_label, name, function, at_end in [
        ("clients", "0002_roles", "create_roles", False),
        ("audits", "0002_schedule_and_permissions", "forwards", False),
        ("audits", "0011_transition_defaults", "forwards", False),
        ("audits", "0012_audit", "grant", True),
    ]:
        apps = loader.project_state((app_label, name), at_end=at_end).apps
        module = importlib.import_module(f"{app_label}.migrations.{name}")
        getattr(module, function)(apps, None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "inhibit_post_migrate", [False, True], ids=["flush", "flush-without-permission-rows"]
)
def test_after_a_flush_roles_sync_grants_what_the_migrations_grant(inhibit_post_migrate):
    _flush(inhibit_post_migrate=True)
    _run_data_migrations()
    migrated = _grants()

    _flush(inhibit_post_migrate=inhibit_post_migrate)
    assert not Group.objects.exists()
    roles_sync()
    synced = _grants()

    assert synced == migrated
    assert synced == {name: set(codes) for name, codes in PERMISSIONS.items()}
    assert synced[FINANCE] >= FIGURES and synced[ADMINS] >= FIGURES
    assert not synced[ACCOUNT_MANAGERS] & FIGURES


@pytest.mark.django_db
def test_roles_sync_refuses_a_permission_that_does_not_exist(monkeypatch):
    monkeypatch.setitem(PERMISSIONS, FINANCE, [*PERMISSIONS[FINANCE], "clients.view_nothing"])
    with pytest.raises(LookupError, match="clients.view_nothing"):
        roles_sync()
