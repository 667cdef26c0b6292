"""The recompute service, its task, its lock, its trigger and its pages."""

import datetime as dt
import importlib
import os
import re
import subprocess
import sys
import threading
from decimal import Decimal as D
from pathlib import Path

import psycopg
import pytest
from celery.exceptions import Retry
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from audits import tasks
from audits.models import ClientSnapshot, PortfolioMonth, PortfolioSnapshot, ProfitabilityRun
from audits.profitability import runs
from audits.profitability.sql import passes
from clients.models import Client, CostSettings, Expense, Interaction, Invoice, Payment, StaffCost
from tests.factories import ClientFactory, InvoiceFactory

AS_OF = dt.date(2025, 12, 31)
BASE = Path(__file__).resolve().parents[3]


def _portfolio(count, start=0):
    """``count`` clients, each with two invoices (one paid late), interactions and an expense."""
    User = get_user_model()
    staff, _ = User.objects.get_or_create(username="bench-staff")
    StaffCost.objects.get_or_create(
        user=staff, effective_from=dt.date(2020, 1, 1), defaults={"hourly_cost": D("60")}
    )
    clients = Client.objects.bulk_create(
        Client(
            name=f"Q{n}", external_ref=f"Q{n:05d}", acquired_on=dt.date(2024, 1, 1), acquisition_cost=D("240")
        )
        for n in range(start, start + count)
    )
    invoices = Invoice.objects.bulk_create(
        Invoice(
            client=c,
            number=f"QI{c.pk}-{k}",
            issued_on=dt.date(2025, 3 + k, 1),
            due_on=dt.date(2025, 3 + k, 30),
            amount=D("1000") + c.pk,
            cost_of_sales=None if k else D("300"),
        )
        for c in clients
        for k in range(2)
    )
    Payment.objects.bulk_create(
        Payment(invoice=i, paid_on=dt.date(2025, 5, 10), amount=i.amount) for i in invoices[::2]
    )
    tz = dt.UTC
    Interaction.objects.bulk_create(
        Interaction(
            client=c,
            staff=staff,
            kind="call",
            started_at=dt.datetime(2025, 6, d, 9, tzinfo=tz),
            duration_minutes=30,
        )
        for c in clients
        for d in (2, 3)
    )
    Expense.objects.bulk_create(
        Expense(client=c, spent_on=dt.date(2025, 7, 1), category="travel", amount=D("50")) for c in clients
    )
    return clients


def _queries_of_a_run(as_of):
    with CaptureQueriesContext(connection) as queries:
        runs.profitability_recompute(as_of=as_of)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_clients(db):
    CostSettings.load()  # the settings row exists in any installation
    _portfolio(10)
    at_ten = _queries_of_a_run(AS_OF)
    assert ClientSnapshot.objects.filter(as_of=AS_OF).count() == 10
    _portfolio(190, start=10)
    at_two_hundred = _queries_of_a_run(AS_OF)
    assert ClientSnapshot.objects.filter(as_of=AS_OF).count() == 200
    # March to December: invoices in March and April, a payment in May, interactions in June, an
    # expense in July, and the April invoice, still unpaid, costs late payment every month from May.
    months = PortfolioMonth.objects.filter(as_of=AS_OF)
    assert sum(months.values_list("clients", flat=True)) == 200 * 10
    assert at_ten == at_two_hundred
    # The ledger pass is eleven statements (audits.profitability.sql), the prune after the run four.
    assert at_two_hundred <= 40


def test_a_run_failing_midway_leaves_the_previous_snapshot_whole(db, monkeypatch):
    _portfolio(3)
    first = runs.profitability_recompute(as_of=AS_OF)
    before = sorted(ClientSnapshot.objects.values_list("client_id", "net_profit", "run_id"))
    months_before = sorted(PortfolioMonth.objects.values_list("run_id", "month", "net_profit"))

    def broken(run, result):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "_write_clients", broken)
    InvoiceFactory(client=Client.objects.first(), issued_on=dt.date(2025, 12, 1), amount=D("5000"))
    with pytest.raises(RuntimeError):
        runs.profitability_recompute(as_of=AS_OF)
    failed = ProfitabilityRun.objects.exclude(pk=first.pk).get()
    assert failed.status == ProfitabilityRun.Status.FAILED
    assert "disk full" in failed.error
    assert failed.finished_at is not None
    assert sorted(ClientSnapshot.objects.values_list("client_id", "net_profit", "run_id")) == before
    assert sorted(PortfolioMonth.objects.values_list("run_id", "month", "net_profit")) == months_before
    assert PortfolioSnapshot.objects.get().run_id == first.pk


def _other_connection():
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )


@pytest.fixture
def lock_held_elsewhere(db):
    """Another session holds the recompute lock, as a run on another worker would."""
    other = _other_connection()
    other.execute("SELECT pg_advisory_lock(%s)", [runs.ADVISORY_KEY])
    yield
    other.execute("SELECT pg_advisory_unlock(%s)", [runs.ADVISORY_KEY])
    other.close()


def test_a_second_run_while_one_holds_the_lock_is_refused(lock_held_elsewhere):
    _portfolio(2)
    run = runs.run_create(as_of=AS_OF)
    with pytest.raises(runs.RecomputeBusy):
        runs.profitability_recompute(run=run)
    run.refresh_from_db()
    assert run.status == ProfitabilityRun.Status.QUEUED
    assert not ClientSnapshot.objects.exists()


def test_the_task_defers_while_the_lock_is_held_then_gives_up(lock_held_elsewhere, settings):
    _portfolio(2)
    run = runs.run_create(as_of=AS_OF)
    with pytest.raises(Retry):
        tasks.profitability_recompute_task.apply(kwargs={"run_id": run.pk})
    run.refresh_from_db()
    assert run.status == ProfitabilityRun.Status.QUEUED  # deferred, to be tried again
    last_try = tasks.profitability_recompute_task.max_retries
    tasks.profitability_recompute_task.apply(kwargs={"run_id": run.pk}, retries=last_try)
    run.refresh_from_db()
    assert run.status == ProfitabilityRun.Status.SKIPPED
    assert not ClientSnapshot.objects.exists()


def test_a_running_row_from_another_run_blocks_a_claim_without_advisory_lock(db):
    busy = runs.run_create(as_of=AS_OF)
    ProfitabilityRun.objects.filter(pk=busy.pk).update(status="running", started_at=dt.datetime.now(dt.UTC))
    run = runs.run_create(as_of=AS_OF)
    assert runs._claim(run) is True  # PostgreSQL: the advisory lock decides, the stale row is closed
    busy.refresh_from_db()
    assert busy.status == ProfitabilityRun.Status.FAILED


def test_the_nightly_schedule_runs_at_two_in_the_installation_time_zone(db, settings, monkeypatch):
    # Run the data migration's function again: a transactional test may have flushed its rows.
    # It clears the app's models_module when done, which on the live registry would make later
    # flushes skip the audits permissions: put back after the test.
    audits_app = django_apps.get_app_config("audits")
    monkeypatch.setattr(audits_app, "models_module", audits_app.models_module)
    migration = importlib.import_module("audits.migrations.0002_schedule_and_permissions")
    migration.forwards(django_apps, None)
    task = PeriodicTask.objects.get(task="audits.tasks.profitability_recompute_task")
    assert (task.crontab.hour, task.crontab.minute) == ("2", "0")
    assert str(task.crontab.timezone) == settings.TIME_ZONE
    assert task.enabled


def test_the_nightly_task_records_its_run(db):
    _portfolio(2)
    tasks.profitability_recompute_task.apply()
    run = ProfitabilityRun.objects.get()
    assert run.trigger == ProfitabilityRun.Trigger.SCHEDULE
    assert run.status == ProfitabilityRun.Status.SUCCEEDED
    assert run.client_count == 2
    assert run.duration is not None


def test_the_management_command_runs_the_same_service(db, capsys):
    from django.core.management import call_command

    _portfolio(3)
    call_command("recompute", "--as-of", "2025-12-31")
    assert "3 clients" in capsys.readouterr().out
    run = ProfitabilityRun.objects.get()
    assert (run.trigger, run.status, run.as_of) == ("command", "succeeded", AS_OF)


def test_finance_triggers_a_recompute_and_reads_its_progress(as_finance, django_capture_on_commit_callbacks):
    ClientFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = as_finance.post("/profitability/recompute/")
    assert len(callbacks) == 1
    run = ProfitabilityRun.objects.get()
    assert response.status_code == 302
    assert response.url == f"/profitability/recompute/?run={run.pk}"
    status = as_finance.get(f"/profitability/recompute/runs/{run.pk}/").json()
    assert status["status"] == "succeeded"
    assert status["clients"] == 1
    assert not status["active"]
    assert re.fullmatch(r"Succeeded in \d+\.\d s, 1 client", status["summary"])
    page = as_finance.get(response.url).content.decode()
    assert "Last computed" in page
    # The run has ended before the page is drawn: it says so at once, with its unit, and polls nothing.
    assert status["summary"] in page
    assert "waiting for news" not in page
    assert 'data-url="' not in page


def test_a_recompute_asked_from_a_page_goes_back_to_that_page(as_finance, django_capture_on_commit_callbacks):
    ClientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_finance.post("/profitability/recompute/", {"next": "/ranking/?flag=unprofitable"})
    assert response.url == "/ranking/?flag=unprofitable"
    for unsafe in ("https://elsewhere.example/", "//elsewhere.example/"):
        response = as_finance.post("/profitability/recompute/", {"next": unsafe})
        assert response.url.startswith("/profitability/recompute/?run=")


def test_a_request_while_a_run_is_queued_does_not_queue_another(as_finance, finance):
    queued = runs.run_create(as_of=AS_OF)
    run, created = runs.profitability_run_request(user=finance)
    assert (run, created) == (queued, False)
    assert ProfitabilityRun.objects.count() == 1


def test_account_managers_cannot_trigger_a_recompute(as_manager):
    assert as_manager.post("/profitability/recompute/").status_code == 403
    assert not ProfitabilityRun.objects.exists()


def test_the_seed_calculator_gives_3_03_days(as_manager):
    response = as_manager.get(
        "/profitability/seed-calculator/",
        {
            "effort": "1000",
            "annual_income": "24000",
            "margin_rate": "50",
            "working_days": "218",
            "charge_coefficient": "1.5",
        },
    )
    page = response.content.decode()
    assert response.context["result"]["days"] == D("3.03")
    assert "3.03 days" in page


def test_the_seed_calculator_explains_bad_input(as_manager):
    response = as_manager.get(
        "/profitability/seed-calculator/",
        {
            "effort": "lots",
            "annual_income": "0",
            "margin_rate": "150",
            "working_days": "0",
            "charge_coefficient": "1.5",
        },
    )
    form = response.context["form"]
    assert response.context["result"] is None
    assert set(form.errors) == {"effort", "annual_income", "margin_rate", "working_days"}
    assert "Enter a number." in response.content.decode()


def test_the_latest_snapshot_selectors(finance):
    from audits.profitability import client as selectors
    from audits.profitability import runs as run_reads
    from audits.reports.scope import latest_snapshots

    clients = _portfolio(3)
    runs.profitability_recompute(as_of=dt.date(2025, 12, 30))
    runs.profitability_recompute(as_of=AS_OF)
    rows = latest_snapshots(user=finance, latest=run_reads.portfolio_latest()).filter(
        client__in=Client.objects.filter(pk__in=[c.pk for c in clients[:2]])
    )
    assert {(r.client_id, r.as_of) for r in rows} == {(c.pk, AS_OF) for c in clients[:2]}
    assert run_reads.portfolio_latest().as_of == AS_OF
    assert runs.run_latest().as_of == AS_OF
    trend = selectors.client_month_trend(clients[0])
    assert len(trend) == 24
    assert trend[0].month == dt.date(2024, 1, 1) and trend[-1].month == dt.date(2025, 12, 1)
    assert trend[0].acquisition_share == D("10.00")  # no activity in January 2024: amortisation only
    assert sum(m.revenue for m in trend) == ClientSnapshot.objects.get(client=clients[0], as_of=AS_OF).revenue


def test_a_recompute_runs_on_sqlite(tmp_path):
    """The embedded default: migrate, a tiny ledger, and the management command, on SQLite."""
    database = tmp_path / "smoke.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    script = """
import datetime as dt
from decimal import Decimal as D
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from clients.models import Client, Interaction, Invoice, Payment, StaffCost
from audits.models import ClientSnapshot, PortfolioMonth, PortfolioSnapshot
from audits.profitability.client import client_months
staff = get_user_model().objects.create(username="s")
StaffCost.objects.create(user=staff, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
client = Client.objects.create(name="S", external_ref="S1", acquired_on=dt.date(2020, 1, 1))
invoice = Invoice.objects.create(client=client, number="S-1", issued_on=dt.date(2025, 3, 1), due_on=dt.date(2025, 3, 31), amount=D("1000"))
Payment.objects.create(invoice=invoice, paid_on=dt.date(2025, 4, 10), amount=D("1000"))
Invoice.objects.create(client=client, number="S-2", issued_on=dt.date(2025, 10, 1), due_on=dt.date(2025, 10, 31), amount=D("365"))
Interaction.objects.create(client=client, staff=staff, kind="call", started_at=timezone.make_aware(dt.datetime(2025, 5, 5, 10)), duration_minutes=60)
call_command("recompute", as_of=dt.date(2025, 12, 31))
s = ClientSnapshot.objects.get()
print("NP", s.revenue, s.gross_margin, s.cost_to_serve, s.late_payment_cost, s.net_profit)
months = client_months(client, as_of=dt.date(2025, 12, 31))
print("MONTHS", len(months), PortfolioSnapshot.objects.get().clients)
print("LPC", *(f"{m.month:%m}:{m.late_payment_cost}" for m in months))
print("TOTALS", *(f"{m.month:%m}:{m.late_payment_cost}" for m in PortfolioMonth.objects.order_by("month")))
"""
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    # GM 1,365 x 50 %, CTS 1 h x 60, LPC (1,000 x 10 days + 365 x 61 days, November and December)
    # x 8 % / 365 = 2.192 + 4.880
    assert "NP 1365.00 682.50 60.00 7.07 615.43" in run.stdout
    # March (invoice), April (payment), May (interaction), October (invoice), and the months the
    # October invoice is overdue.
    assert "MONTHS 6 1" in run.stdout
    assert "LPC 03:0.00 04:2.19 05:0.00 10:0.00 11:2.40 12:2.48" in run.stdout
    assert "TOTALS 03:0.00 04:2.19 05:0.00 10:0.00 11:2.40 12:2.48" in run.stdout


SNAPSHOT_FIELDS = ("client_id", "revenue", "gross_margin", "cost_to_serve", "late_payment_cost", "net_profit")
MONTH_FIELDS = (
    "account_manager_id",
    "month",
    "clients",
    "net_profit",
    "cost_to_serve",
    "paid_amount",
    "paid_days_late",
)


@pytest.mark.django_db(transaction=True)
def test_a_large_portfolio_shares_its_ledger_pass_between_two_connections(settings, monkeypatch):
    """Past PROFITABILITY_SPLIT_MIN_CLIENTS, a second connection computes half of the clients
    inside the main transaction's snapshot; the snapshot is the same as computed in one piece."""
    clients = _portfolio(12)
    staff = get_user_model().objects.get(username="bench-staff")
    StaffCost.objects.create(user=staff, effective_from=dt.date(2025, 6, 3), hourly_cost=D("90"))
    manager = get_user_model().objects.create(username="split-manager")
    Client.objects.filter(pk__in=[c.pk for c in clients[::2]]).update(account_manager=manager)
    helpers = []
    original_start = passes.Helper.start

    def start(helper):
        helpers.append(helper)
        original_start(helper)

    monkeypatch.setattr(passes.Helper, "start", start)

    def snapshot():
        return (
            list(
                ClientSnapshot.objects.filter(as_of=AS_OF).order_by("client_id").values_list(*SNAPSHOT_FIELDS)
            ),
            list(
                PortfolioMonth.objects.filter(as_of=AS_OF)
                .order_by("account_manager_id", "month")
                .values_list(*MONTH_FIELDS)
            ),
        )

    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 10**9
    runs.profitability_recompute(as_of=AS_OF)
    whole = snapshot()
    assert helpers == []

    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2
    runs.profitability_recompute(as_of=AS_OF)
    assert len(helpers) == 1 and helpers[0].error is None and helpers[0].rows
    assert snapshot() == whole
    # Two account managers' clients (and those of none) on both sides of the split.
    assert len(whole[0]) == 12 and len(whole[1]) == 2 * 10
    assert sum(row[2] for row in whole[1]) == 12 * 10
    # 30 minutes at 60 on 2 June, 30 minutes at 90 on 3 June (the new hourly cost).
    assert {row[3] for row in whole[0]} == {D("75.00")}


@pytest.mark.django_db(transaction=True)
def test_when_the_second_connection_fails_the_run_fails_and_the_previous_snapshot_stays(
    settings, monkeypatch
):
    _portfolio(6)
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2
    first = runs.profitability_recompute(as_of=AS_OF)
    before = sorted(ClientSnapshot.objects.values_list("client_id", "net_profit", "run_id"))
    months_before = sorted(PortfolioMonth.objects.values_list("run_id", "month", "net_profit"))
    original = passes.month_totals

    def broken(**arguments):
        if threading.current_thread().name == "ledger-pass":
            raise RuntimeError("connection lost")
        return original(**arguments)

    monkeypatch.setattr(passes, "month_totals", broken)
    InvoiceFactory(client=Client.objects.first(), issued_on=dt.date(2025, 12, 1), amount=D("5000"))
    with pytest.raises(RuntimeError, match="connection lost"):
        runs.profitability_recompute(as_of=AS_OF)
    failed = ProfitabilityRun.objects.exclude(pk=first.pk).get()
    assert failed.status == ProfitabilityRun.Status.FAILED
    assert "connection lost" in failed.error
    assert sorted(ClientSnapshot.objects.values_list("client_id", "net_profit", "run_id")) == before
    assert sorted(PortfolioMonth.objects.values_list("run_id", "month", "net_profit")) == months_before
    # Once the second connection works again, the next run succeeds.
    monkeypatch.setattr(passes, "month_totals", original)
    assert runs.profitability_recompute(as_of=AS_OF).status == ProfitabilityRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_both_halves_read_the_ledger_as_it_was_when_the_run_began(settings, monkeypatch):
    """An invoice committed by someone else while the run is under way counts in neither half
    (the run is REPEATABLE READ, and the second connection shares its snapshot)."""
    _portfolio(6)
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2
    first_client = Client.objects.order_by("pk").first()
    exported = passes.snapshot_export

    def export_then_invoice():
        snapshot = exported()
        with _other_connection() as other:
            other.execute(
                "INSERT INTO clients_invoice (client_id, number, issued_on, due_on, amount, written_off)"
                " VALUES (%s, 'LATE-1', '2025-11-03', '2025-12-03', 7000, 0)",
                [first_client.pk],
            )
        return snapshot

    monkeypatch.setattr(passes, "snapshot_export", export_then_invoice)
    runs.profitability_recompute(as_of=AS_OF)
    during = ClientSnapshot.objects.get(as_of=AS_OF, client=first_client).revenue
    monkeypatch.setattr(passes, "snapshot_export", exported)
    runs.profitability_recompute(as_of=AS_OF)
    after = ClientSnapshot.objects.get(as_of=AS_OF, client=first_client).revenue
    assert after == during + D("7000.00")


@pytest.mark.django_db(transaction=True)
def test_without_a_second_connection_the_pass_runs_in_one_piece(settings, monkeypatch):
    _portfolio(6)
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 10**9
    runs.profitability_recompute(as_of=AS_OF)
    whole = sorted(ClientSnapshot.objects.values_list(*SNAPSHOT_FIELDS))
    months = sorted(PortfolioMonth.objects.values_list("month", "clients", "net_profit", "paid_days_late"))
    settings.PROFITABILITY_SPLIT_MIN_CLIENTS = 2
    # A snapshot that cannot be imported, as when the second connection cannot share it.
    monkeypatch.setattr(passes, "snapshot_export", lambda: "00000003-0000001B-1")
    run = runs.profitability_recompute(as_of=AS_OF)
    assert run.status == ProfitabilityRun.Status.SUCCEEDED
    assert sorted(ClientSnapshot.objects.values_list(*SNAPSHOT_FIELDS)) == whole
    assert (
        sorted(PortfolioMonth.objects.values_list("month", "clients", "net_profit", "paid_days_late"))
        == months
    )


def seed_calculator(http, **figures):
    return http.get("/profitability/seed-calculator/", {"effort": "1000", "margin_rate": "100", **figures})


def test_the_seed_calculator_counts_days_from_the_day_cost_it_shows(as_manager):
    # 1 / 100 % / 3 days x 1 = 0.333... shows as 0.33 a day: 1,000 / 0.33 = 3,030.30 days (not 3,000.00).
    response = seed_calculator(as_manager, annual_income="1", working_days="3", charge_coefficient="1")
    assert response.context["result"] == {"day_cost": D("0.33"), "days": D("3030.30")}
    page = response.content.decode()
    assert "0.33" in page and "3,030.30 days" in page
    # 1 / 100 % / 200 x 1 = 0.005 rounds half-up to 0.01: 100,000 days.
    response = seed_calculator(as_manager, annual_income="1", working_days="200", charge_coefficient="1")
    assert response.context["result"] == {"day_cost": D("0.01"), "days": D("100000.00")}


def test_the_seed_calculator_refuses_a_day_cost_below_a_cent(as_manager):
    # 1 / 100 % / 366 x 1 = 0.0027, shown as 0.00: no number of days can be read from it.
    response = seed_calculator(as_manager, annual_income="1", working_days="366", charge_coefficient="1")
    assert response.context["result"] is None
    assert response.context["form"].non_field_errors() == [
        "These figures give a day cost below 0.01\xa0EUR, which cannot be counted in days. "
        "Raise the annual income or the charge coefficient, or lower the margin rate or the working days."
    ]
    assert "which cannot be counted in days" in response.content.decode()


def test_the_largest_amounts_the_ledger_takes_give_figures_the_snapshots_can_hold(db, as_finance):
    """The ledger takes an invoice of up to 999,999,999,999.99: every ratio made of such amounts
    (a lifetime ROI on a tiny acquisition cost, a margin and a DSO on a cent of revenue, a payback
    over a loss of a cent a month) is stored and shown, where a ratio wider than its column failed
    the run (PostgreSQL) or the pages reading it (SQLite)."""
    huge = D("999999999999.99")
    whale = ClientFactory(name="Whale", acquired_on=dt.date(2020, 1, 1), acquisition_cost=D("0.01"))
    InvoiceFactory(client=whale, issued_on=dt.date(2025, 6, 1), due_on=dt.date(2025, 7, 1), amount=huge)
    # A cent of revenue: the largest invoice, sold at cost, and a credit note of all but a cent.
    cent = ClientFactory(name="Cent", acquired_on=dt.date(2020, 1, 1), acquisition_cost=huge)
    InvoiceFactory(
        client=cent,
        issued_on=dt.date(2025, 6, 1),
        due_on=dt.date(2025, 7, 1),
        amount=huge,
        cost_of_sales=huge,
    )
    InvoiceFactory(
        client=cent,
        issued_on=dt.date(2025, 6, 2),
        due_on=dt.date(2025, 7, 2),
        amount=D("0.01") - huge,
        cost_of_sales=D("0"),
    )
    run = runs.profitability_recompute(as_of=dt.date(2025, 12, 31))
    assert run.status == ProfitabilityRun.Status.SUCCEEDED
    stored = {s.client.name: s for s in ClientSnapshot.objects.select_related("client")}
    assert stored["Whale"].lifetime_roi > 10**13
    assert abs(stored["Cent"].net_margin) > 10**13
    for url in ("/dashboard/", "/ranking/", "/payments/", f"/clients/{whale.pk}/profitability/"):
        assert as_finance.get(url).status_code == 200, url
