"""Writing many rows in one statement: COPY on PostgreSQL, and COPY's text format (``line_of``,
``unescaped``) for rows kept as text until they are written."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator

from django.db import connection

# COPY's text format (PostgreSQL): tab-separated fields, \N for none, backslash escapes.
NULL = "\\N"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_ESCAPED = re.compile(r"\\([\\tnr])")
_UNESCAPED = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def line_of(values) -> str:
    """Values as a line of COPY text, without its newline: none as ``\\N``, text escaped, anything
    else as ``str`` gives it (a decimal keeps its places, str(Decimal("1.50")) == "1.50"; a boolean
    is True or False, which PostgreSQL reads; a date is ISO 8601)."""
    return "\t".join(
        [NULL if v is None else v.translate(ESCAPES) if type(v) is str else str(v) for v in values]
    )


def unescaped(text: str) -> str:
    """A text field of a COPY line as it was before ``line_of`` escaped it."""
    return _ESCAPED.sub(lambda match: _UNESCAPED[match.group(1)], text) if "\\" in text else text


@contextlib.contextmanager
def _copy(model, columns: list[str]) -> Iterator:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        yield copy


def bulk_insert(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """Insert many rows in one statement whatever their number.

    On PostgreSQL this is COPY (psycopg's copy protocol, not a query the ORM can build): at
    100,000 clients it writes the snapshot in about a second, where ``bulk_create`` takes many.
    Elsewhere (SQLite) it is ``bulk_create``.
    """
    if connection.vendor == "postgresql":
        with _copy(model, columns) as copy:
            for row in rows:
                copy.write_row(row)
        return
    fields = {f.column: f.attname for f in model._meta.concrete_fields}
    model.objects.bulk_create(
        [model(**{fields[c]: v for c, v in zip(columns, row, strict=True)}) for row in rows]
    )


def copy_lines(model, columns: list[str], lines: Iterable[str], *, batch: int = 2000) -> None:
    """COPY of rows already in COPY's text format (``line_of``, each line ending with a newline),
    sent a batch of lines at a time: PostgreSQL only."""
    with _copy(model, columns) as copy:
        pending: list[str] = []
        for line in lines:
            pending.append(line)
            if len(pending) == batch:
                copy.write("".join(pending))
                pending.clear()
        if pending:
            copy.write("".join(pending))
