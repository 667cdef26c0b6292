"""Create the three role groups with their permissions, and the cost settings row."""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone


def create_roles(apps, schema_editor):
    from clients.roles import roles_sync

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    roles_sync(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))

    CostSettings = apps.get_model("clients", "CostSettings")
    if not CostSettings.objects.exists():
        row = CostSettings.objects.create()
        # The history starts with the defaults, so the first change shows what it replaced.
        History = apps.get_model("clients", "HistoricalCostSettings")
        values = {f.attname: getattr(row, f.attname) for f in CostSettings._meta.concrete_fields}
        History.objects.create(**values, history_date=timezone.now(), history_type="+")


def remove_roles(apps, schema_editor):
    from clients.roles import PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
