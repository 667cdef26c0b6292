"""Recompute runs: create, claim, run, retry bookkeeping, and the run status the pages read.

A run is a ``ProfitabilityRun`` row; ``profitability_recompute`` computes the snapshots of its day
in one transaction under the recompute's lock, then prunes (``retention``). The Celery task
(``audits.tasks``) only calls these; services enqueue it by its pinned name.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from dataclasses import dataclass
from operator import attrgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.log import log_action
from audits.models import ClientSnapshot, PortfolioMonth, PortfolioSnapshot, ProfitabilityRun
from audits.profitability import engine, phases, retention
from audits.profitability.figures import FIGURE_FIELDS
from audits.profitability.lock import ADVISORY_KEY, RecomputeBusy, busy, recompute_lock
from audits.profitability.results import VALUE_NAMES
from audits.profitability.sql.copy import bulk_insert, copy_lines, line_of
from audits.profitability.sql.months import TOTAL_COLUMNS
from audits.profitability.sql.session import computation
from clients.models import CostSettings
from clients.periods import TREND_MONTHS, rolling_period
from config.celery import send_on_commit

__all__ = ["ADVISORY_KEY", "RecomputeBusy"]

# The recompute task's name, pinned (the nightly schedule stored in the database names it).
RECOMPUTE_TASK = "audits.tasks.profitability_recompute_task"
# Above the longest run: a 'running' row older than this was left by a worker that died (SQLite).
STALE_AFTER = dt.timedelta(hours=6)
# A run whose worker dies during this many attempts is not tried again.
ATTEMPTS_MAX = 4

logger = logging.getLogger(__name__)


def _claim(run: ProfitabilityRun) -> bool:
    """Move the run to 'running' if no other run is; True when this call won."""
    now = timezone.now()
    others = ProfitabilityRun.objects.filter(status=ProfitabilityRun.Status.RUNNING).exclude(pk=run.pk)
    if connection.vendor == "postgresql":
        # We hold the advisory lock, so another 'running' row was left by a worker that died.
        others.update(
            status=ProfitabilityRun.Status.FAILED,
            finished_at=now,
            error=_("Interrupted: the worker stopped."),
        )
    else:
        others = others.filter(started_at__gte=now - STALE_AFTER)
    claimable = [ProfitabilityRun.Status.QUEUED, ProfitabilityRun.Status.FAILED]
    if connection.vendor == "postgresql":
        # This run itself 'running' under our lock: its worker died and the task came again.
        claimable.append(ProfitabilityRun.Status.RUNNING)
    claimed = (
        ProfitabilityRun.objects.filter(pk=run.pk, status__in=claimable)
        .exclude(Exists(others))
        .update(status=ProfitabilityRun.Status.RUNNING, started_at=now, attempts=F("attempts") + 1, error="")
    )
    return claimed == 1


def _given_up(run: ProfitabilityRun) -> bool:
    """Under the lock: a run left 'running' by workers that died during each of ``ATTEMPTS_MAX``
    attempts (delivered again every time, see ``audits.tasks``) is marked failed instead of tried
    once more; True then."""
    run.refresh_from_db()
    if run.status != ProfitabilityRun.Status.RUNNING or run.attempts < ATTEMPTS_MAX:
        return False
    if connection.vendor != "postgresql":
        return False  # no lock that dies with its worker: 'running' may be a live run elsewhere
    message = _("Interrupted: the worker stopped during each of %(count)s attempts.") % {
        "count": run.attempts
    }
    ProfitabilityRun.objects.filter(pk=run.pk).update(
        status=ProfitabilityRun.Status.FAILED, finished_at=timezone.now(), error=message
    )
    logger.error("Run %s given up: %s", run.pk, message)
    run.refresh_from_db()
    return True


def _worker_died() -> bool:
    """On PostgreSQL, a 'running' run while nobody holds the lock: its worker died (the lock went with
    its connection)."""
    if connection.vendor != "postgresql":
        return False
    with recompute_lock() as locked:
        return locked


def run_create(*, as_of=None, trigger=ProfitabilityRun.Trigger.COMMAND, user=None) -> ProfitabilityRun:
    as_of = as_of or timezone.localdate()
    start, end = rolling_period(as_of)
    return ProfitabilityRun.objects.create(
        as_of=as_of, period_start=start, period_end=end, trigger=trigger, requested_by=user
    )


def run_for_schedule() -> ProfitabilityRun:
    """Tonight's scheduled run: the one a dead worker left running (its task delivered again), else a new one."""
    with recompute_lock() as locked:
        left = None
        if locked and connection.vendor == "postgresql":
            left = (
                ProfitabilityRun.objects.filter(
                    trigger=ProfitabilityRun.Trigger.SCHEDULE,
                    as_of=timezone.localdate(),
                    status=ProfitabilityRun.Status.RUNNING,
                )
                .order_by("-pk")
                .first()
            )
    return left or run_create(trigger=ProfitabilityRun.Trigger.SCHEDULE)


def run_skip_if_night_taken(*, run: ProfitabilityRun, statuses=(ProfitabilityRun.Status.SUCCEEDED,)) -> bool:
    """Two beats by mistake: a scheduled run whose night another scheduled run has computed (or,
    given ``statuses``, is computing) is recorded as skipped; True when it was."""
    if run.trigger != ProfitabilityRun.Trigger.SCHEDULE:
        return False
    taken = (
        ProfitabilityRun.objects.filter(
            trigger=ProfitabilityRun.Trigger.SCHEDULE, as_of=run.as_of, status__in=statuses
        )
        .exclude(pk=run.pk)
        .exists()
    )
    if taken:
        run_mark_skipped(run_id=run.pk, reason=_("Another scheduled run computes this night."))
    return taken


def profitability_recompute(*, run: ProfitabilityRun | None = None, as_of=None, trigger=None, user=None):
    """Recompute every client's snapshot for the run's as-of date, in one transaction.

    The day's earlier rows are replaced; a failure rolls everything back (the previous snapshot
    stays whole), marks the run failed and re-raises. Raises RecomputeBusy when another run is
    in progress. After a successful run, the snapshots past their retention are pruned
    (``retention.snapshots_prune``).
    """
    if run is None:
        run = run_create(as_of=as_of, trigger=trigger or ProfitabilityRun.Trigger.COMMAND, user=user)
    with recompute_lock() as locked:
        if locked and run_skip_if_night_taken(run=run):
            run.refresh_from_db()
            return run
        if not locked:
            raise busy()
        if _given_up(run):
            return run
        if not _claim(run):
            raise busy()
        run.refresh_from_db()
        began = time.monotonic()
        phases.reset()
        try:
            with phases.phase("transaction, commit included"), computation() as split:
                count = _recompute(run, split=split)
        except Exception:
            ProfitabilityRun.objects.filter(pk=run.pk).update(
                status=ProfitabilityRun.Status.FAILED,
                finished_at=timezone.now(),
                duration=dt.timedelta(seconds=time.monotonic() - began),
                error=traceback.format_exc(limit=5)[-4000:],
            )
            raise
        ProfitabilityRun.objects.filter(pk=run.pk).update(
            status=ProfitabilityRun.Status.SUCCEEDED,
            finished_at=timezone.now(),
            duration=dt.timedelta(seconds=time.monotonic() - began),
            client_count=count,
        )
        # The prune runs once the run has committed, in its own transaction and still under the
        # lock: only a run that succeeded prunes, and it can never take the previous snapshot
        # with it (inside the run's transaction a failure would roll both back too, but the
        # run would then hold the deleted rows' locks for its whole length, and a failing prune
        # would fail a good run). A prune that fails costs nothing but disk until the next
        # night's, which removes the same rows and more.
        try:
            with phases.phase("prune"):
                retention._prune(daily_days=settings.SNAPSHOT_DAILY_DAYS)
            with phases.phase("vacuum"):
                retention._vacuum_snapshots()
        except Exception:
            logger.exception("Pruning the snapshots after run %s failed", run.pk)
    run.refresh_from_db()
    return run


def _recompute(run: ProfitabilityRun, *, split: bool = False) -> int:
    as_of = run.as_of
    cost_settings = CostSettings.load()
    with phases.phase("day's earlier rows deleted"):
        for model in (ClientSnapshot, PortfolioSnapshot, PortfolioMonth):
            model.objects.filter(as_of=as_of).delete()
    with phases.phase("previous NP read"):
        previous_np = previous_net_profit(as_of)
    result = engine.compute(
        as_of=as_of,
        start=run.period_start,
        end=run.period_end,
        cost_settings=cost_settings,
        previous_np=previous_np,
        months=True,
        trend_months=TREND_MONTHS,
        split=split,
    )
    with phases.phase("client snapshots written"):
        _write_clients(run, result)
    PortfolioSnapshot.objects.create(
        run=run, as_of=as_of, period_start=result.start, period_end=result.end, **result.portfolio
    )
    PortfolioMonth.objects.bulk_create(
        PortfolioMonth(
            run=run,
            as_of=as_of,
            account_manager_id=manager,
            month=month,
            **dict(zip(TOTAL_COLUMNS, values, strict=True)),
        )
        for manager, month, *values in result.months
    )
    return len(result.clients)


SNAPSHOT_FIGURES = (*FIGURE_FIELDS, "net_profit")


def previous_net_profit(as_of) -> dict:
    """Each client's NP in the latest snapshot before ``as_of`` (what the "declining" flag compares
    with: crossed from profitable to unprofitable since the previous snapshot)."""
    previous = ClientSnapshot.objects.filter(
        as_of=Subquery(ClientSnapshot.objects.filter(as_of__lt=as_of).order_by("-as_of").values("as_of")[:1])
    )
    return dict(previous.values_list("client_id", "net_profit"))


def _write_clients(run: ProfitabilityRun, result: engine.Result) -> None:
    """One COPY of the client snapshots. On PostgreSQL each row's text is its head and figures
    followed by the line of values the computation holds (``results.ClientResults.lines``), as it is;
    elsewhere (SQLite) the rows are tuples."""
    column_of = {f.attname: f.column for f in ClientSnapshot._meta.concrete_fields if not f.primary_key}
    head = ("run_id", "as_of", "client_id", "status", "in_portfolio")
    columns = [column_of[name] for name in (*head, *SNAPSHOT_FIGURES, *VALUE_NAMES)]
    figures = attrgetter(*SNAPSHOT_FIGURES)
    if connection.vendor != "postgresql":
        bulk_insert(
            ClientSnapshot,
            columns,
            (
                (run.pk, result.as_of, client_id, status, in_portfolio) + figures(item) + stored
                for client_id, status, in_portfolio, item, stored in result.clients.rows()
            ),
        )
        return
    copy_lines(
        ClientSnapshot,
        columns,
        (
            f"{line_of((run.pk, result.as_of, client_id, status, in_portfolio, *figures(item)))}\t{line}\n"
            for client_id, status, in_portfolio, item, line in result.clients.lines()
        ),
    )


def profitability_run_request(*, user, as_of=None) -> tuple[ProfitabilityRun, bool]:
    """Queue a recompute for a user; the task is sent once the request's transaction commits.

    While a run is queued or running, that run is returned instead of a second one. Raises
    config.celery.QueueUnavailable (the run recorded as failed) when the broker cannot be reached."""
    with transaction.atomic():
        active = (
            ProfitabilityRun.objects.select_for_update()
            .filter(status__in=ProfitabilityRun.ACTIVE, created_at__gte=timezone.now() - STALE_AFTER)
            .order_by("-created_at")
            .first()
        )
        if active is not None:
            if active.status == ProfitabilityRun.Status.RUNNING:
                # Its worker may have died mid-run, the broker not giving the task again yet.
                runs_resume_interrupted()
            return active, False
        run = run_create(as_of=as_of, trigger=ProfitabilityRun.Trigger.MANUAL, user=user)
        log_action(run, "profitability.recompute_requested", user=user, data={"as_of": run.as_of})
        send_on_commit(RECOMPUTE_TASK, run.pk, on_unreachable=lambda: run_mark_unsent(run_id=run.pk))
    return run, True


def runs_resume_interrupted() -> list[int]:
    """Send again the run left 'running' by a worker that died (nobody holds the lock), as a worker
    starts or when *Recompute now* finds it: the broker would give its task back only after the
    visibility timeout. Its claim under the lock keeps it one run, whoever gets it. The ids sent."""
    if not _worker_died():
        return []
    interrupted = list(
        ProfitabilityRun.objects.filter(
            status=ProfitabilityRun.Status.RUNNING, created_at__gte=timezone.now() - STALE_AFTER
        ).values_list("pk", flat=True)
    )
    for run_id in interrupted:
        logger.warning("Run %s was interrupted by a worker that stopped: sent again", run_id)
        send_on_commit(RECOMPUTE_TASK, run_id, on_unreachable=lambda: None)
    return interrupted


def run_mark_unsent(*, run_id: int) -> None:
    """The broker did not take the run's task: the run is over before it began, nothing waits."""
    ProfitabilityRun.objects.filter(pk=run_id, status=ProfitabilityRun.Status.QUEUED).update(
        status=ProfitabilityRun.Status.FAILED,
        finished_at=timezone.now(),
        error=_("The task queue could not be reached; the recompute did not start."),
    )


def run_mark_skipped(*, run_id: int, reason: str) -> None:
    ProfitabilityRun.objects.filter(
        pk=run_id, status__in=[ProfitabilityRun.Status.QUEUED, ProfitabilityRun.Status.FAILED]
    ).update(status=ProfitabilityRun.Status.SKIPPED, finished_at=timezone.now(), error=reason)


# Run status --------------------------------------------------------------------------------------


def run_latest(*, succeeded: bool = True) -> ProfitabilityRun | None:
    """The last finished run (or the last run of any status): 'figures computed on ...'."""
    runs = ProfitabilityRun.objects.all()
    if succeeded:
        runs = runs.filter(status=ProfitabilityRun.Status.SUCCEEDED).order_by("-finished_at", "-pk")
    return runs.first()


# The nightly run is late when its last success is older than this: a day, and two hours of slack
# for a slow night or a retry.
RUN_LATE_AFTER = dt.timedelta(hours=26)


@dataclass(frozen=True)
class RunHealth:
    """How the nightly recompute is doing, read by the dashboard warning and by /healthz."""

    last_success: ProfitabilityRun | None
    # The latest finished run, when it failed (a later success clears it).
    failure: ProfitabilityRun | None
    now: dt.datetime

    @property
    def age(self) -> dt.timedelta | None:
        """Time since the last successful run finished."""
        if self.last_success is None or self.last_success.finished_at is None:
            return None
        return self.now - self.last_success.finished_at

    @property
    def late(self) -> bool:
        age = self.age
        return age is None or age > RUN_LATE_AFTER


def run_health() -> RunHealth:
    """The last successful run and whether the latest finished run failed (two queries)."""
    finished = ProfitabilityRun.objects.filter(
        status__in=[ProfitabilityRun.Status.SUCCEEDED, ProfitabilityRun.Status.FAILED],
        finished_at__isnull=False,
    ).order_by("-finished_at", "-pk")
    latest = finished.first()
    failed = latest is not None and latest.status == ProfitabilityRun.Status.FAILED
    return RunHealth(
        last_success=run_latest() if failed or latest is None else latest,
        failure=latest if failed else None,
        now=timezone.now(),
    )


def run_context(*, user) -> dict:
    """When the figures were computed, whether the nightly run failed or is late, the run in progress
    if any, and whether the user may recompute (what the shared run-status and empty-state partials
    read)."""
    health = run_health()
    active = ProfitabilityRun.objects.filter(status__in=ProfitabilityRun.ACTIVE).order_by("-pk").first()
    return {
        "last_run": health.last_success,
        "run_health": health,
        "active_run": active,
        "can_recompute": user.has_perm("clients.change_costsettings"),
    }


def portfolio_latest() -> PortfolioSnapshot | None:
    """The portfolio snapshot of the latest successful run (what every page with figures reads)."""
    return PortfolioSnapshot.objects.select_related("run").order_by("-as_of").first()
