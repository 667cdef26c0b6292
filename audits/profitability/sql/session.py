"""The session statements of the profitability side: the settings of the ledger pass, the
isolation level and shared snapshot of a split pass, and the VACUUM after a prune (PostgreSQL).
The advisory lock is ``clients.locks``."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from django.db import connection, transaction

from audits.profitability.sql.fragments import _pg

# PostgreSQL settings for the ledger pass (SET LOCAL: they end with the transaction).
# - jit off: a handful of large aggregates; compiling them costs more than it saves.
# - No parallel workers inside a statement: the aggregates run in the leader anyway, so workers
#   only add a Gather of every ledger row; the pass splits the clients over two connections
#   instead (``Pass``).
# - No hash aggregation or sequential scans: reading the covering indexes in client order lets
#   every component aggregate presorted rows without spilling.
# - A cursor's query planned for all its rows, as a plain statement is: the per-client rows are read
#   through a server-side cursor (``sql.rows.client_rows``), every row of them.
TUNING = (
    "jit = off",
    "max_parallel_workers_per_gather = 0",
    "enable_hashagg = off",
    "enable_seqscan = off",
    "work_mem = '256MB'",
    "cursor_tuple_fraction = 1",
)


def tune() -> None:
    if _pg():
        with connection.cursor() as cursor:
            for setting in TUNING:
                cursor.execute(f"SET LOCAL {setting}")


def repeatable_read() -> None:
    """At the start of a transaction: both halves of a split pass read the same ledger."""
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def snapshot_export() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        return cursor.fetchone()[0]


def snapshot_import(snapshot: str) -> None:
    """Read inside the snapshot another transaction exported (``snapshot_export``)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")


def vacuum(models) -> None:
    """VACUUM (ANALYZE, SKIP_LOCKED) of the models' tables; outside any transaction."""
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE, SKIP_LOCKED) {tables}")


@contextlib.contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """A computation makes millions of small objects (decimals, rows, dicts) and no reference cycles:
    the cyclic collector would walk them again and again for nothing (about 12 % of the portfolio
    maths at 100,000 clients). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def computation() -> Iterator[bool]:
    """The transaction an engine computation runs in (the recompute's and an audit's): tuned for
    the ledger pass, without the cyclic garbage collector, and, when it is the outermost
    transaction on PostgreSQL, at REPEATABLE READ so that the pass may be shared with a second
    connection reading the same ledger (nothing uncommitted that it would miss). Yields whether
    the pass may be split so."""
    split = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if split:
            repeatable_read()
        tune()
        with garbage_collection_paused():
            yield split
