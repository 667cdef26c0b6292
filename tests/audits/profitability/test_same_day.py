"""A second run of the same day: the monthly rows are those a first run of the day would write, but
only the rows that changed are written (``sql.months.month_rows_merge``); and the ledger pass's
phases, which bench/engine.py prints."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import ClientMonthSnapshot, ClientSnapshot
from audits.profitability import phases, runs
from audits.profitability.sql import months
from clients.models import Invoice
from tests.factories import ClientFactory, InvoiceFactory, PaymentFactory

AS_OF = dt.date(2025, 12, 31)
FIELDS = [f.attname for f in ClientMonthSnapshot._meta.concrete_fields if f.attname not in {"id", "run_id"}]


def _months():
    return sorted(ClientMonthSnapshot.objects.filter(as_of=AS_OF).values_list(*FIELDS))


def _ledger():
    clients = [ClientFactory(acquired_on=dt.date(2025, 1, 1), acquisition_cost=D("1200")) for _ in range(4)]
    for client in clients:
        invoice = InvoiceFactory(client=client, issued_on=dt.date(2025, 3, 1), amount=D("1000"))
        PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 4, 15), amount=D("1000"))
    InvoiceFactory(client=clients[3], issued_on=dt.date(2025, 5, 1), amount=D("500"))  # never paid
    return clients


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("split", [False, True], ids=["one connection", "two connections"])
def test_a_second_run_of_the_day_writes_only_the_monthly_rows_that_changed(settings, split):
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2 if split else 10**9
    clients = _ledger()
    first = runs.profitability_recompute(as_of=AS_OF)
    # A new month for the first client, a changed month for the second, and the fourth's unpaid
    # May invoice gone: its late-payment cost leaves the months from June (rows changed or gone).
    InvoiceFactory(client=clients[0], issued_on=dt.date(2025, 9, 1), amount=D("300"))
    Invoice.objects.filter(client=clients[1]).update(amount=D("1100"))
    Invoice.objects.filter(client=clients[3], issued_on=dt.date(2025, 5, 1)).delete()
    may_before = ClientMonthSnapshot.objects.get(client=clients[3], month=dt.date(2025, 5, 1), as_of=AS_OF)

    with CaptureQueriesContext(connection) as queries:
        second = runs.profitability_recompute(as_of=AS_OF)
    assert second.status == second.Status.SUCCEEDED
    again = _months()
    run_of = {
        (client, month): run
        for client, month, run in ClientMonthSnapshot.objects.filter(as_of=AS_OF).values_list(
            "client_id", "month", "run_id"
        )
    }
    # The vanished month was deleted; no statement deleted the day's rows wholesale.
    assert not ClientMonthSnapshot.objects.filter(pk=may_before.pk).exists()
    statements = [q["sql"] for q in queries.captured_queries]
    table = ClientMonthSnapshot._meta.db_table
    assert any(f"UPDATE {table} t SET" in sql for sql in statements)  # the merge
    staging = [sql for sql in statements if sql.startswith(f"CREATE TEMPORARY TABLE {months.STAGING}")]
    assert len(staging) == (1 if split else 0)  # both halves' rows, for the merge
    assert not any(
        sql.startswith(f'DELETE FROM "{table}"') and f'"{table}"."as_of" = ' in sql for sql in statements
    )

    # Unchanged rows were left as they were, with the run that wrote them; the others written.
    march = dt.date(2025, 3, 1)
    assert run_of[clients[2].pk, march] == first.pk
    assert run_of[clients[1].pk, march] == second.pk
    assert run_of[clients[0].pk, dt.date(2025, 9, 1)] == second.pk

    # The same rows as the day computed afresh.
    ClientMonthSnapshot.objects.all().delete()
    runs.profitability_recompute(as_of=AS_OF)
    assert again == _months()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("split", [False, True], ids=["one connection", "two connections"])
def test_the_rows_kept_and_rewritten_by_a_second_run_of_the_day(settings, split):
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2 if split else 10**9
    clients = _ledger()
    first = runs.profitability_recompute(as_of=AS_OF)
    InvoiceFactory(client=clients[1], issued_on=dt.date(2025, 3, 20), amount=D("100"))
    second = runs.profitability_recompute(as_of=AS_OF)

    def run_of(client, month):
        return ClientMonthSnapshot.objects.get(client=client, month=month, as_of=AS_OF).run_id

    assert run_of(clients[2], dt.date(2025, 3, 1)) == first.pk  # unchanged: not written again
    assert run_of(clients[1], dt.date(2025, 3, 1)) == second.pk  # its March changed
    march = ClientMonthSnapshot.objects.get(client=clients[1], month=dt.date(2025, 3, 1), as_of=AS_OF)
    assert march.revenue == D("1100.00")
    assert ClientSnapshot.objects.get(client=clients[1], as_of=AS_OF).run_id == second.pk


@pytest.mark.django_db(transaction=True)
def test_a_run_records_its_phases(settings):
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2
    _ledger()
    runs.profitability_recompute(as_of=AS_OF)
    recorded = {phase.name: phase for phase in phases.recorded()}
    for name in ("components", "components, upper half", "client rows", "monthly rows inserted"):
        assert name in recorded
    assert recorded["components, upper half"].thread == "ledger-pass"
    assert recorded["monthly rows inserted"].thread == "ledger-months"
    assert all(phase.seconds >= 0 for phase in recorded.values())
