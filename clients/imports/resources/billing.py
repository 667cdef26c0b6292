"""Files of invoices and of their payments."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients import services
from clients.imports import cells
from clients.imports.resources.base import ClientLinkedResource, Column, LedgerResource, chunks
from clients.keys import fold_key, key_matches
from clients.models import Invoice, Payment


class InvoiceResource(ClientLinkedResource):
    number = Column(
        cells.TextWidget(required=True, max_length=64),
        help=gettext_lazy("Required. The invoice number; a known number updates that invoice."),
    )
    issued_on = Column(cells.DateCellWidget(required=True), help=gettext_lazy("Required. Date, YYYY-MM-DD."))
    due_on = Column(
        cells.DateCellWidget(required=True),
        help=gettext_lazy("Required. Date, not before the issue date."),
    )
    amount = Column(
        cells.DecimalCellWidget(required=True),
        help=gettext_lazy("Required. Amount excluding tax; negative for a credit note."),
    )
    cost_of_sales = Column(
        cells.DecimalCellWidget(minimum=Decimal("0")),
        help=gettext_lazy("Amount; blank uses the default margin rate."),
    )
    written_off = Column(
        cells.DecimalCellWidget(default=Decimal("0.00"), minimum=Decimal("0")),
        help=gettext_lazy("Amount, 0 or more; blank means 0."),
    )

    text_key = "number"

    class Meta(LedgerResource.Meta):
        model = Invoice
        import_id_fields = ("number",)
        fields = ("number", "client", "issued_on", "due_on", "amount", "cost_of_sales", "written_off")
        import_order = fields

    def key_label(self, row):
        return _("Invoice number %(number)s") % {"number": cells.cell_text(row.get("number"))}

    def before_import(self, dataset, **kwargs):
        self.load_clients(dataset)
        numbers = self.column_values(dataset, "number") - {""}
        visible = self.visible_clients()
        for chunk in chunks(numbers):
            invoices = Invoice.objects.filter(key_matches("number", chunk), client__in=visible)
            if self.for_write:
                # Locked until the import commits, so that no payment lands under a lowered amount; locked
                # first, so that the totals below, read by a later statement, include every payment.
                list(invoices.select_for_update(of=("self",)).values_list("pk"))
            # What was paid comes along for Invoice.clean, which checks a corrected amount or write-off
            # against it (check_balance) without a query per row.
            self.load_existing(invoices.with_payments_total())
            hidden = Invoice.objects.filter(key_matches("number", chunk)).exclude(client__in=visible)
            self.hidden_keys.update(fold_key(number) for number in hidden.values_list("number", flat=True))


class PaymentResource(LedgerResource):
    invoice = Column(
        cells.LookupWidget(
            required=True, ignore_case=True, unknown=gettext_lazy("Unknown invoice number “%(value)s”.")
        ),
        name="invoice_number",
        attribute="invoice_id",
        help=gettext_lazy("Required. Number of a known invoice."),
    )
    paid_on = Column(
        cells.DateCellWidget(required=True),
        help=gettext_lazy("Required. Date, YYYY-MM-DD; one payment per invoice and day."),
    )
    amount = Column(
        cells.DecimalCellWidget(required=True, above_zero=True),
        help=gettext_lazy("Required. Above zero; all payments together cannot exceed the invoice."),
    )

    class Meta(LedgerResource.Meta):
        model = Payment
        import_id_fields = ("invoice", "paid_on")
        fields = ("invoice", "paid_on", "amount")
        import_order = fields

    def key_label(self, row):
        return _("The payment of invoice %(number)s on %(date)s") % {
            "number": cells.cell_text(row.get("invoice_number")),
            "date": cells.cell_text(row.get("paid_on")),
        }

    def before_import(self, dataset, **kwargs):
        numbers = self.column_values(dataset, "invoice_number") - {""}
        visible = self.visible_clients()
        mapping = self.widget("invoice").mapping
        self.invoices = {}
        self.paid = {}
        for chunk in chunks(numbers):
            invoices = Invoice.objects.filter(key_matches("number", chunk), client__in=visible).only(
                "pk", "number", "amount", "written_off", "issued_on"
            )
            if self.for_write:
                # Held until the import commits, so that no other payment can overpay these invoices.
                invoices = invoices.select_for_update(of=("self",))
            for invoice in invoices:
                mapping[fold_key(invoice.number)] = invoice.pk
                self.invoices[invoice.pk] = invoice
                self.paid[invoice.pk] = Decimal("0")
        for chunk in chunks(self.invoices):
            for payment in Payment.objects.filter(invoice_id__in=chunk):
                self.existing[self.instance_key(payment)] = payment
                self.paid[payment.invoice_id] += payment.amount

    def check_instance(self, instance, row, *, line):
        # For an update, the stored amount is already counted: take it out before adding the new one.
        original = getattr(instance, "_import_original", None)
        counted = original[self._snapshot_fields.index(self.fields["amount"])] if original else Decimal("0")
        already_paid = self.paid[instance.invoice_id] - counted
        services.payment_check(
            invoice=self.invoices[instance.invoice_id],
            paid_on=instance.paid_on,
            amount=instance.amount,
            already_paid=already_paid,
        )
        self.paid[instance.invoice_id] = already_paid + instance.amount
