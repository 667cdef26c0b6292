"""Snapshot retention: what is pruned after a run (``snapshots_prune``), and the VACUUM after it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from audits.models import ClientSnapshot, PortfolioMonth, PortfolioSnapshot
from audits.profitability.lock import busy, recompute_lock
from audits.profitability.sql.session import vacuum


@dataclass(frozen=True)
class Pruned:
    """What ``snapshots_prune`` removed, and what it kept."""

    latest: dt.date | None = None  # the latest day
    daily_from: dt.date | None = None  # daily snapshots kept from this day on; month-ends before
    days: tuple[dt.date, ...] = ()  # the days whose client and portfolio snapshots were removed
    client_snapshots: int = 0
    portfolio_snapshots: int = 0


def snapshots_prune(*, daily_days: int | None = None) -> Pruned:
    """Remove the snapshots past their retention (see docs/figures.md, Snapshot retention), under the recompute's lock.

    Kept: the client and portfolio snapshots (the latter with their month totals) of the last
    ``daily_days`` days (``SNAPSHOT_DAILY_DAYS``) up to the latest, the day before the
    latest whatever its age (the next run's "declining" flag compares with it), and the last
    day of every calendar month. Runs are never removed. Raises RecomputeBusy while a recompute
    holds the lock.
    """
    with recompute_lock() as locked:
        if not locked:
            raise busy()
        pruned = _prune(daily_days=settings.SNAPSHOT_DAILY_DAYS if daily_days is None else daily_days)
        _vacuum_snapshots()
        return pruned


def _prune(*, daily_days: int) -> Pruned:
    """Three set-based DELETEs, one per snapshot table, whatever the number of rows.

    The days come from PortfolioSnapshot, the index of the days: one row per successful run's
    day, written and removed in the same transaction as that day's client rows (a DISTINCT over
    the client snapshots would read millions of rows for a few dozen dates).

    On PostgreSQL, past the first weeks, a night's prune deletes one day of client snapshots (one
    row per client). The DELETE selects by as-of date through an index leading with it
    (clientsnapshot_ranked), nothing points at a ClientSnapshot, and the ORM sends it as one
    statement (no signals, no cascades to collect); so are the day's portfolio snapshot and its few
    hundred month totals. The dead rows are reclaimed by the VACUUM that follows
    (``_vacuum_snapshots``) and their space is reused by the next night's rows. A partition per
    day (dropped instead of deleted) would be cheaper still but costs a partitioned table the ORM
    and SQLite do not know; deleting is a second or two against the run's tens.
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
        client_snapshots = portfolio_snapshots = 0
        if dropped:
            client_snapshots = ClientSnapshot.objects.filter(as_of__in=dropped).delete()[0]
            portfolio_snapshots = PortfolioSnapshot.objects.filter(as_of__in=dropped).delete()[0]
            PortfolioMonth.objects.filter(as_of__in=dropped).delete()
    return Pruned(
        latest=latest,
        daily_from=daily_from,
        days=dropped,
        client_snapshots=client_snapshots,
        portfolio_snapshots=portfolio_snapshots,
    )


def _vacuum_snapshots() -> None:
    """VACUUM (ANALYZE) the snapshot tables once the prune has committed (PostgreSQL).

    Without it the space of the deleted rows waits for autovacuum, and where autovacuum is off
    or behind every night adds a night's worth of dead rows (bench/retention.py --no-vacuum). Plain VACUUM takes no lock that
    readers or writers wait for, skips the pages that did not change, and SKIP_LOCKED passes a
    table another vacuum is working on. It cannot run inside a transaction: skipped there (the
    tests' transactions, a caller's atomic block).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    vacuum((ClientSnapshot, PortfolioSnapshot, PortfolioMonth))
