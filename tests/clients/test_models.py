import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from clients import services
from clients.models import CostSettings, Invoice, Payment, StaffCost
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory, PaymentFactory


@pytest.mark.django_db
class TestStructuralRules:
    def test_it_refuses_a_due_date_before_the_issue_date(self):
        import datetime as dt

        with pytest.raises(IntegrityError), transaction.atomic():
            InvoiceFactory(issued_on=dt.date(2025, 5, 10), due_on=dt.date(2025, 5, 1))

    def test_it_refuses_a_duplicate_invoice_number(self):
        InvoiceFactory(number="F-1")
        with pytest.raises(IntegrityError), transaction.atomic():
            InvoiceFactory(number="F-1")

    def test_it_refuses_a_duplicate_external_reference(self):
        ClientFactory(external_ref="ACME")
        with pytest.raises(IntegrityError), transaction.atomic():
            ClientFactory(external_ref="ACME")

    def test_it_refuses_a_zero_duration(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            InteractionFactory(duration_minutes=0)


@pytest.mark.django_db
class TestPayments:
    def test_partial_payments_add_up_to_the_invoice(self):
        invoice = InvoiceFactory(amount=Decimal("1000.00"))
        services.payment_record(invoice=invoice, paid_on=invoice.due_on, amount=Decimal("400.00"))
        services.payment_record(invoice=invoice, paid_on=invoice.issued_on, amount=Decimal("600.00"))
        assert services.invoice_paid_total(invoice=invoice) == Decimal("1000.00")

    def test_it_refuses_a_payment_above_what_remains_open(self):
        invoice = InvoiceFactory(amount=Decimal("1000.00"))
        PaymentFactory(invoice=invoice, amount=Decimal("900.00"))
        with pytest.raises(ValidationError, match="above what remains open"):
            services.payment_record(invoice=invoice, paid_on=invoice.issued_on, amount=Decimal("100.01"))
        assert Payment.objects.count() == 1

    def test_what_is_written_off_is_no_longer_open_to_payment(self):
        invoice = InvoiceFactory(amount=Decimal("1000.00"), written_off=Decimal("1000.00"))
        with pytest.raises(ValidationError, match=r"above what remains open on invoice .* \(0\.00\)"):
            services.payment_record(invoice=invoice, paid_on=invoice.due_on, amount=Decimal("400.00"))
        invoice.written_off = Decimal("600.00")  # the recovered part is no longer written off
        invoice.save()
        services.payment_record(invoice=invoice, paid_on=invoice.due_on, amount=Decimal("400.00"))
        assert services.invoice_paid_total(invoice=invoice) == Decimal("400.00")

    def test_it_refuses_a_payment_on_a_credit_note(self):
        credit = InvoiceFactory(amount=Decimal("-200.00"))
        with pytest.raises(ValidationError):
            services.payment_record(invoice=credit, paid_on=credit.due_on, amount=Decimal("10.00"))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payments_cannot_overpay_an_invoice():
    """The invoice row is locked: of two payments of 600 on 1,000, one is refused."""
    invoice = InvoiceFactory(amount=Decimal("1000.00"))
    barrier = threading.Barrier(2)
    outcomes = []

    def pay(day_offset):
        import datetime as dt

        try:
            barrier.wait()
            services.payment_record(
                invoice=invoice, paid_on=invoice.issued_on + dt.timedelta(days=day_offset), amount=600
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Invoice.objects.get(pk=invoice.pk).payments.count() == 1


def test_hourly_cost_from_salary():
    # 42,000 x 1.5 / (218 x 7) = 41.28
    assert StaffCost.hourly_from_salary(
        annual_salary=42000, charge_coefficient=Decimal("1.5"), working_days=218, hours_per_day=7
    ) == Decimal("41.28")


@pytest.mark.django_db
class TestCostSettings:
    def test_the_defaults_are_those_of_the_design(self):
        settings = CostSettings.load()
        assert settings.late_payment_rate == Decimal("8")
        assert settings.default_margin_rate == Decimal("50")
        assert settings.boundaries == [Decimal("0.8"), Decimal("1.2")]
        assert settings.ageing == [30, 60, 90]
        assert (settings.working_days, settings.hours_per_day) == (218, Decimal("7"))

    def test_every_change_is_kept_in_history(self):
        settings = CostSettings.load()
        settings.late_payment_rate = Decimal("10")
        settings.save()
        rates = [row.late_payment_rate for row in settings.history.order_by("history_date")]
        assert rates[-2:] == [Decimal("8.00"), Decimal("10.00")]

    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("tier_boundaries", "1.2, 0.8", "strictly increasing"),
            ("tier_boundaries", "0.8", "two to four"),
            ("tier_boundaries", "a, b", "numbers separated by commas"),
            ("ageing_limits", "30, 60", "three increasing"),
            ("class_b_limit", Decimal("70"), "above the class A limit"),
            ("top1_red", Decimal("5"), "above the amber one"),
        ],
    )
    def test_it_refuses_inconsistent_settings(self, field, value, message):
        settings = CostSettings.load()
        setattr(settings, field, value)
        with pytest.raises(ValidationError, match=message):
            settings.full_clean()
