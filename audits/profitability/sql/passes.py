"""Running the ledger pass: building and dropping the component tables, the session settings, and
sharing the work with a second connection (``Pass``, ``Helper``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import IO

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

from audits.models import ClientMonthSnapshot
from audits.profitability.phases import phase
from audits.profitability.sql.expenses import _expenses_sql
from audits.profitability.sql.fragments import COMPONENTS, FIRST_ID, LAST_ID, Window, _pg, _table
from audits.profitability.sql.invoices import _invoices_sql, _paid_sql, _payments_sql, _settled_sql
from audits.profitability.sql.late_payment import _late_sql
from audits.profitability.sql.months import (
    STAGING,
    month_rows_copy_in,
    month_rows_copy_out,
    month_rows_insert,
    month_rows_merge,
)
from audits.profitability.sql.rows import client_rows
from audits.profitability.sql.service import _service_sql
from audits.profitability.sql.session import repeatable_read, snapshot_export, snapshot_import, tune

logger = logging.getLogger(__name__)

BUILDERS = {
    "invoices": _invoices_sql,
    "payments": _payments_sql,
    "settled": _settled_sql,
    "paid": _paid_sql,
    "late": _late_sql,
    "expenses": _expenses_sql,
    "service": _service_sql,
}


def component_build(name: str, *, window: Window, scope=None, client_range=None) -> None:
    sql, params = BUILDERS[name](window, scope, client_range)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {_table(name)} AS {sql}", params)


def build(*, window: Window, scope=None, client_range=None) -> None:
    drop()
    for name in COMPONENTS:
        component_build(name, window=window, scope=scope, client_range=client_range)


def drop() -> None:
    tables = [_table(name) for name in COMPONENTS] + [STAGING]
    with connection.cursor() as cursor:
        if _pg():
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


# Running the pass --------------------------------------------------------------------------------


@dataclass
class Part:
    """What the pass asks of one range of clients."""

    window: Window
    late_rate: Decimal
    amortisation_months: int
    months: list[dt.date]
    scope: object = None
    run_id: int | None = None
    client_range: tuple[int, int] | None = None
    replace_months: bool = False  # the day has monthly rows already: write only what changed

    def month_arguments(self) -> dict:
        return {
            "run_id": self.run_id,
            "as_of": self.window.as_of,
            "late_rate": self.late_rate,
            "amortisation_months": self.amortisation_months,
        }


class Helper(threading.Thread):
    """Runs the pass over a range of clients on a second connection, inside the snapshot exported by
    the main transaction (so both halves read the same ledger), while the main connection does the
    other half: both cores of the database server work. Its monthly rows come back in binary COPY
    format, spooled to a temporary file (``month_rows_copy_out``), for the main transaction to
    write."""

    def __init__(self, part: Part, snapshot: str):
        super().__init__(name="ledger-pass", daemon=True)
        self.part, self.snapshot = part, snapshot
        self.rows: list[tuple] = []
        self.rows_ready = threading.Event()
        self.started = threading.Event()  # set once connected in the shared snapshot, or failed
        self.months: IO[bytes] | None = None
        self.error: BaseException | None = None
        self.connected = False  # in the shared snapshot

    def run(self):
        try:
            with transaction.atomic():
                repeatable_read()
                snapshot_import(self.snapshot)
                self.connected = True
                self.started.set()
                tune()
                part = self.part
                with phase("components, upper half"):
                    build(window=part.window, scope=part.scope, client_range=part.client_range)
                with phase("client rows, upper half"):
                    self.rows = client_rows(late_rate=part.late_rate, months=part.months)
                self.rows_ready.set()
                if part.run_id is not None:
                    with phase("monthly rows copied out, upper half"):
                        self.months = month_rows_copy_out(**part.month_arguments())
        except BaseException as error:  # re-raised by the main thread
            self.error = error
        finally:
            self.started.set()
            self.rows_ready.set()
            connection.close()


class Pass:
    """The ledger pass, as a context manager: ``rows()`` gives the per-client rows and, asked to,
    writes the monthly snapshot rows of the run (``write_months()``); leaving waits for any
    thread and drops the temporary tables.

    With ``split_at`` (PostgreSQL, at the start of a REPEATABLE READ transaction that has written
    nothing the pass reads), clients from that id on are done by a ``Helper`` at the same time.
    """

    def __init__(self, part: Part, *, split_at: int | None = None):
        self.part, self.split_at = part, split_at
        self.own = part
        self.helper: Helper | None = None
        self.writer: threading.Thread | None = None
        self.writer_error: BaseException | None = None

    def __enter__(self) -> Pass:
        return self

    def rows(self, *, write_months: bool = False) -> list[tuple]:
        """The per-client rows of both halves. With ``write_months``, the monthly rows are written
        in the background (``write_months(background=True)``) as soon as this connection's
        per-client rows are in, while the second connection may still be computing its own."""
        if self.split_at is not None:
            self.helper = Helper(replace(self.part, client_range=(self.split_at, LAST_ID)), snapshot_export())
            self.helper.start()
            self.own = replace(self.part, client_range=(FIRST_ID, self.split_at))
        with phase("components"):
            build(window=self.own.window, scope=self.own.scope, client_range=self.own.client_range)
        with phase("client rows"):
            rows = client_rows(late_rate=self.own.late_rate, months=self.own.months)
        if self.helper is None:
            if write_months:
                self.write_months(background=True)
            return rows
        self.helper.started.wait()
        if write_months and self.helper.connected:
            self.write_months(background=True)
        with phase("waiting for the upper half's client rows"):
            self.helper.rows_ready.wait()
        if self.helper.error is not None and not self.helper.connected:
            # No second connection (refused, or the snapshot could not be shared): the whole pass
            # here, slower but complete.
            logger.warning("Ledger pass in one piece: %s", self.helper.error)
            self.helper.join()
            self.helper, self.own = None, self.part
            drop()
            build(window=self.own.window, scope=self.own.scope, client_range=self.own.client_range)
            rows = client_rows(late_rate=self.own.late_rate, months=self.own.months)
            if write_months:
                self.write_months(background=True)
            return rows
        if self.helper.error is not None:
            raise self.helper.error
        return rows + self.helper.rows

    def write_months(self, *, background: bool = False) -> None:
        """Write the monthly rows: this connection's, then the helper's.

        With ``background`` on PostgreSQL, this thread's connection is lent to a writer thread, so
        that the portfolio maths runs in Python meanwhile: until the pass ends, the caller must not
        use the database.
        """
        if not (background and _pg()):
            self._write()
            return
        main = connections[DEFAULT_DB_ALIAS]
        main.inc_thread_sharing()
        self.writer = threading.Thread(
            target=self._write_with, args=(main,), name="ledger-months", daemon=True
        )
        self.writer.start()

    def _write_with(self, main) -> None:
        connections[DEFAULT_DB_ALIAS] = main
        try:
            self._write()
        except BaseException as error:  # re-raised by the main thread
            self.writer_error = error

    def _write(self) -> None:
        """A new day's rows are inserted. When the day has rows already (``Part.replace_months``:
        an earlier run of the same day), only those that changed are written
        (``month_rows_merge``), through ``STAGING`` when the pass is split (PostgreSQL; elsewhere
        the day's rows are deleted and inserted again)."""
        arguments = self.own.month_arguments()
        replace = self.own.replace_months
        if replace and not _pg():
            ClientMonthSnapshot.objects.filter(as_of=arguments["as_of"]).delete()
            replace = False
        if replace and self.helper is None:
            with phase("monthly rows merged (only those that changed)"):
                month_rows_merge(**arguments)
            return
        with phase("monthly rows staged" if replace else "monthly rows inserted"):
            month_rows_insert(**arguments, staged=replace)
        if self.helper is not None:
            with phase("waiting for the upper half's monthly rows"):
                self.helper.join()
            if self.helper.error is not None:
                raise self.helper.error
            if self.helper.months is not None:
                with phase("monthly rows copied in, upper half"), self.helper.months as spool:
                    month_rows_copy_in(spool, staged=replace)
        if replace:
            with phase("monthly rows merged (only those that changed)"):
                month_rows_merge(**arguments, staged=True)

    def __exit__(self, kind, error, trace) -> None:
        if self.writer is not None:
            try:
                with phase("waiting for the monthly rows"):
                    self.writer.join()
            except BaseException:
                # Interrupted (a signal): the writer must still give the connection back before
                # the transaction ends.
                self.writer.join()
                raise
            finally:
                connections[DEFAULT_DB_ALIAS].dec_thread_sharing()
        if self.helper is not None:
            self.helper.join()
            if self.helper.months is not None:
                self.helper.months.close()  # written, or not to be: its file goes
        # After a failed statement PostgreSQL refuses any other in the transaction, and its
        # rollback drops the tables anyway: the original error is the one to see.
        with contextlib.suppress(DatabaseError):
            drop()
        if kind is None:
            for failure in (self.writer_error, self.helper.error if self.helper is not None else None):
                if failure is not None:
                    raise failure
