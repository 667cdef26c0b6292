"""Running the ledger pass: building and dropping the component tables, the session settings, and
sharing the work with a second connection (``Pass``, ``Helper``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

from audits.profitability.phases import phase
from audits.profitability.sql.expenses import _expenses_sql
from audits.profitability.sql.fragments import COMPONENTS, FIRST_ID, LAST_ID, Window, _pg, _table
from audits.profitability.sql.invoices import _invoices_sql, _paid_sql, _payments_sql, _settled_sql
from audits.profitability.sql.late_payment import _late_sql
from audits.profitability.sql.months import month_totals, totals_merged
from audits.profitability.sql.rows import LedgerRows, client_rows
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


def components_with(*, window: Window, client_range: tuple[int, int]) -> tuple[str, list]:
    """The components of a few clients as one WITH clause, each named as its temporary table, so that
    a statement reading the tables reads these instead: one read-only statement, nothing built or
    dropped (a client's page). In ``COMPONENTS`` order, which is the order they read each other."""
    parts, params = [], []
    for name in COMPONENTS:
        sql, component_params = BUILDERS[name](window, None, client_range)
        parts.append(f"{_table(name)} AS ({sql})")
        params.extend(component_params)
    return "WITH " + ", ".join(parts), params


def build(*, window: Window, scope=None, client_range=None, half: str = "") -> None:
    """The component tables, each timed as a phase of its own (``half`` names the part of a split
    pass, as the phases of the ``Helper`` are)."""
    drop()
    for name in COMPONENTS:
        with phase(f"  {name}{half}"):
            component_build(name, window=window, scope=scope, client_range=client_range)


def drop() -> None:
    tables = [_table(name) for name in COMPONENTS]
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
    client_range: tuple[int, int] | None = None

    def totals(self) -> list[tuple]:
        """The month totals of this part's clients (``sql.months.month_totals``)."""
        return month_totals(late_rate=self.late_rate, amortisation_months=self.amortisation_months)


class Helper(threading.Thread):
    """Runs the pass over a range of clients on a second connection, inside the snapshot exported by
    the main transaction (so both halves read the same ledger), while the main connection does the
    other half: both cores of the database server work. Asked to, it then sums its clients' months
    (``Part.totals``), a few hundred rows."""

    def __init__(self, part: Part, snapshot: str, *, months: bool = False):
        super().__init__(name="ledger-pass", daemon=True)
        self.part, self.snapshot, self.want_months = part, snapshot, months
        self.rows: LedgerRows | None = None
        self.rows_ready = threading.Event()
        self.started = threading.Event()  # set once connected in the shared snapshot, or failed
        self.months: list[tuple] = []
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
                    build(
                        window=part.window,
                        scope=part.scope,
                        client_range=part.client_range,
                        half=", upper half",
                    )
                with phase("client rows, upper half"):
                    self.rows = client_rows(late_rate=part.late_rate, months=part.months)
                self.rows_ready.set()
                if self.want_months:
                    with phase("month totals, upper half"):
                        self.months = part.totals()
        except BaseException as error:  # re-raised by the main thread
            self.error = error
        finally:
            self.started.set()
            self.rows_ready.set()
            connection.close()


class Pass:
    """The ledger pass, as a context manager: ``rows()`` gives the per-client rows and, asked to,
    sums the clients' months by account manager in the background (``months()`` gives them);
    leaving waits for any thread and drops the temporary tables.

    With ``split_at`` (PostgreSQL, at the start of a REPEATABLE READ transaction that has written
    nothing the pass reads), clients from that id on are done by a ``Helper`` at the same time.
    """

    def __init__(self, part: Part, *, split_at: int | None = None):
        self.part, self.split_at = part, split_at
        self.own = part
        self.helper: Helper | None = None
        self.summing: threading.Thread | None = None
        self.own_months: list[tuple] = []
        self.summing_error: BaseException | None = None

    def __enter__(self) -> Pass:
        return self

    def rows(self, *, months: bool = False) -> LedgerRows:
        """The per-client rows of both halves. With ``months``, this connection's month totals are
        summed in the background (``sum_months(background=True)``) as soon as its per-client rows
        are in, while the second connection may still be computing its own."""
        if self.split_at is not None:
            self.helper = Helper(
                replace(self.part, client_range=(self.split_at, LAST_ID)), snapshot_export(), months=months
            )
            self.helper.start()
            self.own = replace(self.part, client_range=(FIRST_ID, self.split_at))
        with phase("components"):
            build(window=self.own.window, scope=self.own.scope, client_range=self.own.client_range)
        with phase("client rows"):
            rows = client_rows(late_rate=self.own.late_rate, months=self.own.months)
        if self.helper is None:
            if months:
                self.sum_months(background=True)
            return rows
        self.helper.started.wait()
        if months and self.helper.connected:
            self.sum_months(background=True)
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
            if months:
                self.sum_months(background=True)
            return rows
        if self.helper.error is not None:
            raise self.helper.error
        assert self.helper.rows is not None
        return rows.joined(self.helper.rows)

    def sum_months(self, *, background: bool = False) -> None:
        """Sum this connection's clients' months (``Part.totals``).

        With ``background`` on PostgreSQL, this thread's connection is lent to another thread, so
        that the portfolio maths runs in Python meanwhile: until ``months()``, the caller must not
        use the database.
        """
        if not (background and _pg()):
            self._sum()
            return
        main = connections[DEFAULT_DB_ALIAS]
        main.inc_thread_sharing()
        self.summing = threading.Thread(
            target=self._sum_with, args=(main,), name="ledger-months", daemon=True
        )
        self.summing.start()

    def _sum_with(self, main) -> None:
        connections[DEFAULT_DB_ALIAS] = main
        try:
            self._sum()
        except BaseException as error:  # re-raised by the main thread
            self.summing_error = error

    def _sum(self) -> None:
        with phase("month totals"):
            self.own_months = self.own.totals()

    def months(self) -> list[tuple]:
        """The month totals of both halves, once summed (``sql.months.totals_merged``); the
        connection is this thread's again."""
        self._join_summing()
        if self.summing_error is not None:
            raise self.summing_error
        if self.helper is None:
            return totals_merged(self.own_months)
        with phase("waiting for the upper half's month totals"):
            self.helper.join()
        if self.helper.error is not None:
            raise self.helper.error
        return totals_merged(self.own_months, self.helper.months)

    def _join_summing(self) -> None:
        if self.summing is None:
            return
        try:
            with phase("waiting for the month totals"):
                self.summing.join()
        except BaseException:
            # Interrupted (a signal): the thread must still give the connection back before the
            # transaction ends.
            self.summing.join()
            raise
        finally:
            self.summing = None
            connections[DEFAULT_DB_ALIAS].dec_thread_sharing()

    def __exit__(self, kind, error, trace) -> None:
        self._join_summing()
        if self.helper is not None:
            self.helper.join()
        # After a failed statement PostgreSQL refuses any other in the transaction, and its
        # rollback drops the tables anyway: the original error is the one to see.
        with contextlib.suppress(DatabaseError):
            drop()
        if kind is None:
            for failure in (self.summing_error, self.helper.error if self.helper is not None else None):
                if failure is not None:
                    raise failure
