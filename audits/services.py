"""Writes of the profitability side: recompute the snapshots, request a recompute."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
import traceback
from dataclasses import dataclass
from operator import attrgetter, itemgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import engine, ledger, portfolio
from audits.log import log_action
from audits.models import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot, ProfitabilityRun
from clients.locks import advisory_lock
from clients.models import CostSettings
from config.celery import send_on_commit

TREND_MONTHS = 24
# The recompute task's name, pinned (the nightly schedule stored in the database names it).
RECOMPUTE_TASK = "audits.tasks.profitability_recompute_task"
# Above the longest run: a 'running' row older than this was left by a worker that died (SQLite).
STALE_AFTER = dt.timedelta(hours=6)
# Key of the PostgreSQL advisory lock that keeps two recomputes from overlapping.
ADVISORY_KEY = 0x70726F66

logger = logging.getLogger(__name__)


class RecomputeBusy(Exception):
    """Another recompute holds the lock."""


def _advisory_lock():
    """The recompute's lock: one run at a time (see clients.locks)."""
    return advisory_lock(ADVISORY_KEY)


@contextlib.contextmanager
def _garbage_collection_paused():
    """A recompute makes millions of small objects (decimals, rows, dicts) and no reference cycles:
    the cyclic collector would walk them again and again for nothing (about 12 % of the portfolio
    maths at 100,000 clients). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


def _worker_died() -> bool:
    """On PostgreSQL, a 'running' run while nobody holds the lock: its worker died (the lock went with
    its connection)."""
    if connection.vendor != "postgresql":
        return False
    with _advisory_lock() as locked:
        return locked


def run_create(*, as_of=None, trigger=ProfitabilityRun.Trigger.COMMAND, user=None) -> ProfitabilityRun:
    as_of = as_of or timezone.localdate()
    start, end = engine.rolling_period(as_of)
    return ProfitabilityRun.objects.create(
        as_of=as_of, period_start=start, period_end=end, trigger=trigger, requested_by=user
    )


def run_for_schedule() -> ProfitabilityRun:
    """Tonight's scheduled run: the one a dead worker left running (its task delivered again), else a new one."""
    with _advisory_lock() as locked:
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
    (``snapshots_prune``).
    """
    if run is None:
        run = run_create(as_of=as_of, trigger=trigger or ProfitabilityRun.Trigger.COMMAND, user=user)
    with _advisory_lock() as locked:
        if locked and run_skip_if_night_taken(run=run):
            run.refresh_from_db()
            return run
        if not locked or not _claim(run):
            raise RecomputeBusy(_("Another recompute is in progress."))
        run.refresh_from_db()
        began = time.monotonic()
        # The ledger pass may be shared with a second connection, which reads the snapshot of
        # this transaction: only when this is the outermost transaction (nothing uncommitted
        # that it would miss), and then at REPEATABLE READ so both read the same ledger.
        split = connection.vendor == "postgresql" and not connection.in_atomic_block
        try:
            with transaction.atomic():
                if split:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                ledger.tune()
                with _garbage_collection_paused():
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
            _prune(daily_days=settings.SNAPSHOT_DAILY_DAYS)
            _vacuum_snapshots()
        except Exception:
            logger.exception("Pruning the snapshots after run %s failed", run.pk)
    run.refresh_from_db()
    return run


def _recompute(run: ProfitabilityRun, *, split: bool = False) -> int:
    as_of = run.as_of
    cost_settings = CostSettings.load()
    for model in (ClientSnapshot, ClientMonthSnapshot, PortfolioSnapshot):
        model.objects.filter(as_of=as_of).delete()
    previous = ClientSnapshot.objects.filter(
        as_of=Subquery(ClientSnapshot.objects.filter(as_of__lt=as_of).order_by("-as_of").values("as_of")[:1])
    )
    previous_np = dict(previous.values_list("client_id", "net_profit"))
    result = engine.compute(
        as_of=as_of,
        start=run.period_start,
        end=run.period_end,
        cost_settings=cost_settings,
        previous_np=previous_np,
        run_id=run.pk,
        trend_months=TREND_MONTHS,
        split=split,
    )
    _write_clients(run, result)
    PortfolioSnapshot.objects.create(
        run=run, as_of=as_of, period_start=result.start, period_end=result.end, **result.portfolio
    )
    return len(result.clients)


@dataclass(frozen=True)
class Pruned:
    """What ``snapshots_prune`` removed, and what it kept."""

    latest: dt.date | None = None  # the day whose monthly rows are kept
    daily_from: dt.date | None = None  # daily snapshots kept from this day on; month-ends before
    days: tuple[dt.date, ...] = ()  # the days whose client and portfolio snapshots were removed
    client_snapshots: int = 0
    month_snapshots: int = 0
    portfolio_snapshots: int = 0


def snapshots_prune(*, daily_days: int | None = None) -> Pruned:
    """Remove the snapshots past their retention (DESIGN section 5), under the recompute's lock.

    Kept: the monthly trend rows of the latest day only; the client and portfolio snapshots of
    the last ``daily_days`` days (``SNAPSHOT_DAILY_DAYS``) up to the latest, the day before the
    latest whatever its age (the next run's "declining" flag compares with it), and the last
    day of every calendar month. Runs are never removed. Raises RecomputeBusy while a recompute
    holds the lock.
    """
    with _advisory_lock() as locked:
        if not locked:
            raise RecomputeBusy(_("Another recompute is in progress."))
        pruned = _prune(daily_days=settings.SNAPSHOT_DAILY_DAYS if daily_days is None else daily_days)
        _vacuum_snapshots()
        return pruned


def _prune(*, daily_days: int) -> Pruned:
    """Three set-based DELETEs, one per snapshot table, whatever the number of rows.

    The days come from PortfolioSnapshot, the index of the days: one row per successful run's
    day, written and removed in the same transaction as that day's client rows (a DISTINCT over
    the client snapshots would read millions of rows for a few dozen dates).

    On PostgreSQL a night's prune deletes one day of monthly rows (24 per client, 1.2 million at
    100,000 clients) and, past the first weeks, one day of client snapshots. Both DELETEs select
    by as-of date through an index leading with it (clientmonth_one_per_day,
    clientsnapshot_ranked), nothing references these rows (ClientMonthSnapshot has no
    database foreign keys to check, nothing points at a ClientSnapshot), and the ORM sends them
    as one statement each (no signals, no cascades to collect). The dead rows are reclaimed by the
    VACUUM that follows (``_vacuum_snapshots``) and their space is reused by the next night's rows,
    so the tables stay the size of about two nights. A partition per day (dropped instead of
    deleted) would be cheaper still but costs a partitioned table the ORM and SQLite do not know;
    deleting is a second or two against the run's tens.
    """
    with transaction.atomic():
        days = list(PortfolioSnapshot.objects.order_by("as_of").values_list("as_of", flat=True))
        if not days:
            return Pruned()
        latest = days[-1]
        daily_from = latest - dt.timedelta(days=daily_days - 1)
        keep = {day for day in days if day >= daily_from}
        keep.update(days[-2:])  # the latest and the one before it: what the next run compares with
        month_ends = {}
        for day in days:  # ascending: each month's entry ends as its last day
            month_ends[day.year, day.month] = day
        keep.update(month_ends.values())
        dropped = tuple(day for day in days if day not in keep)
        # ``as_of < latest``, not ``!= latest``: rows of a newer day are never removed here.
        month_snapshots = ClientMonthSnapshot.objects.filter(as_of__lt=latest).delete()[0]
        client_snapshots = portfolio_snapshots = 0
        if dropped:
            client_snapshots = ClientSnapshot.objects.filter(as_of__in=dropped).delete()[0]
            portfolio_snapshots = PortfolioSnapshot.objects.filter(as_of__in=dropped).delete()[0]
    return Pruned(
        latest=latest,
        daily_from=daily_from,
        days=dropped,
        client_snapshots=client_snapshots,
        month_snapshots=month_snapshots,
        portfolio_snapshots=portfolio_snapshots,
    )


def _vacuum_snapshots() -> None:
    """VACUUM (ANALYZE) the snapshot tables once the prune has committed (PostgreSQL).

    Without it the space of the deleted rows waits for autovacuum, and where autovacuum is off
    or behind every night adds a night's worth of dead rows (bench/retention.py --no-vacuum:
    the monthly table grows by its own size every night). Plain VACUUM takes no lock that
    readers or writers wait for, skips the pages that did not change, and SKIP_LOCKED passes a
    table another vacuum is working on. It cannot run inside a transaction: skipped there (the
    tests' transactions, a caller's atomic block).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE, SKIP_LOCKED) {tables}")


SNAPSHOT_FIGURES = (*portfolio.FIGURE_FIELDS, "net_profit")


def _write_clients(run: ProfitabilityRun, result: engine.Result) -> None:
    column_of = {f.attname: f.column for f in ClientSnapshot._meta.concrete_fields if not f.primary_key}
    head = ("run_id", "as_of", "client_id", "status", "in_portfolio")
    value_names = [name for name in column_of if name not in head and name not in SNAPSHOT_FIGURES]
    columns = [column_of[name] for name in (*head, *SNAPSHOT_FIGURES, *value_names)]
    figures, values = attrgetter(*SNAPSHOT_FIGURES), itemgetter(*value_names)
    rows = [
        (run.pk, result.as_of, item.client_id, item.status, item.in_portfolio)
        + figures(item.figures)
        + values(item.values)
        for item in result.clients.values()
    ]
    bulk_insert(ClientSnapshot, columns, rows)


def bulk_insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Insert many rows in one statement whatever their number.

    On PostgreSQL this is COPY (psycopg's copy protocol, not a query the ORM can build): at
    100,000 clients it writes the snapshot in about a second, where ``bulk_create`` takes many.
    Elsewhere (SQLite) it is ``bulk_create``.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    fields = {f.column: f.attname for f in model._meta.concrete_fields}
    model.objects.bulk_create(
        [model(**{fields[c]: v for c, v in zip(columns, row, strict=True)}) for row in rows]
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
            if active.status == ProfitabilityRun.Status.RUNNING and _worker_died():
                # Its worker died mid-run and the broker has not given the task again yet: send it
                # again now (its claim under the lock keeps it one run).
                send_on_commit(RECOMPUTE_TASK, active.pk, on_unreachable=lambda: None)
            return active, False
        run = run_create(as_of=as_of, trigger=ProfitabilityRun.Trigger.MANUAL, user=user)
        log_action(run, "profitability.recompute_requested", user=user, data={"as_of": run.as_of})
        send_on_commit(RECOMPUTE_TASK, run.pk, on_unreachable=lambda: run_mark_unsent(run_id=run.pk))
    return run, True


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
