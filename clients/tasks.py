"""Celery tasks of the ledger: thin, they take ids and call a service."""

from celery import shared_task

from clients.imports import jobs

# acks_late: a worker that dies mid-way leaves the task with the broker, which delivers it again; the
# job's lock then tells a dead worker's job (marked failed) from a live one (left alone).


@shared_task(name=jobs.PREVIEW_TASK, acks_late=True)
def import_job_preview_task(job_id):
    """Check a large uploaded file in the background (the service claims the job, so a rerun is harmless)."""
    jobs.import_job_preview(job_id=job_id)


@shared_task(name=jobs.IMPORT_TASK, acks_late=True)
def import_job_import_task(job_id):
    """Import a large confirmed file in the background (claimed the same way)."""
    jobs.import_job_import(job_id=job_id)
