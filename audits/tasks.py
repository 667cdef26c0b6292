"""Celery tasks: thin, they take ids, call a service and own the retries."""

from celery import shared_task
from celery.signals import worker_ready
from django import db
from django.utils.translation import gettext as _

from audits.models import ProfitabilityRun
from audits.profitability import runs
from audits.review import computation as review_computation
from audits.transitions import services as transition_services
from config import logs


# acks_late: a worker killed mid-run leaves the task with the broker, which delivers it again after
# its visibility timeout; reject_on_worker_lost: a pool child killed mid-run (the worker itself still
# running, as under `make serve`) puts the task back in the queue at once, where Celery would
# otherwise count it done. The run's claim under the advisory lock makes a second delivery safe, and
# a run whose worker dies at every attempt is given up after runs.ATTEMPTS_MAX.
# busy_retry_delay: seconds before a run deferred by another one tries again.
@shared_task(
    name=runs.RECOMPUTE_TASK,
    bind=True,
    max_retries=3,
    default_retry_delay=120,
    acks_late=True,
    reject_on_worker_lost=True,
    busy_retry_delay=60,
)
def profitability_recompute_task(self, run_id=None):
    """Recompute the snapshots. Without a run id (the nightly schedule), tonight's run is used or created.

    While another run holds the lock the task is deferred (retried later), or skipped when that run
    is another scheduled one for the same night; a failed run is retried a limited number of times,
    each attempt recorded on the run."""
    run = runs.run_for_schedule() if run_id is None else ProfitabilityRun.objects.get(pk=run_id)
    run_id = run.pk
    # Every line logged from here to the task's end names the run (reset by the task_postrun signal).
    logs.context_bind(run_id=run_id)
    if run.status in (ProfitabilityRun.Status.SUCCEEDED, ProfitabilityRun.Status.SKIPPED):
        return run_id  # delivered again after it finished
    try:
        runs.profitability_recompute(run=run)
    except runs.RecomputeBusy as exc:
        active = (ProfitabilityRun.Status.RUNNING, ProfitabilityRun.Status.SUCCEEDED)
        if runs.run_skip_if_night_taken(run=run, statuses=active):
            return None
        if self.request.retries >= self.max_retries:
            runs.run_mark_skipped(run_id=run_id, reason=_("Another recompute was in progress."))
            return None
        raise self.retry(exc=exc, countdown=self.busy_retry_delay, kwargs={"run_id": run_id}) from exc
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            raise
        raise self.retry(exc=exc, kwargs={"run_id": run_id}) from exc
    return run_id


@shared_task(name="audits.tasks.letter_send_task")
def letter_send_task(letter_id):
    """Send a queued letter by e-mail. Safe to run twice: the letter is claimed before it is sent, and
    a failure is recorded on the letter (retried by hand, never here, so it is sent at most once)."""
    return transition_services.letter_deliver(letter_id=letter_id)


@shared_task(name="audits.tasks.audit_compute_task", bind=True, max_retries=2, default_retry_delay=60)
def audit_compute_task(self, audit_id):
    """Compute an audit's figures; a second delivery finds the computation claimed and does nothing."""
    logs.context_bind(audit_id=audit_id)
    try:
        review_computation.audit_compute(audit_id=audit_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            raise
        raise self.retry(exc=exc, kwargs={"audit_id": audit_id}) from exc
    return audit_id


@worker_ready.connect
def _resume_interrupted_runs(**kwargs):
    """A worker starting (after one was killed, say) sends again a run its dead predecessor left."""
    try:
        runs.runs_resume_interrupted()
    finally:
        db.connections.close_all()  # the worker's main process runs no task: it keeps no connection
