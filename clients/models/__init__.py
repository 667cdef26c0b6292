"""The ledger: facts about clients and what serving them cost. No analysis here.

One module per concept: ``parties`` (clients, contacts), ``work`` (staff costs, interactions), ``billing``
(invoices, payments), ``costs`` (expenses, cost settings), ``jobs`` (import jobs); ``people`` holds
what each user chose for themselves (not the ledger's); ``fields`` holds the field shapes they share. Every model is exported here, so ``from clients.models import Invoice`` works.
"""

from clients.models.billing import Invoice, InvoiceQuerySet, Payment
from clients.models.costs import CostSettings, Expense, validate_ageing_limits, validate_boundaries
from clients.models.fields import CENT, ZERO, client_field, money_field, percent_field, user_field
from clients.models.jobs import ImportJob
from clients.models.parties import Client, ClientQuerySet, Contact
from clients.models.people import Preference
from clients.models.work import Interaction, StaffCost

__all__ = [
    "CENT",
    "ZERO",
    "Client",
    "ClientQuerySet",
    "Contact",
    "CostSettings",
    "Expense",
    "ImportJob",
    "Interaction",
    "Invoice",
    "InvoiceQuerySet",
    "Payment",
    "Preference",
    "StaffCost",
    "client_field",
    "money_field",
    "percent_field",
    "user_field",
    "validate_ageing_limits",
    "validate_boundaries",
]
