"""Celery tasks: thin, they take ids, call a service and own the retries."""

from celery import shared_task
from django.utils.translation import gettext as _

from audits import services
from audits.models import ProfitabilityRun
from config import logs


@shared_task(bind=True, max_retries=3, default_retry_delay=120, acks_late=False)
def profitability_recompute_task(self, run_id=None):
    """Recompute the snapshots. Without a run id (the nightly schedule), a run is created for today.

    While another run holds the lock the task is deferred (retried later); a failed run is retried
    a limited number of times, each attempt recorded on the run."""
    if run_id is None:
        run_id = services.run_create(trigger=ProfitabilityRun.Trigger.SCHEDULE).pk
    # Every line logged from here to the task's end names the run (reset by the task_postrun signal).
    logs.context_bind(run_id=run_id)
    run = ProfitabilityRun.objects.get(pk=run_id)
    try:
        services.profitability_recompute(run=run)
    except services.RecomputeBusy as exc:
        if self.request.retries >= self.max_retries:
            services.run_mark_skipped(run_id=run_id, reason=_("Another recompute was in progress."))
            return None
        raise self.retry(exc=exc, countdown=60, kwargs={"run_id": run_id}) from exc
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            raise
        raise self.retry(exc=exc, kwargs={"run_id": run_id}) from exc
    return run_id
