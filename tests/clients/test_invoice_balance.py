"""The ledger refuses impossible states wherever it is written, and its keys match regardless of case.

An impossible state: payments and write-off above a positive invoice's amount, a payment or a write-off
on a credit note, an invoice with payments turned into a credit note. Keys: a client's external reference
and an invoice number, which people read the same in any capitals.
"""

import datetime as dt
import threading
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from clients import services
from clients.forms import ClientForm, InteractionForm
from clients.imports.files import import_columns
from clients.imports.resources import RESOURCES
from clients.imports.rows import import_file
from clients.models import Client, Contact, Expense, Interaction, Invoice, Payment
from tests.clients.test_imports import INVOICE_HEADER, csv_bytes, row_errors
from tests.factories import ClientFactory, InvoiceFactory, PaymentFactory

PAYMENT_HEADER = ["invoice_number", "paid_on", "amount"]


@pytest.fixture
def acme(manager):
    return ClientFactory(external_ref="ACME", name="Acme", account_manager=manager)


@pytest.fixture
def paid_invoice(acme):
    """INV-1: 1,000.00, paid in full on 1 February 2025."""
    invoice = InvoiceFactory(
        client=acme, number="INV-1", issued_on=dt.date(2025, 1, 10), amount=Decimal("1000")
    )
    PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 2, 1), amount=Decimal("1000.00"))
    return invoice


def invoice_row(number="INV-1", amount="1000", written_off="", client_ref="ACME"):
    return [number, client_ref, "2025-01-10", "2025-02-09", amount, "", written_off]


def client_rows(*rows):
    """Rows of a clients file, each given as {column: value}; the other columns are blank."""
    header = [column for column, _help in import_columns(kind="clients")]
    return header, [[row.get(column, "") for column in header] for row in rows]


# -- the database says what one row can say alone ------------------------------------------------


@pytest.mark.django_db
class TestOneRowRulesInTheDatabase:
    def test_it_refuses_a_credit_note_with_a_write_off(self):
        with pytest.raises(IntegrityError, match="invoice_credit_note_not_written_off"), transaction.atomic():
            InvoiceFactory(amount=Decimal("-200.00"), written_off=Decimal("10.00"))

    def test_it_refuses_a_write_off_above_a_positive_invoice(self):
        with pytest.raises(IntegrityError, match="invoice_written_off_within_amount"), transaction.atomic():
            InvoiceFactory(amount=Decimal("100.00"), written_off=Decimal("100.01"))

    def test_it_refuses_a_negative_write_off(self):
        with pytest.raises(IntegrityError, match="invoice_written_off_not_negative"), transaction.atomic():
            InvoiceFactory(amount=Decimal("100.00"), written_off=Decimal("-1.00"))

    def test_it_refuses_two_clients_whose_references_differ_only_in_case(self):
        ClientFactory(external_ref="acme01")
        refused = pytest.raises(IntegrityError, match="client_external_ref_unique_ignoring_case")
        with refused, transaction.atomic():
            ClientFactory(external_ref="ACME01")

    def test_it_refuses_two_invoices_whose_numbers_differ_only_in_case(self):
        InvoiceFactory(number="inv-7")
        with pytest.raises(IntegrityError, match="invoice_number_unique_ignoring_case"), transaction.atomic():
            InvoiceFactory(number="INV-7")


# -- one rule, in the model: the services and forms use it ---------------------------------------


@pytest.mark.django_db
class TestTheInvoiceBalance:
    def test_the_amount_cannot_be_lowered_below_what_was_paid(self, paid_invoice):
        paid_invoice.amount = Decimal("600.00")  # paid 1,000, then "corrected" to 600
        with pytest.raises(ValidationError) as caught:
            services.invoice_save(invoice=paid_invoice)
        assert caught.value.message_dict == {
            "amount": [
                "Invoice INV-1 has received 1,000.00 in payments: its amount cannot be lowered to 600.00."
            ]
        }
        assert Invoice.objects.get(pk=paid_invoice.pk).amount == Decimal("1000.00")

    def test_the_message_reads_in_the_users_language(self, paid_invoice):
        paid_invoice.amount = Decimal("600.00")
        with translation.override("fr"), pytest.raises(ValidationError) as caught:
            paid_invoice.full_clean()
        assert caught.value.message_dict["amount"] == [
            "La facture INV-1 a déjà reçu 1\u00a0000,00 de paiements\u00a0: son montant ne peut pas être "
            "ramené à 600,00."
        ]

    def test_the_amount_may_be_lowered_to_what_was_paid(self, paid_invoice):
        Payment.objects.filter(invoice=paid_invoice).update(amount=Decimal("600.00"))
        paid_invoice.amount = Decimal("600.00")
        services.invoice_save(invoice=paid_invoice)
        assert Invoice.objects.get(pk=paid_invoice.pk).amount == Decimal("600.00")

    def test_a_lowered_amount_leaves_no_room_for_the_write_off(self, acme):
        # 1,000 paid 400 and written off 500 (100 open); lowered to 800, only 400 remains unpaid.
        invoice = InvoiceFactory(
            client=acme, number="INV-2", amount=Decimal("1000"), written_off=Decimal("500")
        )
        PaymentFactory(invoice=invoice, amount=Decimal("400.00"))
        invoice.amount = Decimal("800.00")
        with pytest.raises(ValidationError) as caught:
            services.invoice_save(invoice=invoice)
        assert caught.value.message_dict == {
            "written_off": [
                "The written-off amount (500.00) cannot exceed what remains unpaid on invoice INV-2 (400.00)."
            ]
        }

    def test_an_invoice_with_payments_cannot_become_a_credit_note(self, acme):
        invoice = InvoiceFactory(client=acme, number="INV-3", amount=Decimal("300.00"))
        PaymentFactory(invoice=invoice, amount=Decimal("300.00"))
        invoice.amount = Decimal("-300.00")
        with pytest.raises(ValidationError) as caught:
            services.invoice_save(invoice=invoice)
        assert caught.value.message_dict == {
            "amount": [
                "Invoice INV-3 has received 300.00 in payments: it cannot become a credit note (-300.00)."
            ]
        }

    def test_a_credit_note_takes_no_write_off(self, acme):
        credit = Invoice(
            client=acme,
            number="CN-1",
            issued_on=dt.date(2025, 3, 1),
            due_on=dt.date(2025, 3, 1),
            amount=Decimal("-200.00"),
            written_off=Decimal("50.00"),
        )
        with pytest.raises(ValidationError) as caught:
            services.invoice_save(invoice=credit)
        assert caught.value.message_dict == {
            "written_off": ["Invoice CN-1 is a credit note (-200.00): it takes no write-off."]
        }
        assert not Invoice.objects.exists()

    def test_a_credit_note_takes_no_payment(self, acme):
        credit = InvoiceFactory(client=acme, number="CN-2", amount=Decimal("-200.00"))
        with pytest.raises(ValidationError) as caught:
            services.payment_record(invoice=credit, paid_on=credit.due_on, amount=Decimal("10.00"))
        assert caught.value.message_dict == {
            "amount": ["Invoice CN-2 is a credit note (-200.00): it takes no payments."]
        }
        assert not Payment.objects.exists()


def at_the_same_time(*writes):
    """Runs each write in a thread of its own, all released together; "ok" or "refused" for each."""
    barrier = threading.Barrier(len(writes))
    outcomes = []

    def run(write):
        try:
            barrier.wait()
            outcomes.append("ok" if write() is not False else "refused")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(write,)) for write in writes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_a_payment_and_a_lowered_amount_at_the_same_time_cannot_both_pass():
    """Both writers take the invoice's row lock: of paying 1,000 and lowering 1,000 to 600, one is refused."""
    invoice = InvoiceFactory(amount=Decimal("1000.00"))

    def lower():
        corrected = Invoice.objects.get(pk=invoice.pk)
        corrected.amount = Decimal("600.00")
        services.invoice_save(invoice=corrected)

    pay = partial(services.payment_record, invoice=invoice, paid_on=invoice.due_on, amount=Decimal("1000"))
    assert at_the_same_time(pay, lower) == ["ok", "refused"]
    invoice.refresh_from_db()
    assert services.invoice_paid_total(invoice=invoice) <= invoice.amount


@pytest.mark.django_db(transaction=True)
def test_a_payment_and_an_import_lowering_the_amount_at_the_same_time_cannot_both_pass(finance):
    """The import locks the invoices it updates, then reads their payments: one of the two is refused."""
    invoice = InvoiceFactory(number="INV-1", issued_on=dt.date(2025, 1, 10), amount=Decimal("1000.00"))
    content = csv_bytes(INVOICE_HEADER, [invoice_row(amount="600", client_ref=invoice.client.external_ref)])

    def lower():
        return import_file(kind="invoices", filename="i.csv", content=content, user=finance).ok

    pay = partial(services.payment_record, invoice=invoice, paid_on=invoice.due_on, amount=Decimal("1000"))
    assert at_the_same_time(pay, lower) == ["ok", "refused"]
    invoice.refresh_from_db()
    assert services.invoice_paid_total(invoice=invoice) <= invoice.amount


# -- the admin -----------------------------------------------------------------------------------


def admin_invoice_data(invoice, **changes):
    data = {
        "client": invoice.client_id,
        "number": invoice.number,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "amount": str(invoice.amount),
        "cost_of_sales": "",
        "written_off": str(invoice.written_off),
        "payments-TOTAL_FORMS": "0",
        "payments-INITIAL_FORMS": "0",
    }
    payments = list(invoice.payments.all()) if invoice.pk else []
    for index, payment in enumerate(payments):
        data |= {f"payments-{index}-id": payment.pk, f"payments-{index}-invoice": invoice.pk}
    data["payments-TOTAL_FORMS"] = data["payments-INITIAL_FORMS"] = str(len(payments))
    return data | changes


def test_the_admin_refuses_to_lower_a_paid_invoice(as_finance, paid_invoice):
    response = as_finance.post(
        f"/admin/clients/invoice/{paid_invoice.pk}/change/", admin_invoice_data(paid_invoice, amount="600.00")
    )
    assert response.status_code == 200
    assert "Invoice INV-1 has received 1,000.00 in payments: its amount cannot be lowered to 600.00." in (
        response.content.decode()
    )
    assert Invoice.objects.get(pk=paid_invoice.pk).amount == Decimal("1000.00")


def test_the_admin_refuses_a_credit_note_with_a_write_off(as_finance, acme):
    draft = Invoice(
        client=acme, number="CN-1", issued_on=dt.date(2025, 3, 1), due_on=dt.date(2025, 3, 1), amount=0
    )
    data = admin_invoice_data(draft, amount="-200.00", written_off="50.00")
    response = as_finance.post("/admin/clients/invoice/add/", data)
    assert response.status_code == 200
    assert "Invoice CN-1 is a credit note (-200.00): it takes no write-off." in response.content.decode()
    assert not Invoice.objects.exists()


def test_the_admin_refuses_a_payment_on_a_credit_note(as_finance, acme):
    credit = InvoiceFactory(client=acme, number="CN-2", amount=Decimal("-200.00"))
    response = as_finance.post(
        "/admin/clients/payment/add/",
        {"invoice": credit.pk, "paid_on": credit.due_on.isoformat(), "amount": "10.00"},
    )
    assert response.status_code == 200
    assert "Invoice CN-2 is a credit note (-200.00): it takes no payments." in response.content.decode()
    assert not Payment.objects.exists()


def test_the_admin_refuses_an_invoice_number_that_differs_only_in_case(as_finance, paid_invoice):
    draft = Invoice(
        client=paid_invoice.client, number="inv-1", issued_on=dt.date(2025, 3, 1), due_on=dt.date(2025, 3, 1)
    )
    response = as_finance.post("/admin/clients/invoice/add/", admin_invoice_data(draft, amount="50.00"))
    assert response.status_code == 200
    assert "Another invoice already has the number “INV-1”; numbers are compared regardless of case." in (
        response.content.decode()
    )
    assert Invoice.objects.count() == 1


def test_the_admin_refuses_a_client_reference_that_differs_only_in_case(as_finance, acme):
    response = as_finance.post(
        "/admin/clients/client/add/",
        {
            "name": "Acme again",
            "external_ref": "acme",
            "status": "active",
            "acquisition_cost": "0",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Another client already has the external reference “ACME”" in response.content.decode()
    assert Client.objects.count() == 1


# -- forms ---------------------------------------------------------------------------------------


def client_form_data(**values):
    return {
        "name": "Acme again",
        "external_ref": "acme",
        "status": "active",
        "acquisition_cost": "0",
    } | values


def test_the_client_form_refuses_a_reference_that_differs_only_in_case(finance, acme):
    form = ClientForm(client_form_data(), user=finance)
    assert not form.is_valid()
    assert form.errors == {
        "external_ref": [
            "Another client already has the external reference “ACME”; references are compared regardless of case."
        ]
    }


def test_a_client_may_change_the_case_of_its_own_reference(finance, acme):
    form = ClientForm(client_form_data(name="Acme"), instance=acme, user=finance)
    assert form.is_valid(), form.errors
    services.client_save(client=form.instance)
    assert Client.objects.get().external_ref == "acme"


def test_the_interaction_form_finds_a_typed_reference_in_any_case(finance, acme):
    data = {"client": "acme", "kind": "call", "date": "2026-11-17", "duration_minutes": "30", "note": ""}
    form = InteractionForm(data, user=finance)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["client"] == acme


# -- imports: the same rules, each naming its line; nothing imported -----------------------------


def test_an_import_cannot_lower_a_paid_invoice(finance, paid_invoice):
    rows = [invoice_row("INV-9", amount="50"), invoice_row(amount="600")]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (
            3,
            "amount",
            "Invoice INV-1 has received 1,000.00 in payments: its amount cannot be lowered to 600.00.",
        )
    ]
    assert list(Invoice.objects.values_list("number", "amount")) == [("INV-1", Decimal("1000.00"))]


def test_an_import_cannot_turn_a_paid_invoice_into_a_credit_note(finance, paid_invoice):
    assert row_errors(finance, "invoices", INVOICE_HEADER, [invoice_row(amount="-1000")]) == [
        (
            2,
            "amount",
            "Invoice INV-1 has received 1,000.00 in payments: it cannot become a credit note (-1,000.00).",
        )
    ]


def test_an_import_refuses_a_credit_note_with_a_write_off(finance, acme):
    rows = [invoice_row("INV-9", amount="50"), invoice_row("CN-1", amount="-200", written_off="20")]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (3, "written_off", "Invoice CN-1 is a credit note (-200.00): it takes no write-off.")
    ]
    assert not Invoice.objects.exists()


def test_an_import_refuses_a_payment_on_a_credit_note(finance, acme):
    InvoiceFactory(client=acme, number="CN-1", amount=Decimal("-200.00"))
    InvoiceFactory(client=acme, number="INV-1", amount=Decimal("100.00"))
    rows = [["INV-1", "2025-03-01", "100"], ["CN-1", "2025-03-01", "10"]]
    assert row_errors(finance, "payments", PAYMENT_HEADER, rows) == [
        (3, "amount", "Invoice CN-1 is a credit note (-200.00): it takes no payments.")
    ]
    assert not Payment.objects.exists()


# -- imports: keys as people read them -----------------------------------------------------------


def test_a_client_file_updates_the_client_whatever_the_case(finance):
    existing = ClientFactory(external_ref="acme01", name="Acme")
    header, rows = client_rows({"external_ref": "ACME01", "name": "Acme Corporation"})
    assert row_errors(finance, "clients", header, rows) == []
    client = Client.objects.get()
    # The stored spelling of the key stays; the rest is updated.
    assert (client.pk, client.external_ref, client.name) == (existing.pk, "acme01", "Acme Corporation")
    again = import_file(kind="clients", filename="c.csv", content=csv_bytes(header, rows), user=finance)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)


def test_a_client_file_refuses_two_rows_that_differ_only_in_case(finance):
    header, rows = client_rows(
        {"external_ref": "NEW-1", "name": "One"}, {"external_ref": "new-1", "name": "Two"}
    )
    assert row_errors(finance, "clients", header, rows) == [
        (
            3,
            "",
            "Client reference “new-1” appears twice in this file: on line 2 (written NEW-1) and on this line; "
            "keys are compared regardless of case.",
        )
    ]
    assert not Client.objects.exists()


def test_referrals_find_their_client_whatever_the_case(finance, acme):
    header, rows = client_rows(
        {"external_ref": "NEW-1", "name": "One", "referred_by": "acme"},
        {"external_ref": "NEW-2", "name": "Two", "referred_by": "new-1"},
    )
    assert row_errors(finance, "clients", header, rows) == []
    assert Client.objects.get(external_ref="NEW-1").referred_by == acme
    assert Client.objects.get(external_ref="NEW-2").referred_by.external_ref == "NEW-1"


def test_an_invoice_file_updates_the_invoice_and_finds_the_client_whatever_the_case(finance, acme):
    invoice = InvoiceFactory(
        client=acme, number="INV-1", issued_on=dt.date(2025, 1, 10), amount=Decimal("10")
    )
    assert (
        row_errors(finance, "invoices", INVOICE_HEADER, [invoice_row("inv-1", "12", client_ref="acme")]) == []
    )
    assert list(Invoice.objects.values_list("pk", "number", "amount")) == [
        (invoice.pk, "INV-1", Decimal("12.00"))
    ]


def test_an_invoice_file_refuses_two_numbers_that_differ_only_in_case(finance, acme):
    rows = [invoice_row("INV-1", "10"), invoice_row("inv-1", "12")]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (
            3,
            "",
            "Invoice number inv-1 appears twice in this file: on line 2 (written INV-1) and on this line; "
            "keys are compared regardless of case.",
        )
    ]
    assert not Invoice.objects.exists()


def test_payments_find_their_invoice_whatever_the_case(finance, acme):
    invoice = InvoiceFactory(
        client=acme, number="INV-1", issued_on=dt.date(2025, 1, 10), amount=Decimal("100")
    )
    rows = [["inv-1", "2025-02-01", "40"], ["Inv-1", "2025-02-01", "60"]]
    assert row_errors(finance, "payments", PAYMENT_HEADER, rows) == [
        (
            3,
            "",
            "The payment of invoice Inv-1 on 2025-02-01 appears twice in this file: on line 2 "
            "(written inv-1 / 2025-02-01) and on this line; keys are compared regardless of case.",
        )
    ]
    assert row_errors(finance, "payments", PAYMENT_HEADER, rows[:1]) == []
    assert list(Payment.objects.values_list("invoice", "amount")) == [(invoice.pk, Decimal("40.00"))]


def test_contacts_interactions_and_expenses_find_their_client_whatever_the_case(finance, manager, acme):
    contacts = [["acme", "ann@acme.test", "Ann", "", "", "no"]]
    interactions = [["Acme", "manager", "2025-01-10 09:30", "call", "30", ""]]
    expenses = [["aCmE", "2025-02-01", "travel", "80", ""]]
    assert row_errors(finance, "contacts", RESOURCES["contacts"].columns(), contacts) == []
    assert row_errors(finance, "interactions", RESOURCES["interactions"].columns(), interactions) == []
    assert row_errors(finance, "expenses", RESOURCES["expenses"].columns(), expenses) == []
    assert Contact.objects.get().client == acme
    assert Interaction.objects.get().client == acme
    assert Expense.objects.get().client == acme
