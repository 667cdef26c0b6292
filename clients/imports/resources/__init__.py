"""The resources (django-import-export): how each kind of file maps onto the ledger's models.

``base`` holds what every kind shares (lookups loaded once per file, natural keys, the per-row
checks, bulk writing); one module per group of kinds holds their columns and their own rules.
``RESOURCES`` names the resource of each ``ImportJob.Kind``.
"""

from clients.imports.resources.billing import InvoiceResource, PaymentResource
from clients.imports.resources.expenses import ExpenseResource
from clients.imports.resources.interactions import InteractionResource
from clients.imports.resources.parties import ClientResource, ContactResource

RESOURCES = {
    "clients": ClientResource,
    "contacts": ContactResource,
    "interactions": InteractionResource,
    "invoices": InvoiceResource,
    "payments": PaymentResource,
    "expenses": ExpenseResource,
}
