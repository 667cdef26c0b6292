"""Create one demo user per role (idempotent) and print them with their passwords."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from clients.roles import ACCOUNT_MANAGERS, ADMINS, FINANCE, roles_sync

DEMO_PASSWORD = "demo-pass-2026"

DEMO_USERS = [
    # username, first name, last name, role, is_staff
    ("alice", "Alice", "Martin", ACCOUNT_MANAGERS, False),
    ("bruno", "Bruno", "Peeters", ACCOUNT_MANAGERS, False),
    ("fiona", "Fiona", "Dumitru", FINANCE, True),
    ("adam", "Adam", "Janssens", ADMINS, True),
]


class Command(BaseCommand):
    help = "Create the demo users, one per role, and print their log-ins."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        roles_sync()
        rows = []
        for username, first, last, role, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
            )
            user.is_staff = is_staff
            if created:
                user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            rows.append((username, role))
        self.stdout.write(f"Demo users (password: {DEMO_PASSWORD}):")
        for username, role in rows:
            self.stdout.write(f"  {username:<8} {role}")
