"""A running import's heartbeat, and the rule that fails a job whose worker stopped beating.

A background import runs in a Celery task acknowledged late: if its worker dies, the broker gives
the task back only after its visibility timeout (hours, so that a long recompute is not delivered
twice), and the next attempt fails the job then. Meanwhile the job would show "being imported".
So while a job runs, a thread of the worker writes the job's ``heartbeat_at`` every
``IMPORT_HEARTBEAT_SECONDS`` through a connection of its own (the import's transaction is not
committed until the end), and whoever looks at the job (its page, its poller, the list of imports)
fails a running job whose heartbeat is older than ``IMPORT_STALE_SECONDS``: the worker stopped.

A worker that is alive but was failed by that rule (a pause longer than the bound) cannot then
import the file behind the job's back: the import stores its outcome under the job's row lock,
inside its own transaction, only if the job is still running, and rolls back its rows otherwise
(``jobs._job_finish``); the rule skips a job whose row is locked (the import is finishing).

The heartbeat and the rule use the clocks of the worker and of the web server: the bound (60 s)
leaves room for clocks set apart by a few seconds. On SQLite (the embedded first look, where the
jobs run in the request and one writer at a time is allowed) there is no heartbeat and
``heartbeat_at`` stays empty, which the rule never fails.
"""

import datetime as dt
import logging
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import ImportJob

logger = logging.getLogger(__name__)

RUNNING = (ImportJob.Status.PREVIEW_RUNNING, ImportJob.Status.IMPORT_RUNNING)


def heartbeats():
    """Whether running jobs beat here (not on SQLite)."""
    return connections[DEFAULT_DB_ALIAS].vendor != "sqlite"


def heartbeat_first():
    """The ``heartbeat_at`` a job gets when it is claimed: now, or None where nothing beats."""
    return timezone.now() if heartbeats() else None


def worker_stopped_message():
    return _("The worker stopped during the import; nothing was imported. Upload the file again.")


def job_failed_fields(*, message):
    """The fields of a job that ends failed for a reason of its own (not a row's): the reason, and
    its copy of the file goes."""
    return {
        "status": ImportJob.Status.FAILED,
        "finished_at": timezone.now(),
        "error_count": 1,
        "errors": [{"line": None, "column": "", "message": message}],
        "content": b"",
    }


def stale_before():
    """A running job whose last heartbeat is older than this has no worker left."""
    return timezone.now() - dt.timedelta(seconds=settings.IMPORT_STALE_SECONDS)


def import_jobs_fail_stale(jobs):
    """Fail the jobs of the queryset ``jobs`` that are running with a heartbeat older than
    ``IMPORT_STALE_SECONDS``; returns how many. Nothing of theirs was imported (an import commits
    its rows and its outcome together). A job whose row is locked is finishing: left alone."""
    with transaction.atomic():
        stale = list(
            jobs.filter(status__in=RUNNING, heartbeat_at__lt=stale_before())
            .select_for_update(skip_locked=True, of=("self",))
            .only("pk", "language")
        )
        for job in stale:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                fields = job_failed_fields(message=worker_stopped_message())
            ImportJob.objects.filter(pk=job.pk).update(**fields)
            logger.warning(
                "Import job %s failed: no heartbeat since %s s", job.pk, settings.IMPORT_STALE_SECONDS
            )
    return len(stale)


class Heartbeat:
    """While a job runs (``with Heartbeat(job_id=...)``), a thread writes its ``heartbeat_at`` every
    ``IMPORT_HEARTBEAT_SECONDS`` through the thread's own connection, in autocommit, until the block
    ends or the job is no longer running (failed by the rule). Nothing on SQLite."""

    def __init__(self, *, job_id):
        self.job_id = job_id
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        if heartbeats():
            self._thread = threading.Thread(
                target=self._run, name=f"import-heartbeat-{self.job_id}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=settings.IMPORT_STALE_SECONDS)
            self._thread = None
        return False

    def _run(self):
        try:
            while not self._stop.wait(settings.IMPORT_HEARTBEAT_SECONDS):
                try:
                    beating = ImportJob.objects.filter(pk=self.job_id, status__in=RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:  # a database hiccup: the next beat connects again
                    logger.warning(
                        "Import job %s: heartbeat not written (%s)", self.job_id, type(exc).__name__
                    )
                    connection.close()
                    continue
                if not beating:
                    return
        finally:
            connection.close()  # this thread's connection
