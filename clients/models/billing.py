"""Billing: invoices (and credit notes) and the payments received on them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients import display
from clients.keys import CaseInsensitiveKey
from clients.models.fields import ZERO, client_field, ledger_date_field, money_field
from clients.receivables import open_amount


class InvoiceQuerySet(models.QuerySet):
    def with_payments_total(self):
        """Each invoice with what has been paid on it (``payments_total``, read by ``paid_total``),
        in a subquery: no GROUP BY, so the rows can still be locked (select_for_update)."""
        payments = (
            Payment.objects.filter(invoice=OuterRef("pk"))
            .values("invoice")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return self.annotate(payments_total=Coalesce(Subquery(payments), ZERO))


class Invoice(CaseInsensitiveKey, models.Model):
    client = client_field(on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("number"), max_length=64)
    issued_on = ledger_date_field(_("issued on"))
    due_on = ledger_date_field(_("due on"))
    amount = money_field(_("amount excl. tax"), help_text=_("Negative for a credit note."))
    cost_of_sales = money_field(
        _("cost of sales"),
        null=True,
        blank=True,
        help_text=_("Direct cost of what was delivered; blank uses the default margin rate."),
    )
    written_off = money_field(_("written off"), default=Decimal("0.00"))

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("issued_on")), name="invoice_due_not_before_issue"
            ),
            models.CheckConstraint(condition=Q(written_off__gte=0), name="invoice_written_off_not_negative"),
            # What one row can say alone of the rule in check_balance; the payments need the rows around.
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(written_off=0), name="invoice_credit_note_not_written_off"
            ),
            models.CheckConstraint(
                condition=Q(amount__lt=0) | Q(written_off__lte=F("amount")),
                name="invoice_written_off_within_amount",
            ),
            models.UniqueConstraint(
                Lower("number"),
                name="invoice_number_unique_ignoring_case",
                violation_error_message=_("Another invoice already has this number."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["client", "issued_on"],
                include=["amount", "cost_of_sales", "written_off", "due_on"],
                name="invoice_client_issued",
            ),
        ]

    key_field = "number"
    key_clash_message = _(
        "Another invoice already has the number “%(existing)s”; numbers are compared regardless of case."
    )

    def __str__(self):
        return self.number

    @property
    def is_credit_note(self):
        return self.amount < 0

    def paid_total(self):
        """What has been paid on this invoice: one query, unless loaded ``with_payments_total()``."""
        if self.pk is None:
            return ZERO
        if hasattr(self, "payments_total"):
            return self.payments_total
        return self.payments.aggregate(total=Sum("amount"))["total"] or ZERO

    def check_balance(self, *, paid, payment=None):
        """The ledger's rule for one invoice, wherever it is written (forms, the admin, imports, services).

        A positive invoice's payments and write-off together never exceed its amount; a credit note
        (negative amount) takes no payments and no write-off. ``paid`` is the total of the payments
        recorded; ``payment``, the amount of one about to be added. Raises ValidationError naming the
        invoice and the amounts. Writers hold the invoice's row lock while they check and write, so
        that no payment lands between the check and the write.
        """
        if self.amount is None or self.written_off is None:
            return  # the field is already reported
        unpaid = self.amount - paid
        errors = {}
        if payment is not None:
            if self.amount < 0:
                errors["amount"] = _(
                    "Invoice %(number)s is a credit note (%(amount)s): it takes no payments."
                )
            elif payment > open_amount(amount=self.amount, written_off=self.written_off, paid=paid):
                errors["amount"] = _(
                    "This payment of %(payment)s is above what remains open on invoice %(number)s (%(open)s)."
                )
        elif self.amount < 0:
            if paid:
                errors["amount"] = _(
                    "Invoice %(number)s has received %(paid)s in payments: it cannot become a credit note "
                    "(%(amount)s)."
                )
            if self.written_off:
                errors["written_off"] = _(
                    "Invoice %(number)s is a credit note (%(amount)s): it takes no write-off."
                )
        elif paid > self.amount:
            errors["amount"] = _(
                "Invoice %(number)s has received %(paid)s in payments: its amount cannot be lowered to "
                "%(amount)s."
            )
        elif self.written_off > unpaid:
            errors["written_off"] = _(
                "The written-off amount (%(written_off)s) cannot exceed what remains unpaid on invoice "
                "%(number)s (%(unpaid)s)."
            )
        if errors:  # the figures are written only for a message: an import checks every row
            figures = {
                "number": self.number,
                "amount": display.number(self.amount),
                "paid": display.number(paid),
                "written_off": display.number(self.written_off),
                "unpaid": display.number(unpaid),
                "payment": display.number(payment),
                "open": display.number(
                    open_amount(amount=self.amount, written_off=self.written_off, paid=paid)
                ),
            }
            raise ValidationError({field: message % figures for field, message in errors.items()})

    def clean(self):
        errors = {}
        if self.issued_on and self.due_on and self.due_on < self.issued_on:
            errors["due_on"] = [_("The due date cannot be before the issue date.")]
        try:
            self.check_balance(paid=self.paid_total())
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class Payment(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="payments"
    )
    paid_on = ledger_date_field(_("paid on"))
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["invoice", "paid_on"], name="payment_natural_key"),
        ]
        indexes = [
            models.Index(fields=["invoice", "paid_on"], include=["amount"], name="payment_invoice"),
        ]

    def __str__(self):
        return f"{self.invoice.number} {self.amount} on {self.paid_on}"

    def clean(self):
        super().clean()
        if self.paid_on is not None and self.paid_on > timezone.localdate():
            raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
