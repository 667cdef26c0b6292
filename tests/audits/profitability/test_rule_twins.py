"""Each rule written both in SQL (the set-based ledger pass) and in Python (one client, a page, a
check) gives the same figures on the same hand-made ledgers (see docs/figures.md)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models.functions import TruncDate
from django.utils import timezone

from audits.profitability import engine
from audits.profitability.figures import (
    acquisition_share,
    acquisition_share_sql,
    hourly_cost_in_force,
    hourly_cost_on,
    money,
    rate_history,
)
from audits.profitability.sql.fragments import _date_literal
from audits.profitability.sql.late_payment import Owed, late_payment_cost
from clients.models import CostSettings, Interaction
from clients.periods import month_index, month_start
from clients.receivables import days_late, open_amount
from tests.factories import (
    ClientFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    StaffCostFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 12, 31)
START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def _compute(**kwargs):
    return engine.compute(as_of=AS_OF, start=START, end=END, **kwargs)


def _owed(client):
    return [
        Owed(
            amount=i.amount,
            due_on=i.due_on,
            issued_on=i.issued_on,
            written_off=i.written_off,
            payments=tuple((p.paid_on, p.amount) for p in i.payments.all()),
        )
        for i in client.invoices.prefetch_related("payments")
    ]


def _ledgers():
    """A few clients whose invoices are late, partly paid, written off, on time or credit notes."""
    unpaid = ClientFactory(name="Unpaid")
    InvoiceFactory(client=unpaid, issued_on=dt.date(2025, 3, 1), amount=D("3650.00"))
    late = ClientFactory(name="Late")
    invoice = InvoiceFactory(client=late, issued_on=dt.date(2025, 2, 1), amount=D("7300.00"))
    PaymentFactory(invoice=invoice, paid_on=invoice.due_on + dt.timedelta(days=20), amount=D("1000.00"))
    PaymentFactory(invoice=invoice, paid_on=invoice.due_on + dt.timedelta(days=75), amount=D("6300.00"))
    written = ClientFactory(name="Written off")
    invoice = InvoiceFactory(
        client=written, issued_on=dt.date(2024, 11, 5), amount=D("1234.56"), written_off=D("200.00")
    )
    PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 2, 14), amount=D("34.56"))
    on_time = ClientFactory(name="On time")
    invoice = InvoiceFactory(client=on_time, issued_on=dt.date(2025, 5, 1), amount=D("999.99"))
    PaymentFactory(invoice=invoice, paid_on=invoice.due_on - dt.timedelta(days=3))
    InvoiceFactory(client=on_time, issued_on=dt.date(2025, 6, 1), amount=D("-150.00"))
    return [unpaid, late, written, on_time]


def test_the_late_payment_cost_in_sql_and_in_python_agree():
    clients = _ledgers()
    rate = CostSettings.load().late_payment_rate / 100
    result = _compute()
    for client in clients:
        expected = late_payment_cost(_owed(client), start=START, end=END, as_of=AS_OF, rate=rate)
        assert result.clients[client.pk].figures.late_payment_cost == expected, client.name
    assert result.clients[clients[0].pk].figures.late_payment_cost > 0


def test_open_amounts_and_days_late_in_sql_and_in_python_agree():
    clients = _ledgers()
    result = _compute()
    for client in clients:
        values = result.clients[client.pk].values
        invoices = list(client.invoices.prefetch_related("payments"))
        open_total = sum(
            (
                open_amount(
                    amount=i.amount,
                    written_off=i.written_off,
                    paid=sum((p.amount for p in i.payments.all()), D(0)),
                )
                for i in invoices
            ),
            D(0),
        )
        assert values["open_receivables"] == open_total, client.name
        payments = [(p, i) for i in invoices for p in i.payments.all() if START <= p.paid_on <= END]
        paid = sum((p.amount for p, _ in payments), D(0))
        if paid:
            weighted = sum(
                (p.amount * days_late(paid_on=p.paid_on, due_on=i.due_on) for p, i in payments), D(0)
            )
            assert values["average_days_late"] == (weighted / paid).quantize(D("0.000001")), client.name
        else:
            assert values["average_days_late"] is None


def test_the_acquisition_share_in_sql_and_in_python_agree():
    amortisation = CostSettings.load().amortisation_months
    clients = [
        ClientFactory(acquired_on=dt.date(2024, 3, 17), acquisition_cost=D("1000.00")),
        ClientFactory(acquired_on=dt.date(2025, 11, 30), acquisition_cost=D("2400.01")),
        ClientFactory(acquired_on=dt.date(2025, 1, 1), acquisition_cost=None),
        ClientFactory(acquired_on=None, acquisition_cost=D("500.00")),
    ]
    months = [month_start(index) for index in range(month_index(dt.date(2024, 1, 1)), month_index(AS_OF) + 1)]
    window, share = acquisition_share_sql("m.month")
    values = " UNION ALL ".join(f"SELECT {_date_literal(month)} AS month" for month in months)
    ids = [c.pk for c in clients]
    sql = (
        f"SELECT c.id, m.month, {share} FROM ({window}) c CROSS JOIN ({values}) m"
        f" WHERE c.id IN ({', '.join('%s' for _ in ids)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [amortisation, amortisation, *ids])
        rows = cursor.fetchall()
    by_id = {c.pk: c for c in clients}
    assert len(rows) == len(clients) * len(months)
    for client_id, month, sql_share in rows:
        client = by_id[client_id]
        month = month if isinstance(month, dt.date) else dt.date.fromisoformat(month)
        index = month_index(month)
        python = acquisition_share(client.acquisition_cost, client.acquired_on, amortisation, index, index)
        assert D(str(sql_share)) == python, (client.acquired_on, month)


def test_the_hourly_cost_in_force_in_sql_and_in_python_agree():
    staff = UserFactory()
    StaffCostFactory(user=staff, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60.00"))
    StaffCostFactory(user=staff, effective_from=dt.date(2025, 4, 1), hourly_cost=D("72.50"))
    StaffCostFactory(user=staff, effective_from=dt.date(2025, 9, 15), hourly_cost=D("81.25"))
    client = ClientFactory(account_manager=staff)
    InvoiceFactory(client=client, issued_on=dt.date(2025, 2, 1))
    starts = [
        dt.datetime(2025, 3, 31, 23, 30),  # the evening before the change: the old cost
        dt.datetime(2025, 4, 1, 0, 10),
        dt.datetime(2025, 9, 14, 12, 0),
        dt.datetime(2025, 9, 15, 8, 0),
        dt.datetime(2025, 12, 31, 17, 0),
    ]
    for minutes, start in zip((45, 30, 95, 17, 60), starts, strict=True):
        InteractionFactory(
            client=client, staff=staff, started_at=timezone.make_aware(start), duration_minutes=minutes
        )
    history = rate_history()
    interactions = list(
        Interaction.objects.filter(client=client)
        .annotate(day=TruncDate("started_at"))
        .annotate(hourly_cost=hourly_cost_in_force())
    )
    for item in interactions:
        assert item.hourly_cost == hourly_cost_on(history, staff.pk, item.day)
    expected = money(sum((item.duration_minutes * item.hourly_cost for item in interactions), D(0)) / 60)
    assert _compute().clients[client.pk].figures.cost_to_serve == expected
