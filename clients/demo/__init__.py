"""A deterministic demo portfolio for a first look at the product (`manage.py seed_demo`).

Every draw comes from one `random.Random(seed)`, never from the global random state, and nothing depends on
database ids or on set ordering: two runs with the same seed, size and as-of date on empty databases write
identical rows. Dates are relative to the as-of date (today by default), spread over the given months.

The portfolio has the shapes the product is meant to reveal: revenue concentrated on a minority of clients
(the top fifth bring about 78 % of the last twelve months' revenue), a few high-maintenance clients whose
service costs more than their margin, chronic late payers, one written-off invoice, a referral chain,
strategic clients with their reasons, prospects with an estimated annual margin, staff with hourly costs
(some changing during the period) and monthly overheads.

``data`` holds the word lists, ``plan`` the shapes of the plan; the planners (``parties``, ``billing``,
``work``, ``expenses``) fill it in the order ``builder`` runs them; ``write`` writes it, ``summary`` sums
it up.
"""

from clients.demo.builder import PortfolioBuilder, portfolio_build
from clients.demo.data import DEMO_REF_PREFIX, EXTRA_MANAGERS, STAFF
from clients.demo.plan import ClientPlan, InvoicePlan, Summary
from clients.models import Client, Contact, Expense, Interaction, Invoice, Payment, StaffCost

__all__ = [
    "DEMO_REF_PREFIX",
    "EXTRA_MANAGERS",
    "ClientPlan",
    "InvoicePlan",
    "PortfolioBuilder",
    "Summary",
    "demo_clients",
    "demo_delete",
    "portfolio_build",
]


def demo_clients():
    return Client.objects.filter(external_ref__startswith=DEMO_REF_PREFIX)


def demo_delete():
    """Remove the demo clients and everything recorded on them, and the demo staff's hourly costs."""
    clients = demo_clients()
    Payment.objects.filter(invoice__client__in=clients).delete()
    Invoice.objects.filter(client__in=clients).delete()
    Expense.objects.filter(client__in=clients).delete()
    Interaction.objects.filter(client__in=clients).delete()
    Contact.objects.filter(client__in=clients).delete()
    clients.update(referred_by=None)
    clients.delete()
    StaffCost.objects.filter(user__username__in=STAFF).delete()
