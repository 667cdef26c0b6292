"""PostgreSQL session advisory locks, for work that must not run twice at once."""

import contextlib

from django.db import connection


@contextlib.contextmanager
def advisory_lock(key: int, name: str | None = None):
    """Try the session advisory lock ``key`` (or ``key`` and the hash of ``name``, one lock per
    name); yields whether it was taken, and frees it on exit. The lock goes with the session, so a
    worker that dies frees it. Elsewhere than PostgreSQL (SQLite, one writer at a time) it yields
    True: the callers' conditional updates are the lock there."""
    if connection.vendor != "postgresql":
        yield True
        return
    expression = "%s" if name is None else "%s, hashtext(%s)"
    args: list[int | str] = [key] if name is None else [key, name]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_lock({expression})", args)
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pg_advisory_unlock({expression})", args)
