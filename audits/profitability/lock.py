"""The recompute's lock: one recompute (or prune) at a time, a PostgreSQL advisory lock (see
clients.locks)."""

from django.utils.translation import gettext as _

from clients.locks import advisory_lock

# Key of the PostgreSQL advisory lock that keeps two recomputes from overlapping.
ADVISORY_KEY = 0x70726F66


class RecomputeBusy(Exception):
    """Another recompute holds the lock."""


def busy() -> RecomputeBusy:
    return RecomputeBusy(_("Another recompute is in progress."))


def recompute_lock():
    """The recompute's lock (a context manager giving whether it was taken)."""
    return advisory_lock(ADVISORY_KEY)
