"""A running import's heartbeat: a job whose worker stopped is shown failed within IMPORT_STALE_SECONDS,
nothing of it is kept, and a task delivered again for it does nothing."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from clients.imports import jobs
from clients.imports.heartbeat import Heartbeat, import_jobs_fail_stale
from clients.imports.jobs import import_job_confirm, import_job_import, import_job_preview
from clients.models import ImportJob, Invoice
from tests.clients.test_imports import INVOICE_HEADER, csv_bytes
from tests.factories import ClientFactory, UserFactory

Status = ImportJob.Status
REASON = "The worker stopped during the import; nothing was imported. Upload the file again."
ROWS = [[f"INV-{n}", "ACME", "2025-01-10", "2025-02-09", "100.00", "", ""] for n in range(3)]


def a_job(user, *, status=Status.IMPORT_RUNNING, heartbeat_at=None, **fields):
    return ImportJob.objects.create(
        created_by=user,
        kind="invoices",
        filename="invoices.csv",
        content=csv_bytes(INVOICE_HEADER, ROWS),
        total_rows=len(ROWS),
        status=status,
        heartbeat_at=heartbeat_at,
        **fields,
    )


def status_of(http, job):
    return http.get(f"/imports/{job.pk}/status/").json()


def test_a_running_job_whose_heartbeat_is_late_is_shown_failed_with_the_reason(
    as_finance, finance, settings, clock
):
    settings.IMPORT_STALE_SECONDS = 60
    ClientFactory(external_ref="ACME")
    job = a_job(finance, heartbeat_at=timezone.now())

    clock.shift(dt.timedelta(seconds=55))
    assert status_of(as_finance, job)["running"] is True
    job.refresh_from_db()
    assert job.status == Status.IMPORT_RUNNING and job.content

    clock.shift(dt.timedelta(seconds=10))  # 65 s without a heartbeat
    state = status_of(as_finance, job)
    assert (state["status"], state["label"], state["running"]) == ("failed", "Not imported", False)
    job.refresh_from_db()
    assert [e["message"] for e in job.errors] == [REASON]
    assert (job.error_count, bytes(job.content)) == (1, b"")
    assert job.finished_at is not None and abs(job.finished_at - timezone.now()) < dt.timedelta(seconds=5)
    page = as_finance.get(job.get_absolute_url()).content.decode()
    assert f'<p id="import-failure-reason">{REASON}</p>' in page
    assert "The file has errors." not in page
    assert not Invoice.objects.exists()


def test_the_rule_leaves_alone_jobs_that_beat_wait_or_are_done_and_other_users_jobs(
    as_finance, finance, settings, clock
):
    settings.IMPORT_STALE_SECONDS = 60
    now = timezone.now()
    long_ago = now - dt.timedelta(hours=3)
    beating = a_job(finance, heartbeat_at=now - dt.timedelta(seconds=30))
    checking = a_job(finance, status=Status.PREVIEW_RUNNING, heartbeat_at=long_ago)
    unbeaten = a_job(finance, heartbeat_at=None)  # SQLite, where nothing beats: never failed by the rule
    waiting = a_job(finance, status=Status.IMPORT_PENDING, heartbeat_at=long_ago)
    checked = a_job(finance, status=Status.PREVIEWED, heartbeat_at=long_ago)
    others = a_job(UserFactory(), heartbeat_at=long_ago)

    # The list of imports fails the user's own dead jobs, and only those.
    assert as_finance.get("/imports/").status_code == 200
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {
        beating.pk: Status.IMPORT_RUNNING,
        checking.pk: Status.FAILED,
        unbeaten.pk: Status.IMPORT_RUNNING,
        waiting.pk: Status.IMPORT_PENDING,
        checked.pk: Status.PREVIEWED,
        others.pk: Status.IMPORT_RUNNING,
    }
    clock.shift(dt.timedelta(seconds=31))
    assert import_jobs_fail_stale(ImportJob.objects.all()) == 2  # the beating one, late now; the other user's
    assert ImportJob.objects.get(pk=beating.pk).status == Status.FAILED


def test_the_reason_is_written_in_the_language_of_the_upload(finance, settings, clock):
    settings.IMPORT_STALE_SECONDS = 60
    job = a_job(finance, heartbeat_at=timezone.now() - dt.timedelta(seconds=61), language="fr")
    assert import_jobs_fail_stale(ImportJob.objects.filter(pk=job.pk)) == 1
    job.refresh_from_db()
    assert job.errors[0]["message"].startswith("Le processus de traitement s’est arrêté pendant l’import")


def test_a_task_delivered_again_for_a_job_failed_by_the_rule_does_nothing(as_finance, finance, settings):
    settings.IMPORT_STALE_SECONDS = 60
    ClientFactory(external_ref="ACME")
    job = a_job(finance, heartbeat_at=timezone.now() - dt.timedelta(seconds=120))
    assert status_of(as_finance, job)["status"] == "failed"
    failed = ImportJob.objects.values("status", "errors", "finished_at").get(pk=job.pk)

    import_job_import(job_id=job.pk)
    import_job_preview(job_id=job.pk)
    assert ImportJob.objects.values("status", "errors", "finished_at").get(pk=job.pk) == failed
    assert not Invoice.objects.exists()


def test_a_claimed_job_gets_its_first_heartbeat(finance, clock):
    ClientFactory(external_ref="ACME")
    job = a_job(finance, status=Status.PREVIEW_PENDING)
    import_job_preview(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Status.PREVIEWED
    assert abs(job.heartbeat_at - timezone.now()) < dt.timedelta(seconds=5)


@pytest.mark.django_db(transaction=True)
def test_an_import_failed_by_the_rule_while_it_ran_keeps_none_of_its_rows(
    finance, settings, clock, monkeypatch
):
    """A worker paused longer than the bound (not dead) is failed meanwhile by a page view: when it
    resumes, its rows are rolled back with its outcome, so the job's "nothing was imported" stays true."""
    settings.IMPORT_STALE_SECONDS = 60
    ClientFactory(external_ref="ACME")
    job = a_job(finance, status=Status.PREVIEW_PENDING)
    import_job_preview(job_id=job.pk)
    job.refresh_from_db()
    assert job.can_confirm

    import_rows = jobs.import_rows
    failed_meanwhile = []

    def paused_import_rows(**kwargs):
        outcome = import_rows(**kwargs)  # the rows are written, not committed
        assert Invoice.objects.count() == 3
        clock.shift(dt.timedelta(seconds=90))

        def page_view():  # another process's connection, as the job page's
            try:
                failed_meanwhile.append(import_jobs_fail_stale(ImportJob.objects.filter(pk=job.pk)))
            finally:
                connection.close()

        thread = threading.Thread(target=page_view)
        thread.start()
        thread.join()
        return outcome

    monkeypatch.setattr(jobs, "import_rows", paused_import_rows)
    assert import_job_confirm(job=job) is True
    assert failed_meanwhile == [1]
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert [e["message"] for e in job.errors] == [REASON]
    assert not Invoice.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_on_its_own_connection_until_the_job_stops_running(finance, settings):
    settings.IMPORT_HEARTBEAT_SECONDS = 0.05
    first = timezone.now() - dt.timedelta(seconds=30)
    job = a_job(finance, heartbeat_at=first)
    with Heartbeat(job_id=job.pk) as heartbeat:
        deadline = time.monotonic() + 10
        while ImportJob.objects.get(pk=job.pk).heartbeat_at == first and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ImportJob.objects.get(pk=job.pk).heartbeat_at > first

        ImportJob.objects.filter(pk=job.pk).update(status=Status.FAILED)
        thread = heartbeat._thread
        thread.join(timeout=10)
        assert not thread.is_alive(), "a job no longer running stops its heartbeat"
