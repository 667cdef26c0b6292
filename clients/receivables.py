"""What is still owed on an invoice, and how late it is paid: the rule in Python and its SQL twin
side by side (see docs/figures.md, Open receivables and Ageing).

- The open amount of an invoice is its amount - what was written off - the payments made on it,
  never below zero; a credit note (a negative amount) is never open.
- A payment is late by the days from the invoice's due date to the day it was made, zero when it
  was made on or before the due date; an open invoice is overdue by the days from its due date to
  the as-of date.

The SQL forms are used by the profitability engine's set-based pass, the Python forms by the
pages, the forms and the checks of one invoice. This module imports nothing from another app.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

ZERO = Decimal("0")


def open_amount(*, amount: Decimal, written_off: Decimal, paid: Decimal) -> Decimal:
    """What remains owed on an invoice: amount - written off - payments, not below zero."""
    if amount <= 0:
        return ZERO
    return max(amount - paid - written_off, ZERO)


def open_before_payments_sql(amount: str, written_off: str) -> str:
    """SQL of an invoice's amount - written off (zero for a credit note): its open amount before the
    payments, which the set-based pass subtracts as sums (open amount = this - the payments)."""
    return f"CASE WHEN {amount} > 0 THEN {amount} - {written_off} ELSE 0 END"


def days_late(*, paid_on: dt.date, due_on: dt.date) -> int:
    """Days from the due date to the payment, zero for a payment on time."""
    return max(0, (paid_on - due_on).days)


def days_late_sql(paid_on: str, due_on: str, *, vendor: str) -> str:
    """SQL twin of ``days_late`` (PostgreSQL or SQLite date columns)."""
    if vendor == "postgresql":
        return f"GREATEST(({paid_on} - {due_on}), 0)"
    return f"MAX(CAST(julianday({paid_on}) - julianday({due_on}) AS INTEGER), 0)"


def days_overdue(*, as_of: dt.date, due_on: dt.date, open_amount: Decimal) -> int:
    """Days an invoice is past its due date on the as-of date; zero when nothing is open."""
    if open_amount <= 0:
        return 0
    return max(0, (as_of - due_on).days)
