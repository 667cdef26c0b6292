"""Create the demo log-ins, one or more per role (idempotent), and print them with their password."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from clients.demo import EXTRA_MANAGERS
from clients.roles import ACCOUNT_MANAGERS, ADMINS, FINANCE, roles_sync

DEMO_PASSWORD = "demo-pass-2026"
DEMO_URL = "http://127.0.0.1:8000/"

DEMO_USERS = [
    # username, first name, last name, role, is_staff
    ("alice", "Alice", "Martin", ACCOUNT_MANAGERS, False),
    ("bruno", "Bruno", "Peeters", ACCOUNT_MANAGERS, False),
    # The demo portfolio's other account managers (clients/demo/data.py) log in too.
    *((username, first, last, ACCOUNT_MANAGERS, False) for username, first, last in EXTRA_MANAGERS),
    ("fiona", "Fiona", "Dumitru", FINANCE, True),
    ("adam", "Adam", "Janssens", ADMINS, True),
]


class Command(BaseCommand):
    help = "Create the demo users, one or more per role, and print their log-ins."

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
            # A demo account manager created by seed_demo has no password yet; a password someone
            # changed is kept.
            if created or not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            rows.append((username, f"{first} {last}", role))
        self.stdout.write(
            _("Demo users, at %(url)s (password: %(password)s):")
            % {"url": DEMO_URL, "password": DEMO_PASSWORD}
        )
        for username, name, role in rows:
            self.stdout.write(f"  {username:<8} {name:<18} {role}")
