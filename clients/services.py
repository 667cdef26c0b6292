"""Writes to the ledger one row at a time, each checked (``full_clean``) and, for invoices and payments,
under the invoice's row lock. The pages call these, and so do the admin's invoice and payment pages.

Three other writers, each with its own way of keeping the same rules:
- the imports (``clients.imports`` and ``clients.resources``): a whole file in one transaction, every row
  checked by the model's ``clean`` (``Invoice.check_balance`` included) before any is written;
- the demo portfolio (``clients.demo.write``): bulk inserts of rows planned to be valid, on demo clients only;
- the admin's other pages (clients, contacts, staff costs, interactions, expenses, cost settings): Django's
  ``ModelAdmin`` saves, after the model form's checks.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Interaction, Invoice, Payment


def interaction_editable(*, interaction, user, now=None):
    """Own entries, within the current month (local time)."""
    now = timezone.localtime(now or timezone.now())
    started = timezone.localtime(interaction.started_at)
    return interaction.staff_id == user.pk and (started.year, started.month) == (now.year, now.month)


def interaction_log(*, client, staff, kind, started_at, duration_minutes, note=""):
    interaction = Interaction(
        client=client,
        staff=staff,
        kind=kind,
        started_at=started_at,
        duration_minutes=duration_minutes,
        note=note,
    )
    interaction.full_clean()
    interaction.save()
    return interaction


def interaction_update(*, interaction, user, **fields):
    if not interaction_editable(interaction=interaction, user=user):
        raise PermissionDenied(_("Only your own entries of the current month can be changed."))
    for name, value in fields.items():
        setattr(interaction, name, value)
    interaction.full_clean()
    interaction.save()
    return interaction


def interaction_delete(*, interaction, user):
    if not interaction_editable(interaction=interaction, user=user):
        raise PermissionDenied(_("Only your own entries of the current month can be deleted."))
    interaction.delete()


def payment_check(*, invoice, paid_on, amount, already_paid):
    """The rules a new payment must meet; raises ValidationError with a readable message."""
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("A payment must be above zero.")})
    if paid_on < invoice.issued_on:
        raise ValidationError({"paid_on": _("A payment cannot precede its invoice.")})
    # What is written off is no longer owed: a recovered bad debt is recorded by lowering the
    # write-off first, so that payments and write-off never exceed the invoice together.
    invoice.check_balance(paid=already_paid, payment=amount)


def invoice_paid_total(*, invoice):
    return invoice.paid_total()


def payment_record(*, invoice, paid_on, amount):
    """Record a payment; the invoice row is locked so two payments cannot together overpay it."""
    amount = Decimal(amount)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        payment_check(
            invoice=invoice, paid_on=paid_on, amount=amount, already_paid=invoice_paid_total(invoice=invoice)
        )
        payment = Payment(invoice=invoice, paid_on=paid_on, amount=amount)
        payment.full_clean()
        payment.save()
    return payment


def invoice_save(*, invoice):
    """Create or update an invoice after validation, its row locked so that no payment recorded
    meanwhile slips under a lowered amount (payment_record takes the same lock)."""
    with transaction.atomic():
        if invoice.pk is not None:
            Invoice.objects.select_for_update().only("pk").get(pk=invoice.pk)
        invoice.full_clean()
        invoice.save()
    return invoice


def client_save(*, client):
    """Create or update a client after validation."""
    client.full_clean()
    client.save()
    return client


def cost_settings_update(*, cost_settings, user):
    """Validate and save the cost settings; the history row (django-simple-history, written by the
    same save, in the same transaction) names the user who made the change."""
    cost_settings.full_clean()
    cost_settings._history_user = user
    with transaction.atomic():
        cost_settings.save()
    return cost_settings
