"""Recompute the profitability snapshots now, with the same service as the nightly task."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from audits import services


class Command(BaseCommand):
    help = "Recompute every client's profitability snapshot (rolling 12 months and the monthly trend)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, help="As-of date, YYYY-MM-DD (default: today)."
        )

    def handle(self, *args, as_of=None, **options):
        try:
            run = services.profitability_recompute(as_of=as_of)
        except services.RecomputeBusy as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{run.as_of}: {run.client_count} clients in {run.duration.total_seconds():.2f} s (run {run.pk})."
        )
