"""Recompute the profitability snapshots now, with the same service as the nightly task."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audits.profitability import lock, runs
from clients import display


class Command(BaseCommand):
    help = "Recompute every client's profitability snapshot (rolling 12 months and the monthly trend)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, help="As-of date, YYYY-MM-DD (default: today)."
        )

    def handle(self, *args, as_of=None, **options):
        try:
            run = runs.profitability_recompute(as_of=as_of)
        except lock.RecomputeBusy as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("%(as_of)s: %(clients)s clients in %(seconds)s s (run %(run)d).")
            % {
                "as_of": run.as_of.isoformat(),
                "clients": display.number(run.client_count, 0),
                "seconds": display.number(run.duration.total_seconds(), 2),
                "run": run.pk,
            }
        )
