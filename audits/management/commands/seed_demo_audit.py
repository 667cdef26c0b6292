"""Add the demo's completed audit (last calendar year) and the transitions it started."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.review.demo import demo_audit
from audits.review.services import AuditError


class Command(BaseCommand):
    help = "Add a completed audit of last year to the demo portfolio (after seed_demo and demo_users)."

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="fiona", help="The finance user who runs it (default: fiona).")

    def handle(self, *args, owner, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(_("There is no user “%(name)s”: run demo_users first.") % {"name": owner})
        try:
            audit = demo_audit(owner=user, today=timezone.localdate())
        except AuditError as exc:
            raise CommandError(str(exc)) from exc
        if audit is None:
            self.stdout.write(_("The demo's audit is already there."))
            return
        self.stdout.write(
            _(
                "Audit “%(title)s” completed: %(flagged)s flagged clients reviewed, %(leaving)s transitions started."
            )
            % {
                "title": audit.title,
                "flagged": audit.flags_total
                if hasattr(audit, "flags_total")
                else audit.clients.filter(is_flagged=True).count(),
                "leaving": audit.transitions.count(),
            }
        )
