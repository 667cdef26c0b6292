"""Load the demo portfolio: deterministic for a seed, and a no-op when it is already there."""

import io
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from clients import display
from clients.demo import demo_clients, demo_delete, portfolio_build

MIN_CLIENTS = 20
MIN_MONTHS = 6


class Command(BaseCommand):
    # argparse formats its help with %, which a lazy string does not survive: translated on use.
    @property
    def help(self):
        return _(
            "Load a realistic demo portfolio (clients, prospects, contacts, invoices, payments, interactions, "
            "expenses, staff costs and overheads). The same seed gives the same data. When the demo portfolio "
            "is already there nothing changes, unless --reset is given; building it replaces the hourly costs "
            "of the demo staff."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--clients",
            type=int,
            default=150,
            help=_("Number of clients (prospects come on top)."),
        )
        parser.add_argument("--months", type=int, default=24, help=_("Months of history, ending today."))
        parser.add_argument("--seed", type=int, default=2026, help=_("Seed of the random draws."))
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("Delete the demo portfolio first and build it again."),
        )

    def handle(self, *args, clients, months, seed, reset, **options):
        if clients < MIN_CLIENTS:
            raise CommandError(_("Give at least %(count)d clients.") % {"count": MIN_CLIENTS})
        if months < MIN_MONTHS:
            raise CommandError(_("Give at least %(count)d months.") % {"count": MIN_MONTHS})
        call_command("demo_users", stdout=io.StringIO())

        started = time.monotonic()
        with transaction.atomic():
            existing = demo_clients().count()
            if existing and not reset:
                self.stdout.write(
                    _(
                        "The demo portfolio is already there (%(count)d clients); nothing was changed. "
                        "Run with --reset to rebuild it."
                    )
                    % {"count": existing}
                )
                return
            if existing:
                try:
                    demo_delete()
                except ProtectedError as exc:
                    # What keeps them, by name (the error's own text lists every row).
                    keeping = sorted({str(row._meta.verbose_name_plural) for row in exc.protected_objects})
                    raise CommandError(
                        _(
                            "The demo clients are kept by %(models)s (an audit keeps its clients), so they "
                            "cannot be rebuilt: start from a new database instead."
                        )
                        % {"models": ", ".join(keeping)}
                    ) from exc
            summary = portfolio_build(seed=seed, clients=clients, months=months)
        elapsed = time.monotonic() - started

        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo portfolio built in %(seconds)s s (seed %(seed)d, %(months)d months to %(as_of)s): "
                    "%(clients)d clients (%(active)d active, %(former)d former) and %(prospects)d prospects "
                    "shared by %(managers)d account managers; %(invoices)d invoices including %(credit_notes)d "
                    "credit notes and one write-off, %(payments)d payments, %(overdue)d invoices open past due, "
                    "%(interactions)d interactions and %(expenses)d expenses. Over the last 12 months revenue "
                    "is %(revenue)s and the top 20 %% of clients (%(top)d of %(with_revenue)d) bring "
                    "%(share)s %%; %(losers)d clients cost more to serve than their gross margin. Overheads "
                    "are set to %(overheads)s a month."
                )
                % {
                    "seconds": display.number(elapsed, 1),
                    "seed": summary.seed,
                    "months": summary.months,
                    "as_of": summary.as_of.isoformat(),
                    "clients": summary.clients,
                    "active": summary.active,
                    "former": summary.former,
                    "prospects": summary.prospects,
                    "managers": summary.managers,
                    "invoices": summary.invoices,
                    "credit_notes": summary.credit_notes,
                    "payments": summary.payments,
                    "overdue": summary.open_overdue,
                    "interactions": summary.interactions,
                    "expenses": summary.expenses,
                    "revenue": display.number(summary.revenue_12m, 2),
                    "top": summary.top_clients,
                    "with_revenue": summary.clients_with_revenue,
                    "share": display.number(summary.top_share * 100, 1),
                    "losers": summary.loss_makers,
                    "overheads": display.number(summary.overheads_per_month, 2),
                }
            )
        )
