"""The nightly recompute at 02:00 (installation time zone, editable in the admin), and the
profitability permissions of the finance and admin roles."""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

TASK = "audits.tasks.profitability_recompute_task"
NAME = "Nightly profitability recompute"
GRANTS = {
    "Finance": ["view_profitabilityrun", "view_clientsnapshot", "view_portfoliosnapshot"],
    "Admins": ["view_profitabilityrun", "view_clientsnapshot", "view_portfoliosnapshot"],
}


def forwards(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": schedule})

    app_config = apps.get_app_config("audits")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="audits", codename__in=codenames))


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0001_initial"),
        ("clients", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
