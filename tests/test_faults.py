"""Faults survived, with real processes: a worker killed mid-run, its database connection killed, the
broker unreachable, two beats by mistake, an import whose worker dies.

The machine's own PostgreSQL and Redis are never stopped: a test kills its own worker (SIGKILL) or
its worker's backend (pg_terminate_backend), or points at a port where nothing listens, or starts a
Redis of its own on another port. The workers run `tests.fault_worker` (the project's app with test
knobs: a pause inside the run, a visibility timeout of seconds), see that module.
"""

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import time
import types
import uuid
from decimal import Decimal as D
from pathlib import Path

import kombu.pools
import pytest
from django.db import connection

from audits.models import ClientSnapshot, ProfitabilityRun
from audits.profitability import runs
from audits.tasks import profitability_recompute_task
from clients import tasks as client_tasks
from clients.imports.jobs import import_job_preview
from clients.models import ImportJob, Invoice
from config.celery import app
from tests.clients.test_imports import INVOICE_HEADER, csv_bytes, upload
from tests.factories import ClientFactory, InvoiceFactory
from tests.workers import Workers

pytestmark = pytest.mark.django_db(transaction=True)
# The workers are other processes, on the machine's clock (`real_clock`): those tests give every date.
BASE = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2025, 12, 31)
Status = ProfitabilityRun.Status


@pytest.fixture
def workers(tmp_path):
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started = Workers(tmp_path, app_module="tests.fault_worker")
    try:
        yield started
    finally:
        started.stop()
        app.conf.task_always_eager = eager


@pytest.fixture
def queue():
    return f"test-faults-{uuid.uuid4().hex[:8]}"


def wait_for(obj, statuses, timeout=45, logs=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        obj.refresh_from_db()
        if obj.status in statuses:
            return obj
        time.sleep(0.1)
    raise AssertionError(f"{obj} still {obj.status} after {timeout} s\n{logs}")


@pytest.fixture
def ledger_with_a_snapshot():
    """A client whose snapshot for AS_OF is computed (revenue 1,200); then a second invoice, which the
    next run of the same day counts (revenue 1,500)."""
    client = ClientFactory(acquired_on=dt.date(2024, 1, 1))
    InvoiceFactory(client=client, issued_on=dt.date(2025, 6, 1), amount=D("1200"), cost_of_sales=D("200"))
    first = runs.profitability_recompute(as_of=AS_OF)
    assert first.status == Status.SUCCEEDED
    InvoiceFactory(client=client, issued_on=dt.date(2025, 7, 1), amount=D("300"), cost_of_sales=D("0"))
    return client, first


def run_paused(workers, queue):
    """A recompute sent to the queue's worker, once it is paused mid-run (its rows written, not
    committed)."""
    run = runs.run_create(as_of=AS_OF)
    profitability_recompute_task.apply_async(kwargs={"run_id": run.pk}, queue=queue)
    workers.wait_for_pause()
    return run


def snapshot_of(client):
    return ClientSnapshot.objects.values_list("run_id", "revenue").get(client=client, as_of=AS_OF)


def completed_at_the_second_attempt(run, workers, client):
    """The interrupted run, completed by its second delivery: the new snapshot, and no other run
    besides the first."""
    run = wait_for(run, {Status.SUCCEEDED, Status.FAILED}, logs=workers.logs())
    assert run.status == Status.SUCCEEDED, run.error or workers.logs()
    assert run.attempts == 2
    assert snapshot_of(client) == (run.pk, D("1500.00"))
    assert ProfitabilityRun.objects.count() == 2, "one run for the request, besides the first"
    return run


@pytest.mark.worker
@pytest.mark.real_clock
def test_a_worker_killed_mid_run_leaves_the_old_snapshot_and_the_run_completes_once(
    workers, queue, ledger_with_a_snapshot
):
    client, first = ledger_with_a_snapshot
    killed = workers.start(queue, FAULT_PAUSE_SECONDS="60")
    run = run_paused(workers, queue)
    # Mid-run, the day's rows are deleted and written again inside the run's transaction only.
    assert snapshot_of(client) == (first.pk, D("1200.00"))

    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert snapshot_of(client) == (first.pk, D("1200.00")), "the old snapshot stays whole"
    run.refresh_from_db()
    assert (run.status, run.attempts) == (Status.RUNNING, 1)

    # The task was never acknowledged: the broker gives it to the next worker, which completes the run.
    workers.start(queue)
    completed_at_the_second_attempt(run, workers, client)
    assert ClientSnapshot.objects.filter(as_of=AS_OF).count() == 1


@pytest.mark.worker
@pytest.mark.real_clock
def test_a_worker_started_after_one_was_killed_mid_run_completes_that_run_at_once(
    workers, queue, ledger_with_a_snapshot
):
    """The broker would give the killed worker's task back only after its visibility timeout (an hour
    here, 6 h in production): the next worker to start sends the interrupted run again itself."""
    client, first = ledger_with_a_snapshot
    hour = {"FAULT_VISIBILITY_SECONDS": "3600"}
    killed = workers.start(queue, FAULT_PAUSE_SECONDS="60", **hour)
    run = run_paused(workers, queue)
    killed.send_signal(signal.SIGKILL)
    killed.wait()

    workers.start(queue, **hour)
    completed_at_the_second_attempt(run, workers, client)


@pytest.mark.worker
@pytest.mark.real_clock
def test_the_child_running_a_recompute_killed_gives_the_run_to_the_next_child_at_once(
    workers, queue, ledger_with_a_snapshot
):
    """`make serve`'s worker runs its tasks in a child process. Killed mid-run, the child is replaced and
    the task goes back to the queue at once (not after the broker's visibility timeout, nor dropped as
    failed): the next child completes the same run."""
    client, first = ledger_with_a_snapshot
    worker = workers.start(queue, pool="prefork", FAULT_PAUSE_SECONDS="60")
    run = run_paused(workers, queue)
    (child,) = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
    os.kill(int(child), signal.SIGKILL)
    assert snapshot_of(client) == (first.pk, D("1200.00")), "the old snapshot stays whole"

    completed_at_the_second_attempt(run, workers, client)
    assert worker.poll() is None, "the worker itself kept running"


@pytest.mark.worker
@pytest.mark.real_clock
def test_the_runs_database_connection_killed_fails_the_attempt_and_the_retry_succeeds(
    workers, queue, ledger_with_a_snapshot
):
    client, first = ledger_with_a_snapshot
    workers.start(queue, FAULT_PAUSE_SECONDS="60")
    run = run_paused(workers, queue)
    backend = workers.wait_for_pause()  # paused already: the run's backend pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        assert cursor.fetchone()[0]

    run = wait_for(run, {Status.FAILED}, logs=workers.logs())
    assert "terminat" in run.error or "closed" in run.error, run.error
    assert snapshot_of(client) == (first.pk, D("1200.00"))
    run = wait_for(run, {Status.SUCCEEDED}, logs=workers.logs())
    assert (run.attempts, run.error) == (2, "")
    assert snapshot_of(client) == (run.pk, D("1500.00"))


@pytest.mark.worker
@pytest.mark.real_clock
def test_two_beats_give_one_run_a_night_and_record_the_other_as_skipped(workers, queue):
    ClientFactory(acquired_on=dt.date(2024, 1, 1))
    first_beat, second_beat = f"{queue}-a", f"{queue}-b"
    workers.start(first_beat, FAULT_PAUSE_SECONDS="6")
    workers.start(second_beat)
    profitability_recompute_task.apply_async(queue=first_beat)
    workers.wait_for_pause()
    computing = ProfitabilityRun.objects.get()
    assert (computing.trigger, computing.status) == (ProfitabilityRun.Trigger.SCHEDULE, Status.RUNNING)

    # The second beat's task while the first runs: skipped at once, not deferred to compute again.
    profitability_recompute_task.apply_async(queue=second_beat)
    deadline = time.monotonic() + 30
    while ProfitabilityRun.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    second = wait_for(ProfitabilityRun.objects.exclude(pk=computing.pk).get(), {Status.SKIPPED})
    assert second.error == "Another scheduled run computes this night."
    computing = wait_for(computing, {Status.SUCCEEDED}, logs=workers.logs())

    # A beat that fires after the night's run finished is skipped too.
    profitability_recompute_task.apply_async(queue=second_beat)
    deadline = time.monotonic() + 30
    while ProfitabilityRun.objects.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    late = wait_for(ProfitabilityRun.objects.order_by("-pk").first(), {Status.SKIPPED})
    assert late.as_of == computing.as_of and late.started_at is None
    assert ProfitabilityRun.objects.filter(status=Status.SUCCEEDED).count() == 1
    assert set(ClientSnapshot.objects.values_list("run_id", flat=True)) == {computing.pk}


@pytest.mark.worker
@pytest.mark.real_clock
def test_an_import_whose_worker_dies_imports_nothing_fails_with_the_reason_and_can_be_redone(
    workers, queue, settings, monkeypatch, as_finance
):
    ClientFactory(external_ref="ACME")
    settings.IMPORT_BACKGROUND_ROWS = 5
    for name in ("import_job_preview_task", "import_job_import_task"):
        task = getattr(client_tasks, name)  # the registered task, which send_on_commit looks up by name
        monkeypatch.setattr(task, "delay", lambda *args, task=task: task.apply_async(args=args, queue=queue))
    rows = [[f"INV-{n}", "ACME", "2025-01-10", "2025-02-09", "100.00", "", ""] for n in range(30)]
    content = csv_bytes(INVOICE_HEADER, rows)
    killed = workers.start(
        queue, FAULT_PAUSE_SECONDS="60", IMPORT_BACKGROUND_ROWS="5", IMPORT_HEARTBEAT_SECONDS="0.5"
    )

    upload(as_finance, "invoices", "invoices.csv", content)
    job = wait_for(ImportJob.objects.get(), {ImportJob.Status.PREVIEWED}, logs=workers.logs())
    as_finance.post(f"/imports/{job.pk}/confirm/")
    workers.wait_for_pause()  # the rows are written, uncommitted
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORT_RUNNING and job.heartbeat_at is not None
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    killed_at = time.monotonic()

    # No worker now, and the task is not given back yet: the job's poller sees its heartbeat stop
    # and fails it within IMPORT_STALE_SECONDS, without waiting for the broker.
    settings.IMPORT_STALE_SECONDS = 3
    while as_finance.get(f"/imports/{job.pk}/status/").json()["running"]:
        assert time.monotonic() - killed_at < 20, f"still running 20 s after the kill\n{workers.logs()}"
        time.sleep(0.2)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    reason = "The worker stopped during the import; nothing was imported. Upload the file again."
    assert [e["message"] for e in job.errors] == [reason]
    assert reason in as_finance.get(job.get_absolute_url()).content.decode()
    assert not Invoice.objects.exists()
    failed = ImportJob.objects.values("status", "errors", "finished_at").get(pk=job.pk)

    # The task comes back to the next worker, which finds the job failed and does nothing.
    redelivered = workers.start(queue, IMPORT_BACKGROUND_ROWS="5")
    log = workers.tmp_path / f"worker-{len(workers.processes) - 1}.log"
    deadline = time.monotonic() + 45
    while "import_job_import_task[" not in log.read_text() or "] succeeded" not in log.read_text():
        assert time.monotonic() < deadline and redelivered.poll() is None, workers.logs()
        time.sleep(0.2)
    assert ImportJob.objects.values("status", "errors", "finished_at").get(pk=job.pk) == failed
    assert not Invoice.objects.exists()

    upload(as_finance, "invoices", "invoices.csv", content)
    again = wait_for(ImportJob.objects.exclude(pk=job.pk).get(), {ImportJob.Status.PREVIEWED})
    as_finance.post(f"/imports/{again.pk}/confirm/")
    again = wait_for(again, {ImportJob.Status.IMPORTED, ImportJob.Status.FAILED}, logs=workers.logs())
    assert again.status == ImportJob.Status.IMPORTED and again.rows_new == 30
    assert Invoice.objects.count() == 30


# -- the broker unreachable: a normal test, the broker pointed at a port where nothing listens ----


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker():
    """Points the test's Celery app at a Redis of its own, not yet started; ``broker.up()`` starts it."""
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    saved = (app.conf.task_always_eager, app.conf.broker_url)

    def use(broker_url):
        # The app keeps its connection pools: drop them so the next send connects to the new URL.
        app.conf.broker_url = broker_url
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    server = []

    def up():
        assert shutil.which("redis-server"), "redis-server is needed for this test"
        # The server keeps the machine's clock, as the machine's own Redis does, even when this test
        # process runs with its clock moved (faketime works through LD_PRELOAD, which would reach it).
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            env=env,
        )
        server.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    app.conf.task_always_eager = False
    use(url)
    try:
        yield types.SimpleNamespace(up=up)
    finally:
        app.conf.task_always_eager = saved[0]
        use(saved[1])
        for process in server:
            process.kill()
            process.wait()


def test_recompute_now_says_the_queue_is_unreachable_and_works_when_it_is_back(as_finance, broker):
    began = time.monotonic()
    response = as_finance.post("/profitability/recompute/", follow=True)
    assert time.monotonic() - began < 5
    assert response.status_code == 200
    assert "The task queue cannot be reached: nothing was started." in response.content.decode()
    run = ProfitabilityRun.objects.get()
    assert run.status == Status.FAILED and run.finished_at is not None
    assert run.error == "The task queue could not be reached; the recompute did not start."

    broker.up()
    response = as_finance.post("/profitability/recompute/", follow=True)
    assert "Recompute requested" in response.content.decode()
    assert ProfitabilityRun.objects.filter(status=Status.QUEUED).count() == 1


def test_a_large_import_says_the_queue_is_unreachable_and_leaves_no_job_pending(as_finance, broker, settings):
    ClientFactory(external_ref="ACME")
    settings.IMPORT_BACKGROUND_ROWS = 2
    rows = [[f"INV-{n}", "ACME", "2025-01-10", "2025-02-09", "100.00", "", ""] for n in range(3)]
    began = time.monotonic()
    response = upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, rows))
    assert time.monotonic() - began < 5
    assert response.status_code == 200
    assert "The task queue cannot be reached: nothing was imported." in response.content.decode()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and not job.is_running
    assert not Invoice.objects.exists()

    broker.up()
    response = upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, rows))
    assert response.status_code == 302
    assert ImportJob.objects.filter(status=ImportJob.Status.PREVIEW_PENDING).count() == 1


def test_confirming_a_large_import_with_the_queue_unreachable_leaves_it_ready_to_confirm_again(
    as_finance, finance, broker, settings
):
    ClientFactory(external_ref="ACME")
    settings.IMPORT_BACKGROUND_ROWS = 2
    rows = [[f"INV-{n}", "ACME", "2025-01-10", "2025-02-09", "100.00", "", ""] for n in range(3)]
    job = ImportJob.objects.create(
        created_by=finance,
        kind="invoices",
        filename="invoices.csv",
        content=csv_bytes(INVOICE_HEADER, rows),
        total_rows=3,
    )
    import_job_preview(job_id=job.pk)
    job.refresh_from_db()
    assert job.can_confirm
    response = as_finance.post(f"/imports/{job.pk}/confirm/", follow=True)
    assert "The task queue cannot be reached: nothing was imported." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED and job.can_confirm
    assert not Invoice.objects.exists()


def test_recompute_now_sends_again_a_run_whose_worker_died(as_finance, django_capture_on_commit_callbacks):
    """A run left 'running' by a dead worker (nobody holds the lock): asked again, it is sent again
    and completes, as the same run."""
    ClientFactory(acquired_on=dt.date(2024, 1, 1))
    left = runs.run_create(as_of=AS_OF)
    ProfitabilityRun.objects.filter(pk=left.pk).update(status=Status.RUNNING, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_finance.post("/profitability/recompute/", follow=True)
    assert "A recompute is already under way." in response.content.decode()
    left.refresh_from_db()
    assert (left.status, left.attempts) == (Status.SUCCEEDED, 2)
    assert ProfitabilityRun.objects.count() == 1


def test_a_run_whose_worker_died_at_every_attempt_is_given_up():
    """Delivered again after a fourth worker died mid-run (nobody holds the lock): marked failed, with
    the reason, instead of a fifth attempt."""
    ClientFactory(acquired_on=dt.date(2024, 1, 1))
    left = runs.run_create(as_of=AS_OF)
    ProfitabilityRun.objects.filter(pk=left.pk).update(status=Status.RUNNING, attempts=runs.ATTEMPTS_MAX)
    run = runs.profitability_recompute(run=left)
    assert (run.status, run.attempts) == (Status.FAILED, runs.ATTEMPTS_MAX)
    assert run.error == "Interrupted: the worker stopped during each of 4 attempts."
    assert not ClientSnapshot.objects.exists()

    ProfitabilityRun.objects.filter(pk=left.pk).update(status=Status.RUNNING, attempts=runs.ATTEMPTS_MAX - 1)
    assert runs.profitability_recompute(run=left).status == Status.SUCCEEDED


def test_starting_an_audit_with_the_queue_unreachable_keeps_that_audit_marked_failed(
    as_finance, finance, broker
):
    from audits.models import Audit

    earlier = Audit.objects.create(
        title="Earlier", period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31), owner=finance
    )
    began = time.monotonic()
    response = as_finance.post(
        "/audits/new/",
        {"title": "Q3 review", "period": "quarter", "year": "2026", "quarter": "3", "scope": "all"},
    )
    assert time.monotonic() - began < 5
    audit = Audit.objects.get(title="Q3 review")
    assert response.status_code == 302 and response.url == f"/audits/{audit.pk}/"
    assert audit.computation == Audit.Computation.FAILED
    assert audit.computation_error == "The task queue could not be reached; the computation did not start."
    earlier.refresh_from_db()
    assert earlier.computation == Audit.Computation.QUEUED  # untouched
    body = as_finance.get(response.url).content.decode()
    assert "The task queue cannot be reached" in body
