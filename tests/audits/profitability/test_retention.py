"""What the nightly recompute keeps: daily snapshots (each portfolio snapshot with its month
totals) for SNAPSHOT_DAILY_DAYS days and the month-ends before, every run."""

import datetime as dt
import io
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import ClientSnapshot, PortfolioMonth, PortfolioSnapshot, ProfitabilityRun
from audits.profitability import retention, runs
from clients.models import StaffCost
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory, PaymentFactory

ROOT = Path(__file__).resolve().parents[3]
# 50 successive days ending on the pinned day: September 30th, all of October, November 1st to 18th.
LAST = dt.date(2026, 11, 18)
FIFTY_DAYS = [LAST - dt.timedelta(days=n) for n in range(49, -1, -1)]


def _days(model):
    return sorted(set(model.objects.values_list("as_of", flat=True)))


def _month_days():
    """The days whose portfolio snapshots have month totals."""
    return sorted(set(PortfolioMonth.objects.values_list("as_of", flat=True)))


@pytest.fixture
def ledger(manager):
    """Two clients of the manager with a year of invoices, payments and service time."""
    StaffCost.objects.create(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    clients = [
        ClientFactory(name=name, account_manager=manager, acquired_on=dt.date(2024, 1, 1))
        for name in ("Alpha Retained", "Beta Retained")
    ]
    for n, client in enumerate(clients):
        for month in range(1, 12):
            invoice = InvoiceFactory(
                client=client,
                issued_on=dt.date(2026, month, 5),
                due_on=dt.date(2026, month, 28),
                amount=D("1000") * (n + 1),
                cost_of_sales=D("400"),
            )
            if month < 10:
                PaymentFactory(invoice=invoice, paid_on=dt.date(2026, month + 1, 3), amount=invoice.amount)
        InteractionFactory(
            client=client,
            staff=manager,
            started_at=dt.datetime(2026, 6, 2, 9, tzinfo=dt.UTC),
            duration_minutes=60 * (n + 1),
        )
    return clients


def _run_days(days):
    return [runs.profitability_recompute(as_of=day) for day in days]


def test_after_fifty_nights_it_keeps_35_days_the_month_ends_and_one_trend(ledger):
    runs = _run_days(FIFTY_DAYS)
    assert all(run.status == ProfitabilityRun.Status.SUCCEEDED for run in runs)
    # October 15th to November 18th (35 days), and September's last day, September 30th.
    kept = [dt.date(2026, 9, 30)] + [dt.date(2026, 10, 15) + dt.timedelta(days=n) for n in range(35)]
    assert _days(ClientSnapshot) == kept
    assert _days(PortfolioSnapshot) == kept
    assert ClientSnapshot.objects.count() == len(kept) * 2
    # The month totals go with their snapshot: one manager's, 11 months with activity per client.
    assert _month_days() == kept
    latest = PortfolioMonth.objects.filter(run=runs[-1])
    assert latest.count() == 11 and sum(latest.values_list("clients", flat=True)) == 2 * 11
    # Every run is still recorded.
    assert ProfitabilityRun.objects.count() == 50


def test_it_keeps_the_day_before_the_latest_and_each_months_last_day(ledger, settings):
    settings.SNAPSHOT_DAILY_DAYS = 1
    _run_days([dt.date(2026, 8, 10), dt.date(2026, 8, 20), dt.date(2026, 9, 29), dt.date(2026, 11, 2)])
    # August 10th is gone; August 20th and September 29th end their months.
    assert _days(ClientSnapshot) == [dt.date(2026, 8, 20), dt.date(2026, 9, 29), dt.date(2026, 11, 2)]
    _run_days([dt.date(2026, 11, 10)])
    # November 2nd, outside the one-day window and not the month's last day, is the day the next run
    # compares with: kept.
    assert _days(ClientSnapshot)[-2:] == [dt.date(2026, 11, 2), dt.date(2026, 11, 10)]
    _run_days([dt.date(2026, 11, 18)])
    assert _days(ClientSnapshot) == [
        dt.date(2026, 8, 20),
        dt.date(2026, 9, 29),
        dt.date(2026, 11, 10),
        dt.date(2026, 11, 18),
    ]
    assert _days(PortfolioSnapshot) == _days(ClientSnapshot)
    assert _month_days() == _days(PortfolioSnapshot)


def test_the_declining_flag_reads_the_previous_day_after_pruning(ledger, settings):
    """A client whose NP fell since the previous snapshot: the flag needs that snapshot."""
    settings.SNAPSHOT_DAILY_DAYS = 1
    _run_days([dt.date(2026, 9, 10), dt.date(2026, 10, 12)])
    previous = dict(
        ClientSnapshot.objects.filter(as_of=dt.date(2026, 10, 12)).values_list("client_id", "net_profit")
    )
    assert len(previous) == 2
    run = runs.profitability_recompute(as_of=dt.date(2026, 10, 20))
    assert run.status == ProfitabilityRun.Status.SUCCEEDED
    # The next run (a new day or the same day again) finds October 12th's figures.
    assert dt.date(2026, 10, 12) in _days(ClientSnapshot)
    runs.profitability_recompute(as_of=dt.date(2026, 10, 20))
    assert dt.date(2026, 10, 12) in _days(ClientSnapshot)


def test_a_failed_run_prunes_nothing_and_the_latest_stays_whole(ledger, settings, monkeypatch):
    settings.SNAPSHOT_DAILY_DAYS = 100
    _run_days(FIFTY_DAYS[-10:])
    settings.SNAPSHOT_DAILY_DAYS = 1

    def state():
        return (
            sorted(ClientSnapshot.objects.values_list("as_of", "client_id", "net_profit", "run_id")),
            sorted(PortfolioMonth.objects.values_list("as_of", "month", "net_profit")),
            sorted(PortfolioSnapshot.objects.values_list("as_of", "run_id", "net_profit")),
        )

    before = state()

    def broken(run, result):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "_write_clients", broken)
    with pytest.raises(RuntimeError):
        runs.profitability_recompute(as_of=LAST + dt.timedelta(days=1))
    with pytest.raises(RuntimeError):
        runs.profitability_recompute(as_of=LAST)  # the same day again
    assert state() == before
    assert ProfitabilityRun.objects.filter(status=ProfitabilityRun.Status.FAILED).count() == 2


def test_a_failing_prune_leaves_the_run_succeeded(ledger, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("lock timeout")

    settings.SNAPSHOT_DAILY_DAYS = 1
    monkeypatch.setattr(retention, "_prune", broken)
    done = _run_days([dt.date(2026, 10, 5), dt.date(2026, 10, 6), LAST])
    assert [run.status for run in done] == [ProfitabilityRun.Status.SUCCEEDED] * 3
    # October 5th is past its retention, left to the next night's prune, its month totals with it.
    assert _days(PortfolioSnapshot) == _month_days() == [dt.date(2026, 10, 5), dt.date(2026, 10, 6), LAST]
    monkeypatch.undo()
    runs.profitability_recompute(as_of=LAST)
    assert _days(PortfolioSnapshot) == _month_days() == [dt.date(2026, 10, 6), LAST]


def test_the_prune_is_a_fixed_number_of_statements(ledger, settings):
    settings.SNAPSHOT_DAILY_DAYS = 100
    _run_days(FIFTY_DAYS[1:5])  # October 1st to 4th
    with CaptureQueriesContext(connection) as few:
        retention.snapshots_prune(daily_days=1)
    _run_days(FIFTY_DAYS[5:25])
    with CaptureQueriesContext(connection) as many:
        retention.snapshots_prune(daily_days=1)
    deletes = [q["sql"] for q in many.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # one per snapshot table, no row-by-row cascade
    # The client snapshots are deleted without being read first.
    touching = [q["sql"] for q in many.captured_queries if '"audits_clientsnapshot"' in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("DELETE")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_pages_work_after_pruning(ledger, manager, as_manager, as_finance):
    _run_days(FIFTY_DAYS)
    for http in (as_manager, as_finance):
        for url in ("/dashboard/", "/ranking/", "/payments/", "/prospects/"):
            response = http.get(url)
            assert response.status_code == 200, url
    dashboard = as_finance.get("/dashboard/").content.decode()
    assert "No figures yet" not in dashboard
    ranking = as_manager.get("/ranking/").content.decode()
    assert "Alpha Retained" in ranking and "Beta Retained" in ranking
    for client in ledger:
        page = as_manager.get(f"/clients/{client.pk}/profitability/")
        assert page.status_code == 200
        assert client.name in page.content.decode()
    # The client page's trend, computed for the latest day from the client's ledger.
    from audits.profitability import client as selectors

    trend = selectors.client_month_trend(ledger[1])
    assert len(trend) == 24
    assert sum(row.revenue for row in trend) == D("2000") * 11


def test_the_command_says_what_it_removed(ledger, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(retention, "_prune", lambda **kwargs: retention.Pruned())  # as before retention
        _run_days([dt.date(2026, 10, 5), dt.date(2026, 10, 6), dt.date(2026, 11, 17), LAST])
    out = io.StringIO()
    call_command("prune_snapshots", "--days", "1", stdout=out)
    text = out.getvalue()
    # October 5th goes (6th ends October, 17th is the day before the latest).
    assert "Days removed: 1\n" in text
    assert "Client snapshots removed: 2\n" in text
    assert "Portfolio snapshots removed: 1\n" in text
    assert "Kept: the daily snapshots from 2026-11-18 to 2026-11-18, of the day before the latest" in text
    assert _month_days() == _days(PortfolioSnapshot)
    assert _days(PortfolioSnapshot) == [dt.date(2026, 10, 6), dt.date(2026, 11, 17), LAST]
    again = io.StringIO()
    call_command("prune_snapshots", stdout=again)
    assert "Client snapshots removed: 0\n" in again.getvalue()


def test_the_command_with_no_snapshots(db):
    out = io.StringIO()
    call_command("prune_snapshots", stdout=out)
    assert "nothing to remove" in out.getvalue()


def test_the_retention_setting_is_parsed_strictly():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "SNAPSHOT_DAILY_DAYS": "0"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SNAPSHOT_DAILY_DAYS" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_once_the_run_has_committed_the_snapshot_tables_are_vacuumed():
    """The deleted rows' space is reclaimed whether autovacuum is on or not."""
    InvoiceFactory(client=ClientFactory(), issued_on=dt.date(2026, 10, 1), amount=D("100"))
    runs.profitability_recompute(as_of=dt.date(2026, 11, 17))
    with CaptureQueriesContext(connection) as queries:
        runs.profitability_recompute(as_of=LAST)
    vacuums = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("VACUUM")]
    assert len(vacuums) == 1
    assert all(f'"{table}"' in vacuums[0] for table in ("audits_clientsnapshot", "audits_portfoliomonth"))
