"""The late-payment cost accrues day by day over the period (see docs/figures.md, Late-payment cost).

For each positive invoice and each day d of the period up to the as-of date with d > due on, the
amount still open at the start of d (amount - written off - payments made before d) x rate / 365.
As of 2025-12-31 (period 2025-01-01 .. 2025-12-31), late-payment rate 8 %: the amounts below are
chosen so that a day costs round cents (3,650 costs 0.80 a day, 7,300 costs 1.60).
"""

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.models import ClientSnapshot
from audits.profitability import engine, runs
from audits.profitability.client import client_months
from tests.factories import ClientFactory, InvoiceFactory, PaymentFactory

AS_OF = dt.date(2025, 12, 31)
RATE = D("0.08")
ONE_DAY = dt.timedelta(days=1)


# The definition, day by day, in Decimal ----------------------------------------------------------


def days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def accrued(invoices, first: dt.date, last: dt.date) -> D:
    """Sum over the days first..last of the amounts still open past their due date (unrounded,
    before x rate / 365). ``invoices``: (amount, written off, due on, [(paid on, amount)])."""
    total = D(0)
    for amount, written_off, due_on, payments in invoices:
        if amount <= 0:
            continue
        for day in days(max(first, due_on + ONE_DAY), last):
            total += amount - written_off - sum((paid for paid_on, paid in payments if paid_on < day), D(0))
    return total


def cost(accrued_amount: D) -> D:
    return (accrued_amount * RATE / 365).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def ledger_of(client):
    return [
        (i.amount, i.written_off, i.due_on, [(p.paid_on, p.amount) for p in i.payments.all()])
        for i in client.invoices.prefetch_related("payments")
    ]


def month_bounds(month: dt.date, as_of: dt.date) -> tuple[dt.date, dt.date]:
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return month, min(last, as_of)


def trend_months(as_of: dt.date):
    last = engine.month_index(as_of)
    return [engine.month_start(index) for index in range(last - runs.TREND_MONTHS + 1, last + 1)]


# Hand-computed cases -----------------------------------------------------------------------------


@pytest.fixture
def cases(db):
    clients = {
        key: ClientFactory(name=key, acquired_on=dt.date(2024, 1, 1))
        for key in ("before", "next", "instalments", "written_off")
    }
    # Issued before the period, due 2024-07-01, never paid: 548 days past due at the as-of date.
    InvoiceFactory(
        client=clients["before"], issued_on=dt.date(2024, 6, 1), due_on=dt.date(2024, 7, 1), amount=D("3650")
    )
    # Due 2025-10-31 and paid on 2026-01-15, after the as-of date: still open at the as-of date.
    late = InvoiceFactory(
        client=clients["next"], issued_on=dt.date(2025, 10, 1), due_on=dt.date(2025, 10, 31), amount=D("3650")
    )
    PaymentFactory(invoice=late, paid_on=dt.date(2026, 1, 15), amount=D("3650"))
    # Due 2025-03-31, paid in three instalments: 2,190 on 10 April, 2,190 on 30 April, 2,920 on 20 May.
    parts = InvoiceFactory(
        client=clients["instalments"],
        issued_on=dt.date(2025, 3, 1),
        due_on=dt.date(2025, 3, 31),
        amount=D("7300"),
    )
    for paid_on, amount in (
        (dt.date(2025, 4, 10), "2190"),
        (dt.date(2025, 4, 30), "2190"),
        (dt.date(2025, 5, 20), "2920"),
    ):
        PaymentFactory(invoice=parts, paid_on=paid_on, amount=D(amount))
    # Due 2025-05-31: 2,920 written off, 2,190 paid on 30 June, 2,190 still open.
    off = InvoiceFactory(
        client=clients["written_off"],
        issued_on=dt.date(2025, 5, 1),
        due_on=dt.date(2025, 5, 31),
        amount=D("7300"),
        written_off=D("2920"),
    )
    PaymentFactory(invoice=off, paid_on=dt.date(2025, 6, 30), amount=D("2190"))
    # Wholly written off: nothing left to finance.
    InvoiceFactory(
        client=clients["written_off"],
        issued_on=dt.date(2025, 2, 1),
        due_on=dt.date(2025, 3, 3),
        amount=D("1000"),
        written_off=D("1000"),
    )
    return clients


def _snapshots(clients, as_of=AS_OF):
    runs.profitability_recompute(as_of=as_of)
    snapshots = {
        key: ClientSnapshot.objects.get(client=client, as_of=as_of) for key, client in clients.items()
    }
    months = {
        key: {
            row.month: row.late_payment_cost
            for row in client_months(client, as_of=as_of)
            if row.late_payment_cost
        }
        for key, client in clients.items()
    }
    return snapshots, months


def test_an_invoice_issued_before_the_period_costs_every_day_of_it(cases):
    snapshots, months = _snapshots(cases)
    before = snapshots["before"]
    assert before.late_payment_cost == D("292.00")  # 365 days x 0.80
    assert before.revenue == D("0.00")
    assert before.net_profit == D("-292.00")
    # Days late and ageing keep their meaning: nothing paid, 3,650 over 90 days past due.
    assert before.average_days_late is None
    assert before.ageing_4 == D("3650.00")
    # Month by month from 2 July 2024; the twelve months of 2025 add up to the period's figure.
    assert months["before"][dt.date(2024, 7, 1)] == D("24.00")  # 30 days
    assert months["before"][dt.date(2025, 1, 1)] == D("24.80")  # 31 days
    assert months["before"][dt.date(2025, 2, 1)] == D("22.40")  # 28 days
    assert sum(v for month, v in months["before"].items() if month.year == 2025) == D("292.00")
    assert len(months["before"]) == 18
    # Lifetime: 548 days x 0.80 = 438.40, against the invoice's margin 3,650 x 50 %.
    assert before.lifetime_net_profit == D("1825.00") - D("438.40")


def test_an_invoice_paid_after_the_as_of_date_is_still_open_on_it(cases):
    snapshots, months = _snapshots(cases)
    late = snapshots["next"]
    assert late.late_payment_cost == D("48.80")  # 1 November .. 31 December: 61 days x 0.80
    assert months["next"] == {dt.date(2025, 11, 1): D("24.00"), dt.date(2025, 12, 1): D("24.80")}
    assert late.ageing_3 == D("3650.00")  # 61 days past due
    # A month later the payment of 15 January has stopped it: 76 days in the period to 2026-01-31.
    later, later_months = _snapshots({"next": cases["next"]}, as_of=dt.date(2026, 1, 31))
    assert later["next"].late_payment_cost == D("60.80")
    assert later_months["next"][dt.date(2026, 1, 1)] == D("12.00")  # 15 days


def test_an_invoice_paid_in_three_instalments(cases):
    snapshots, months = _snapshots(cases)
    parts = snapshots["instalments"]
    # Day by day: 10 days x 1.60 (7,300 open), 20 days x 1.12 (5,110), 20 days x 0.64 (2,920);
    # per payment: 2,190 x 10 days + 2,190 x 30 days + 2,920 x 50 days, x 8 % / 365.
    assert parts.late_payment_cost == D("51.20")
    assert months["instalments"] == {dt.date(2025, 4, 1): D("38.40"), dt.date(2025, 5, 1): D("12.80")}
    assert parts.average_days_late == D("32.000000")  # (2,190 x 10 + 2,190 x 30 + 2,920 x 50) / 7,300


def test_a_write_off_is_never_financed(cases):
    snapshots, months = _snapshots(cases)
    off = snapshots["written_off"]
    # 7,300 - 2,920 written off = 4,380 open in June (30 days x 0.96), then 2,190 from July
    # (184 days x 0.48); the wholly written-off invoice costs nothing.
    assert off.late_payment_cost == D("117.12")
    assert months["written_off"][dt.date(2025, 6, 1)] == D("28.80")
    assert months["written_off"][dt.date(2025, 7, 1)] == D("14.88")
    assert dt.date(2025, 3, 1) not in months["written_off"]
    assert off.bad_debt == D("3920.00")
    assert off.ageing_4 == D("2190.00")


def test_the_day_by_day_definition_gives_the_stored_figures(cases):
    """The SQL of the ledger pass and the definition, day by day in Python, on the same cases."""
    snapshots, months = _snapshots(cases)
    for key, client in cases.items():
        invoices = ledger_of(client)
        assert snapshots[key].late_payment_cost == cost(accrued(invoices, dt.date(2025, 1, 1), AS_OF))
        for month in trend_months(AS_OF):
            expected = cost(accrued(invoices, *month_bounds(month, AS_OF)))
            assert months[key].get(month, D("0.00")) == expected, (key, month)


# Random ledgers ----------------------------------------------------------------------------------

AS_OF_DAYS = [dt.date(2025, 12, 31), dt.date(2025, 11, 30), dt.date(2026, 2, 28), dt.date(2025, 11, 15)]
cents = st.integers(min_value=1, max_value=500_000).map(lambda n: D(n) / 100)


@st.composite
def ledgers(draw):
    """A few clients, each with invoices (and the odd credit note), payments that never exceed
    what is left after the write-off, some of them after the as-of date."""
    clients = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        acquired = draw(st.none() | st.dates(dt.date(2023, 6, 1), dt.date(2025, 6, 1)))
        invoices = []
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            issued = draw(st.dates(dt.date(2023, 6, 1), dt.date(2026, 1, 31)))
            due = issued + dt.timedelta(days=draw(st.integers(min_value=0, max_value=90)))
            amount = draw(cents)
            if draw(st.integers(min_value=0, max_value=9)) == 0:
                invoices.append((issued, due, -amount, D(0), []))
                continue
            written_off = draw(st.sampled_from([D(0), D(0), (amount / 3).quantize(D("0.01"))]))
            left = amount - written_off
            offsets = draw(st.lists(st.integers(min_value=-30, max_value=400), max_size=3, unique=True))
            payments = []
            for offset in sorted(offsets):
                paid = min(left, draw(cents))
                if paid <= 0:
                    break
                payments.append((max(issued, due + dt.timedelta(days=offset)), paid))
                left -= paid
            payments = list(dict(payments).items())  # one payment a day
            invoices.append((issued, due, amount, written_off, payments))
        clients.append((acquired, invoices))
    return clients


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), as_of=st.sampled_from(AS_OF_DAYS))
@pytest.mark.django_db
def test_random_ledgers_follow_the_definition(ledger, as_of):
    start, end = engine.rolling_period(as_of)
    with transaction.atomic():
        made = []
        for acquired, invoices in ledger:
            client = ClientFactory(acquired_on=acquired)
            for issued, due, amount, written_off, payments in invoices:
                invoice = InvoiceFactory(
                    client=client, issued_on=issued, due_on=due, amount=amount, written_off=written_off
                )
                for paid_on, paid in payments:
                    PaymentFactory(invoice=invoice, paid_on=paid_on, amount=paid)
            made.append(client)
        runs.profitability_recompute(as_of=as_of)
        for client in made:
            invoices = ledger_of(client)
            snapshot = ClientSnapshot.objects.get(client=client, as_of=as_of)
            rows = {row.month: row for row in client_months(client, as_of=as_of)}
            assert snapshot.late_payment_cost >= 0
            assert snapshot.open_receivables >= 0 and snapshot.open_overdue >= 0
            ageing = (snapshot.ageing_current, snapshot.ageing_1, snapshot.ageing_2, snapshot.ageing_3)
            assert min((*ageing, snapshot.ageing_4)) >= 0
            assert snapshot.late_payment_cost == cost(accrued(invoices, start, end))
            for month in trend_months(as_of):
                stored = rows[month].late_payment_cost if month in rows else D("0.00")
                assert stored >= 0
                assert stored == cost(accrued(invoices, *month_bounds(month, as_of)))
            if as_of == end and start.day == 1:
                # The twelve months of the period add up to its figure, to half a cent a month.
                in_period = [row.late_payment_cost for month, row in rows.items() if month >= start]
                assert abs(sum(in_period, D(0)) - snapshot.late_payment_cost) <= D("0.005") * 12
            for row in [snapshot, *rows.values()]:
                assert row.net_profit == (
                    row.gross_margin
                    - row.cost_to_serve
                    - row.direct_expenses
                    - row.acquisition_share
                    - row.late_payment_cost
                    - row.bad_debt
                )
            # Lifetime: the margin (50 %) and write-offs of invoices since acquisition, less the
            # late-payment cost of every day since acquisition.
            since = client.acquired_on or dt.date(2000, 1, 1)
            life = [i for i in client.invoices.all() if i.issued_on >= since and i.issued_on <= as_of]
            gross = sum((i.amount * D("0.5") for i in life), D(0)).quantize(D("0.01"), rounding=ROUND_HALF_UP)
            bad_debt = sum((i.written_off for i in life), D(0))
            assert snapshot.lifetime_net_profit == gross - bad_debt - cost(accrued(invoices, since, as_of))
        transaction.set_rollback(True)
