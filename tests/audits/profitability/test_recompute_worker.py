"""The recompute through a real Celery worker over Redis, pointed at the test database."""

import datetime as dt
import time
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest

from audits.models import ClientSnapshot, ProfitabilityRun
from audits.profitability import runs
from audits.tasks import profitability_recompute_task
from config.celery import app
from tests.factories import ClientFactory, InvoiceFactory
from tests.workers import Workers

# The worker is another process, on the machine's clock: these tests give every date explicitly.
pytestmark = [pytest.mark.worker, pytest.mark.real_clock, pytest.mark.django_db(transaction=True)]
BASE = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker(tmp_path):
    """A worker on a queue of its own, so no other worker on the same Redis takes the task."""
    queue = f"test-recompute-{uuid.uuid4().hex[:8]}"
    workers = Workers(tmp_path)
    workers.start(queue)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        app.conf.task_always_eager = eager
        workers.stop()


def _wait_for(run, statuses, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.25)
    raise AssertionError(f"run {run.pk} still {run.status} after {timeout} s")


def test_a_worker_runs_the_recompute_and_the_snapshot_appears(worker, tmp_path):
    client = ClientFactory(acquired_on=dt.date(2024, 1, 1))
    InvoiceFactory(client=client, issued_on=dt.date(2025, 6, 1), amount=D("1200"), cost_of_sales=D("200"))
    run = runs.run_create(as_of=dt.date(2025, 12, 31))
    profitability_recompute_task.apply_async(kwargs={"run_id": run.pk}, queue=worker)
    run = _wait_for(run, {ProfitabilityRun.Status.SUCCEEDED, ProfitabilityRun.Status.FAILED})
    assert run.status == ProfitabilityRun.Status.SUCCEEDED, (
        run.error or (tmp_path / "worker-0.log").read_text()
    )
    assert run.client_count == 1
    snapshot = ClientSnapshot.objects.get(client=client)
    # GM 1,000, less the open invoice's late cost: 1,200 x 183 days past due x 8 % / 365 = 48.13
    assert (snapshot.run_id, snapshot.revenue, snapshot.net_profit) == (run.pk, D("1200.00"), D("951.87"))
