"""The Celery app of the fault tests' workers (`celery -A tests.fault_worker worker`).

It is the project's app with test knobs read from the environment. Production starts its workers
with `-A config`, which never imports this module, so none of this can be switched on there:

- FAULT_PAUSE_SECONDS: wait this long (querying the database every 0.2 s) inside the first attempt of a recompute (after the snapshot
  rows are written, before the commit) and inside a real import (after its rows are written, before
  the commit), so that a test can kill the worker or its database connection mid-way;
- FAULT_PAUSE_FILE: where the pause writes the worker's PostgreSQL backend pid when it begins, so
  the test knows the run is mid-way and which backend is the run's.

A task whose worker died comes back after a few seconds (a short visibility timeout, checked every
second; FAULT_VISIBILITY_SECONDS sets another), and a failed or deferred recompute retries after a
second or two. FAULT_QUEUE (set by tests.workers) is where the worker sends tasks of its own.
"""

import os
import time
from pathlib import Path

from celery.signals import task_prerun

from config.celery import app

app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "visibility_timeout": float(os.environ.get("FAULT_VISIBILITY_SECONDS") or 5),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

# What the worker sends itself (a run sent again as it starts) stays on the test's own queue.
if os.environ.get("FAULT_QUEUE"):
    app.conf.task_default_queue = os.environ["FAULT_QUEUE"]

_patched = []


def _pause():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    Path(os.environ["FAULT_PAUSE_FILE"]).write_text(str(pid))
    # The run keeps talking to its database meanwhile, as a real one does: a killed connection shows.
    deadline = time.monotonic() + float(os.environ["FAULT_PAUSE_SECONDS"])
    while time.monotonic() < deadline:
        time.sleep(0.2)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")


@task_prerun.connect
def _install(**kwargs):
    """Once, before the first task (the models are loaded by then)."""
    if _patched:
        return
    _patched.append(True)
    from audits import tasks
    from audits.profitability import runs
    from clients.imports.resources import base as resources

    tasks.profitability_recompute_task.default_retry_delay = 2
    tasks.profitability_recompute_task.busy_retry_delay = 1
    if not float(os.environ.get("FAULT_PAUSE_SECONDS") or 0):
        return

    recompute = runs._recompute

    def paused_recompute(run, **options):
        count = recompute(run, **options)
        if run.attempts == 1:
            _pause()
        return count

    runs._recompute = paused_recompute

    bulk_create = resources.LedgerResource.bulk_create

    def paused_bulk_create(self, using_transactions, dry_run, *args, **options):
        bulk_create(self, using_transactions, dry_run, *args, **options)
        if not dry_run:
            _pause()

    resources.LedgerResource.bulk_create = paused_bulk_create
