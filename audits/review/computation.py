"""Starting an audit and computing its figures: the audit's own copy of the engine's figures for its
period and scope, computed in the background (``audits.tasks.audit_compute_task``) and refreshed
on request until the audit is completed."""

from __future__ import annotations

import logging
import traceback

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.log import log_action
from audits.models import Audit, AuditClient, AuditPortfolio
from audits.review import decisions, figures, selectors
from audits.review.services import AuditError, decisions_withdraw_stale, lock_audit
from clients.models import Client
from config.celery import QueueUnavailable, send_on_commit

COMPUTE_TASK = "audits.tasks.audit_compute_task"

logger = logging.getLogger(__name__)


def audit_start(
    *, user, title, period_start, period_end, scope, scope_manager=None, scope_segment=""
) -> Audit:
    """A new audit at step 1; its figures are computed in the background. With the task queue out
    of reach the audit is kept all the same, its computation marked failed (``audit_mark_unsent``)
    until it is refreshed."""
    if period_end < period_start:
        raise AuditError(_("The period ends before it starts."))
    audit = Audit(
        title=title,
        period_start=period_start,
        period_end=period_end,
        scope=scope,
        scope_manager=scope_manager if scope == Audit.Scope.MANAGER else None,
        scope_segment=scope_segment if scope == Audit.Scope.SEGMENT else "",
        owner=user,
    )
    try:
        with transaction.atomic():
            audit.full_clean()
            audit.save()
            log_action(
                audit,
                "audit.started",
                user=user,
                data={"period": [period_start, period_end], "scope": audit.scope_label()},
            )
            _send(audit)
    except QueueUnavailable:
        audit.refresh_from_db()
    return audit


def _send(audit: Audit) -> None:
    send_on_commit(COMPUTE_TASK, audit.pk, on_unreachable=lambda: audit_mark_unsent(audit_id=audit.pk))


def audit_mark_unsent(*, audit_id: int) -> None:
    Audit.objects.filter(pk=audit_id, computation=Audit.Computation.QUEUED).update(
        computation=Audit.Computation.FAILED,
        computation_error=_("The task queue could not be reached; the computation did not start."),
    )


def audit_refresh(*, audit: Audit, user, version) -> Audit:
    """Compute the audit's figures again from the ledger as it is now (until completion); reviews,
    decisions and acknowledgements are kept."""
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        if locked.is_computing:
            raise AuditError(_("The figures are being computed already."))
        Audit.objects.filter(pk=locked.pk).update(
            computation=Audit.Computation.QUEUED, progress=0, computation_error=""
        )
        log_action(locked, "audit.refreshed", user=user)
        _send(locked)
    locked.refresh_from_db()
    return locked


def audit_compute(*, audit_id: int) -> bool:
    """Compute and store the audit's figures (the Celery task's work). Claims the computation with a
    conditional UPDATE, so a second delivery of the task does nothing; False when there was nothing
    to do. The write refuses an audit completed meanwhile: a completed audit never changes."""
    claimed = Audit.objects.filter(
        pk=audit_id,
        status=Audit.Status.IN_PROGRESS,
        computation__in=[Audit.Computation.QUEUED, Audit.Computation.FAILED],
    ).update(computation=Audit.Computation.RUNNING, progress=10, computation_error="")
    if not claimed:
        return False
    audit = Audit.objects.get(pk=audit_id)
    try:
        today = timezone.localdate()
        as_of = min(audit.period_end, today)
        scope = None if audit.scope == Audit.Scope.ALL else selectors.scope_clients(audit)
        computed = figures.compute(as_of=as_of, start=audit.period_start, end=audit.period_end, scope=scope)
        Audit.objects.filter(pk=audit_id).update(progress=60)
        strategic = set(
            (scope if scope is not None else Client.objects.all())
            .filter(is_strategic=True)
            .values_list("pk", flat=True)
        )
        with transaction.atomic():
            locked = Audit.objects.select_for_update().get(pk=audit_id)
            if locked.is_completed:
                return False
            AuditClient.objects.filter(audit_id=audit_id).delete()
            rows = []
            for row in computed.clients:
                if row["status"] == Client.Status.PROSPECT:
                    continue
                # A former client counts in the figures, but there is nothing left to decide on it:
                # its flags are not the audit's to review.
                flagged = (
                    row["in_portfolio"]
                    and row["status"] != Client.Status.FORMER
                    and (row["is_unprofitable"] or row["is_marginal"] or row["is_declining"])
                )
                rows.append(
                    {
                        **row,
                        "audit_id": audit_id,
                        "is_strategic": row["client_id"] in strategic,
                        "is_flagged": flagged,
                    }
                )
            figures.rows_insert(AuditClient, rows)
            AuditPortfolio.objects.update_or_create(
                audit_id=audit_id,
                defaults={
                    "figures": computed.portfolio,
                    "limits": computed.limits,
                    "period_months": int(selectors.period_month_count(audit)),
                    "checks": selectors.checks_run(locked),
                    "sums": decisions.portfolio_sums(
                        AuditClient.objects.filter(audit_id=audit_id, in_portfolio=True)
                    ),
                },
            )
            # A client that lost its flag (or left the top tier) loses the decision taken on it.
            decisions_withdraw_stale(locked)
            Audit.objects.filter(pk=audit_id).update(
                computation=Audit.Computation.DONE,
                progress=100,
                computed_at=timezone.now(),
                as_of=as_of,
                **selectors.audit_counts(locked),
            )
            decisions.what_if_keep(locked)
    except Exception:
        Audit.objects.filter(pk=audit_id).update(
            computation=Audit.Computation.FAILED, computation_error=traceback.format_exc(limit=3)[-2000:]
        )
        raise
    return True


# Steps ---------------------------------------------------------------------------------------
