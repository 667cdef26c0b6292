"""The transitions' permissions for each role, and the default letter templates (en, fr, nl, ro)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from audits.transitions.defaults import DEFAULT_TEMPLATES
from audits.transitions.permissions import GRANTS


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("audits")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codes in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            codenames = [code.split(".")[1] for code in codes]
            group.permissions.add(*Permission.objects.filter(content_type__app_label="audits", codename__in=codenames))

    LetterTemplate = apps.get_model("audits", "LetterTemplate")
    for (kind, language), (subject, body) in DEFAULT_TEMPLATES.items():
        LetterTemplate.objects.get_or_create(kind=kind, language=language, defaults={"subject": subject, "body": body})


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0010_transitions"),
        ("clients", "0002_roles"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
