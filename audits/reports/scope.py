"""The rows every report reads: the client snapshots and month totals of the latest run that the
user may see."""

from django.db.models import Q

from audits.models import ClientSnapshot, PortfolioMonth, PortfolioSnapshot
from clients.access import visible
from clients.models import Client

# Clients (neither prospects nor former clients) with no activity at all in the period: the engine
# leaves them out of the portfolio, and the pages count and list them apart.
DORMANT = Q(in_portfolio=False) & ~Q(status__in=[Client.Status.PROSPECT, Client.Status.FORMER])


def latest_snapshots(*, user, latest: PortfolioSnapshot):
    """The client snapshots of the latest run for the clients the user may see (chainable)."""
    return visible(ClientSnapshot.objects.filter(as_of=latest.as_of), user, through="client")


def latest_month_totals(*, user, latest: PortfolioSnapshot):
    """The month totals of the latest run for the account managers whose clients the user may see
    (chainable)."""
    return visible(PortfolioMonth.objects.filter(run=latest.run_id), user)
