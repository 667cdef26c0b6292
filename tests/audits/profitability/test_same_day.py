"""The months of the trend: a run's month totals by account manager are the sums of its clients'
months as each client's page computes them (``client.client_months``); a second run of the same
day replaces them; and the ledger pass's phases, which bench/engine.py prints."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from audits.models import ClientSnapshot, PortfolioMonth, PortfolioSnapshot
from audits.profitability import phases, runs
from audits.profitability.client import client_months
from audits.profitability.sql.months import TOTAL_COLUMNS
from clients.models import Invoice
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory, PaymentFactory

AS_OF = dt.date(2025, 12, 31)
SUMMED = [name for name in TOTAL_COLUMNS if name not in {"clients", "paid_days_late", "paid_days_to_pay"}]


def _totals():
    return sorted(
        PortfolioMonth.objects.filter(as_of=AS_OF).values_list("account_manager_id", "month", *TOTAL_COLUMNS),
        key=lambda row: (row[0] or 0, row[1]),
    )


def _ledger():
    managers = [get_user_model().objects.create(username=f"manager-{n}") for n in range(2)]
    clients = [
        ClientFactory(
            acquired_on=dt.date(2025, 1, 1),
            acquisition_cost=D("1200"),
            account_manager=managers[n % 2] if n < 4 else None,
        )
        for n in range(5)
    ]
    for client in clients:
        invoice = InvoiceFactory(client=client, issued_on=dt.date(2025, 3, 1), amount=D("1000"))
        PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 4, 15), amount=D("1000"))
    InvoiceFactory(client=clients[3], issued_on=dt.date(2025, 5, 1), amount=D("500"))  # never paid
    late = InvoiceFactory(client=clients[4], issued_on=dt.date(2025, 6, 1), amount=D("777.77"))
    PaymentFactory(invoice=late, paid_on=dt.date(2025, 8, 20), amount=D("333.33"))
    InteractionFactory(
        client=clients[2], started_at=timezone.make_aware(dt.datetime(2025, 7, 7, 10)), duration_minutes=95
    )
    return managers, clients


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("split", [False, True], ids=["one connection", "two connections"])
def test_the_month_totals_are_the_sums_of_the_clients_months(settings, split):
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2 if split else 10**9
    managers, clients = _ledger()
    runs.profitability_recompute(as_of=AS_OF)
    expected: dict = {}
    for client in clients:
        for month in client_months(client, as_of=AS_OF):
            row = expected.setdefault(
                (client.account_manager_id, month.month), dict.fromkeys(TOTAL_COLUMNS, 0)
            )
            row["clients"] += 1
            for name in SUMMED:
                row[name] += getattr(month, name)
            if month.average_days_late is not None:
                row["paid_days_late"] += month.paid_amount * month.average_days_late
                row["paid_days_to_pay"] += month.paid_amount * month.average_days_to_pay
    stored = {(row[0], row[1]): dict(zip(TOTAL_COLUMNS, row[2:], strict=True)) for row in _totals()}
    assert stored == expected
    # Both managers, the clients of none, and the months from March (invoices) to December.
    assert {manager for manager, _month in stored} == {managers[0].pk, managers[1].pk, None}
    assert stored[managers[1].pk, dt.date(2025, 3, 1)]["revenue"] == D("2000.00")
    assert stored[None, dt.date(2025, 8, 1)]["paid_amount"] == D("333.33")
    assert stored[None, dt.date(2025, 8, 1)]["paid_days_late"] == D("333.33") * D(
        "50"
    )  # due 1 July, paid 20 August


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("split", [False, True], ids=["one connection", "two connections"])
def test_a_second_run_of_the_day_replaces_the_month_totals(settings, split):
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2 if split else 10**9
    managers, clients = _ledger()
    first = runs.profitability_recompute(as_of=AS_OF)
    # A new month for the first client, a changed month for the second, and the fourth's unpaid
    # May invoice gone: its late-payment cost leaves the months from June.
    InvoiceFactory(client=clients[0], issued_on=dt.date(2025, 9, 1), amount=D("300"))
    Invoice.objects.filter(client=clients[1]).update(amount=D("1100"))
    Invoice.objects.filter(client=clients[3], issued_on=dt.date(2025, 5, 1)).delete()
    second = runs.profitability_recompute(as_of=AS_OF)
    assert second.status == second.Status.SUCCEEDED
    assert set(PortfolioMonth.objects.values_list("run_id", flat=True)) == {second.pk}
    again = _totals()
    by_key = {(row[0], row[1]): dict(zip(TOTAL_COLUMNS, row[2:], strict=True)) for row in again}
    assert by_key[managers[0].pk, dt.date(2025, 9, 1)]["revenue"] == D("300.00")
    assert by_key[managers[1].pk, dt.date(2025, 3, 1)]["revenue"] == D("2100.00")
    # The second client's March invoice now leaves 100 open: late from April, in each month to December.
    assert by_key[managers[1].pk, dt.date(2025, 12, 1)]["clients"] == 1
    assert [m.month for m in client_months(clients[3], as_of=AS_OF)] == [
        dt.date(2025, 3, 1),
        dt.date(2025, 4, 1),
    ]
    assert first.pk != second.pk

    # The same totals as the day computed afresh.
    PortfolioSnapshot.objects.all().delete()
    ClientSnapshot.objects.all().delete()
    runs.profitability_recompute(as_of=AS_OF)
    assert again == _totals()


@pytest.mark.django_db(transaction=True)
def test_a_run_records_its_phases(settings):
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2
    _ledger()
    runs.profitability_recompute(as_of=AS_OF)
    recorded = {phase.name: phase for phase in phases.recorded()}
    for name in (
        "components",
        "components, upper half",
        "  late",
        "  late, upper half",
        "client rows",
        "month totals",
        "month totals, upper half",
    ):
        assert name in recorded
    assert recorded["components, upper half"].thread == "ledger-pass"
    assert recorded["  late, upper half"].thread == "ledger-pass"
    assert recorded["month totals"].thread == "ledger-months"
    assert recorded["month totals, upper half"].thread == "ledger-pass"
    assert all(phase.seconds >= 0 for phase in recorded.values())


@pytest.mark.django_db(transaction=True)
def test_the_totals_hold_the_figures_of_each_managers_clients(settings):
    """By hand: each client has a 1,000 invoice issued on 1 March, due on 31 March (a gross margin of
    500 at the default 50 %), paid on 15 April, and an acquisition cost of 1,200 over 24 months."""
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 10**9
    managers, clients = _ledger()
    runs.profitability_recompute(as_of=AS_OF)
    rows = {(row[0], row[1]): dict(zip(TOTAL_COLUMNS, row[2:], strict=True)) for row in _totals()}
    march, april = rows[managers[1].pk, dt.date(2025, 3, 1)], rows[managers[1].pk, dt.date(2025, 4, 1)]
    assert march["clients"] == april["clients"] == 2
    assert (march["gross_margin"], march["acquisition_share"], march["net_profit"]) == (
        D("1000.00"),
        D("100.00"),
        D("900.00"),
    )
    # April: open 1,000 from 1 to 15 April at 8 % a year, 3.29 a client, and 50 of acquisition each.
    assert april["late_payment_cost"] == D("6.58")
    assert april["net_profit"] == D("-106.58")
    assert april["paid_amount"] == D("2000.00") and april["paid_days_late"] == D("2000.00") * 15


@pytest.mark.django_db(transaction=True)
def test_a_managers_trends_count_their_clients_as_they_stood_at_the_run(settings):
    from audits.profitability.runs import portfolio_latest
    from audits.reports.dashboard import _trend
    from audits.reports.payments import payments_trend

    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 10**9
    managers, clients = _ledger()
    runs.profitability_recompute(as_of=AS_OF)

    def march_revenue(manager):
        return {month: revenue for month, revenue, _np in _trend(user=manager, latest=portfolio_latest())}[
            dt.date(2025, 3, 1)
        ]

    def april_paid(manager):
        by_month = {m.month: m for m in payments_trend(user=manager, latest=portfolio_latest())}
        return by_month[dt.date(2025, 4, 1)].paid, by_month[dt.date(2025, 4, 1)].average_days_late

    assert march_revenue(managers[0]) == march_revenue(managers[1]) == D("2000.00")
    assert april_paid(managers[1]) == (D("2000.00"), D("15.000000"))
    # A client moved to the other manager moves in the trends at the next run.
    clients[2].account_manager = managers[1]
    clients[2].save()
    assert march_revenue(managers[1]) == D("2000.00")
    runs.profitability_recompute(as_of=AS_OF)
    assert (march_revenue(managers[0]), march_revenue(managers[1])) == (D("1000.00"), D("3000.00"))
    assert april_paid(managers[1])[0] == D("3000.00")
