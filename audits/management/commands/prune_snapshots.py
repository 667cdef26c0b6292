"""Remove the snapshots past their retention now, with the same service as the nightly task."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audits.profitability import lock, retention
from clients import display


class Command(BaseCommand):
    help = (
        "Remove the snapshots past their retention: the daily snapshots (and their month totals) older "
        "than SNAPSHOT_DAILY_DAYS except each month's last day and the day before the latest. Runs are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            help="Days of daily snapshots to keep (default: the SNAPSHOT_DAILY_DAYS setting).",
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 1:
            raise CommandError(_("Keep at least one day of daily snapshots."))
        try:
            pruned = retention.snapshots_prune(daily_days=days)
        except lock.RecomputeBusy as exc:
            raise CommandError(str(exc)) from exc
        if pruned.latest is None:
            self.stdout.write(_("No snapshots yet: nothing to remove."))
            return
        removed = (
            (_("Days removed: %(count)s"), len(pruned.days)),
            (_("Client snapshots removed: %(count)s"), pruned.client_snapshots),
            (_("Portfolio snapshots removed: %(count)s"), pruned.portfolio_snapshots),
        )
        for line, count in removed:
            self.stdout.write(line % {"count": display.number(count, 0)})
        self.stdout.write(
            _(
                "Kept: the daily snapshots from %(daily_from)s to %(latest)s, of the day before the "
                "latest and of each month's last day, each with its month totals; every run."
            )
            % {"latest": pruned.latest.isoformat(), "daily_from": pruned.daily_from.isoformat()}
        )
