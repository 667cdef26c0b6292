"""Import jobs: an uploaded file's preview, its confirmation and its import, with progress.

A small file is previewed and imported in the request; a large one (over
``settings.IMPORT_BACKGROUND_ROWS`` rows) in Celery tasks, enqueued by their pinned names through
``config.celery.send_on_commit`` (``clients/tasks.py`` registers them and calls back here: this
module never imports it). A job is claimed with a conditional UPDATE and run under an advisory
lock, so a task delivered twice does nothing the second time and a dead worker's job is failed.
A running job beats (``clients/imports/heartbeat.py``): its page, its poller and the list of imports
fail it within ``IMPORT_STALE_SECONDS`` once its worker has stopped, without waiting for the task to
come back from the broker.
"""

import logging
from pathlib import PurePath

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.imports.cells import cell_text
from clients.imports.files import MAX_FILE_BYTES, ImportFileError, import_file_read, import_rows_estimate
from clients.imports.heartbeat import (
    Heartbeat,
    heartbeat_first,
    import_jobs_fail_stale,
    job_failed_fields,
    worker_stopped_message,
)
from clients.imports.rows import ImportOutcome, import_rows
from clients.locks import advisory_lock
from clients.models import ImportJob
from config.celery import send_on_commit

logger = logging.getLogger(__name__)

# The background tasks' names, pinned (clients/tasks.py registers them under these names).
PREVIEW_TASK = "clients.tasks.import_job_preview_task"
IMPORT_TASK = "clients.tasks.import_job_import_task"

MAX_ERRORS_KEPT = 500
PREVIEW_ROWS = 10
PROGRESS_EVERY = 1000  # rows between two progress updates


def import_runs_in_background(*, total_rows):
    return total_rows > settings.IMPORT_BACKGROUND_ROWS


def _job_unsent(*, job_id):
    """The broker did not take the job's task: the job ends here, saying why, and its copy of the file goes."""
    _job_fail(
        job_id=job_id,
        message=_("The task queue could not be reached; nothing was imported. Upload the file again."),
    )


def _job_fail(*, job_id, message):
    ImportJob.objects.filter(pk=job_id).update(**job_failed_fields(message=message))


def import_job_create(*, user, kind, filename, content, language=""):
    """Store an uploaded file and start its preview; ImportFileError if the file cannot be read."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(
            _("The file is larger than %(size)d MB. Split it and import the parts.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    fields = {
        "created_by": user,
        "kind": kind,
        "filename": PurePath(filename).name[:255],
        "content": content,
        "language": language or "",
    }
    estimate = import_rows_estimate(filename=filename, content=content)
    if import_runs_in_background(total_rows=estimate):
        # Even reading is left to the task; its file errors show on the job's page.
        job = ImportJob.objects.create(**fields, total_rows=estimate)

        send_on_commit(PREVIEW_TASK, str(job.pk), on_unreachable=lambda: _job_unsent(job_id=job.pk))
        return job
    data = import_file_read(kind=kind, filename=filename, content=content)
    job = ImportJob.objects.create(**fields, total_rows=len(data), preview=_preview(data))
    import_job_preview(job_id=job.pk, data=data)
    job.refresh_from_db()
    return job


# Class key of the PostgreSQL advisory locks held while a job runs (the second key is the job's).
JOB_LOCK_CLASS = 0x696D70


def _job_lock(job_id):
    """While a job runs, its worker's session holds this lock (freed if the worker dies); False when
    another worker holds it."""
    return advisory_lock(JOB_LOCK_CLASS, str(job_id))


def _job_fail_if_interrupted(*, job_id):
    """Under the job's lock, a running job has no worker left (its task came again): it failed."""
    running = [ImportJob.Status.PREVIEW_RUNNING, ImportJob.Status.IMPORT_RUNNING]
    if ImportJob.objects.filter(pk=job_id, status__in=running).exists():
        job = ImportJob.objects.only("language").get(pk=job_id)
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _job_fail(job_id=job_id, message=worker_stopped_message())


def import_job_preview(*, job_id, data=None):
    """The dry run: every row checked, counts and errors stored, nothing written."""
    with _job_lock(job_id) as locked:
        if not locked:
            return
        _job_fail_if_interrupted(job_id=job_id)
        claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PREVIEW_PENDING).update(
            status=ImportJob.Status.PREVIEW_RUNNING, processed_rows=0, heartbeat_at=heartbeat_first()
        )
        if claimed:
            _job_run(job_id=job_id, dry_run=True, data=data)


def import_job_confirm(*, job):
    """Start the real import of a previewed job without errors; False if it cannot start."""
    claimed = ImportJob.objects.filter(
        pk=job.pk, created_by=job.created_by_id, status=ImportJob.Status.PREVIEWED, error_count=0
    ).update(status=ImportJob.Status.IMPORT_PENDING, processed_rows=0)
    if not claimed:
        return False
    if import_runs_in_background(total_rows=job.total_rows):
        # Unsent, the job goes back to checked: it can be confirmed again once the queue answers.
        send_on_commit(
            IMPORT_TASK,
            str(job.pk),
            on_unreachable=lambda: ImportJob.objects.filter(
                pk=job.pk, status=ImportJob.Status.IMPORT_PENDING
            ).update(status=ImportJob.Status.PREVIEWED),
        )
    else:
        import_job_import(job_id=job.pk)
    return True


def import_job_import(*, job_id):
    """The real import: checked again inside the write transaction, then all rows or none."""
    with _job_lock(job_id) as locked:
        if not locked:
            return
        _job_fail_if_interrupted(job_id=job_id)
        claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.IMPORT_PENDING).update(
            status=ImportJob.Status.IMPORT_RUNNING, heartbeat_at=heartbeat_first()
        )
        if claimed:
            _job_run(job_id=job_id, dry_run=False)


def _job_run(*, job_id, dry_run, data=None):
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    background = import_runs_in_background(total_rows=job.total_rows)
    progress = _ProgressWriter(job_id=job.pk) if background else None
    with translation.override(job.language or settings.LANGUAGE_CODE), Heartbeat(job_id=job.pk):
        try:
            if data is None:
                try:
                    data = _job_read(job)
                except Exception as exc:
                    _job_finish(job=job, dry_run=dry_run, outcome=_failure(job, exc))
                    return
            # The rows (a savepoint inside) and the outcome commit together, or neither does.
            with transaction.atomic():
                try:
                    outcome = import_rows(
                        kind=job.kind, data=data, user=job.created_by, dry_run=dry_run, progress=progress
                    )
                except Exception as exc:
                    outcome = _failure(job, exc)
                if not _job_finish(job=job, dry_run=dry_run, outcome=outcome):
                    transaction.set_rollback(True)
        finally:
            if progress is not None:
                progress.close()


def _job_read(job):
    data = import_file_read(kind=job.kind, filename=job.filename, content=bytes(job.content))
    if len(data) != job.total_rows or not job.preview:  # the upload only estimated them
        job.total_rows = len(data)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows, preview=_preview(data))
    return data


def _failure(job, exc):
    """The outcome of a job stopped by ``exc``: the file's error, or an unexpected one (logged)."""
    if isinstance(exc, ImportFileError):
        message = exc.message
    else:
        logger.error("Import job %s failed", job.pk, exc_info=exc)
        message = _("The import stopped on an unexpected error.")
    return ImportOutcome(errors=[{"line": None, "column": "", "message": message}])


def _job_finish(*, job, dry_run, outcome):
    """Store the outcome, under the job's row lock, if the job is still running; False if it is not
    (failed meanwhile because its heartbeat was late: its rows must not be kept)."""
    running = ImportJob.Status.PREVIEW_RUNNING if dry_run else ImportJob.Status.IMPORT_RUNNING
    with transaction.atomic():
        if not ImportJob.objects.select_for_update().filter(pk=job.pk, status=running).values_list("pk"):
            logger.warning("Import job %s was failed while it ran: its outcome is not kept", job.pk)
            return False
        if dry_run:
            status = ImportJob.Status.PREVIEWED
        else:
            status = ImportJob.Status.IMPORTED if outcome.ok else ImportJob.Status.FAILED
        fields = {
            "status": status,
            "processed_rows": job.total_rows,
            "rows_new": outcome.new,
            "rows_updated": outcome.updated,
            "rows_unchanged": outcome.unchanged,
            "error_count": len(outcome.errors),
            "errors": outcome.errors[:MAX_ERRORS_KEPT],
            "changes": outcome.changes,
        }
        if not dry_run:
            fields["finished_at"] = timezone.now()
        if status == ImportJob.Status.IMPORTED:
            fields["content"] = b""  # written to the ledger: the copy is no longer needed
        ImportJob.objects.filter(pk=job.pk).update(**fields)
    return True


def _preview(data):
    return {
        "headers": list(data.dataset.headers),
        "rows": [
            [line, [cell_text(value) for value in data.dataset[index]]]
            for index, line in enumerate(data.lines[:PREVIEW_ROWS])
        ],
    }


class _ProgressWriter:
    """Writes a job's progress from inside its import transaction, so through a connection of its own.

    The import runs in one transaction, whose writes nobody sees until it commits; the page that
    polls must see the progress now. So the progress goes through a second, autocommit connection
    to the same database, registered for this thread under an alias of its own so that the ORM
    can speak through it (``using(alias)``); it is unregistered and closed at the end. SQLite allows
    one writer at a time, so there (the embedded first look, Celery eager) progress is only written
    at the end.
    """

    def __init__(self, *, job_id):
        self.job_id = job_id
        self.alias = None
        main = connections[DEFAULT_DB_ALIAS]
        if main.vendor != "sqlite":
            self.alias = f"import-progress-{job_id}"
            connections[self.alias] = type(main)(main.settings_dict.copy(), alias=self.alias)

    def __call__(self, done):
        if self.alias is None or done % PROGRESS_EVERY:
            return
        ImportJob.objects.using(self.alias).filter(pk=self.job_id).update(processed_rows=done)

    def close(self):
        if self.alias is not None:
            connections[self.alias].close()
            del connections[self.alias]
            self.alias = None


def import_job_get_for_user(*, user, pk):
    """A job its uploader may see, or 404: nobody else's job exists for them. A running job whose
    worker stopped (its heartbeat late) is failed first."""
    import_jobs_fail_stale(ImportJob.objects.filter(pk=pk, created_by=user))
    return get_object_or_404(ImportJob.objects.defer("content"), pk=pk, created_by=user)


def import_jobs_recent(*, user, limit=10):
    import_jobs_fail_stale(ImportJob.objects.filter(created_by=user))
    return ImportJob.objects.filter(created_by=user).defer("content", "errors", "preview", "changes")[:limit]
