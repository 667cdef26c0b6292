"""Where a computation's time goes: each phase's start and length, for ``bench/engine.py`` to print.

Phases may overlap (the second connection's half of the ledger pass, the thread summing the
months of the trend while Python computes the portfolio): each is recorded with its start, relative to
the last ``reset()``, and the thread it ran in. Recording costs a clock read per phase; nothing
reads it in production.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    name: str
    start: float
    seconds: float
    thread: str


_lock = threading.Lock()
_origin = time.perf_counter()
_phases: list[Phase] = []


def reset() -> None:
    global _origin
    with _lock:
        _origin = time.perf_counter()
        _phases.clear()


def recorded() -> list[Phase]:
    with _lock:
        return sorted(_phases, key=lambda phase: phase.start)


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        ended = time.perf_counter()
        with _lock:
            _phases.append(Phase(name, began - _origin, ended - began, threading.current_thread().name))
