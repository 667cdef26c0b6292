"""Writing many rows in one statement: COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def bulk_insert(model, columns: list[str], rows: Iterable[tuple]) -> None:
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


def copy_lines(model, columns: list[str], lines: Iterable[str], *, batch: int = 2000) -> None:
    """COPY of rows already in COPY's text format (tab-separated fields, each line ending with a
    newline), sent a batch of lines at a time: PostgreSQL only."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        pending: list[str] = []
        for line in lines:
            pending.append(line)
            if len(pending) == batch:
                copy.write("".join(pending))
                pending.clear()
        if pending:
            copy.write("".join(pending))
