"""The audit's history as it reads: what each entry is about, worded in the reader's language from
the codes the entry keeps (a check, a verdict, a decision, a risk, a cost), with the client's name
as it was when the entry was written. An entry without such codes reads as it was written."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audits.models import ActivityLog, Decision, FlagReview, RiskAcknowledgement
from clients import display
from clients.models import Expense


def _name(data: dict) -> str:
    """The client's name as the entry keeps it (older entries: before ": " in their subject)."""
    return data.get("name") or str(data.get("subject", "")).rsplit(": ", 1)[0]


def _day(value) -> str:
    return date_format(dt.date.fromisoformat(value), "DATE_FORMAT")


def _check(data):
    from audits.review.selectors import CHECKS

    return str(CHECKS[data["check"]][0])


def _about(name: str, what) -> str:
    return _("%(client)s: %(what)s") % {"client": name, "what": what}


def _cost(data):
    if "expense" in data:
        values = {"client": data["client"], "amount": display.money(data["amount"]), "day": _day(data["on"])}
        if data.get("category"):
            return _("%(client)s: %(amount)s on %(day)s (%(category)s)") % {
                **values,
                "category": Expense.Category(data["category"]).label,
            }
        return _("%(client)s: %(amount)s on %(day)s") % values
    return _("%(staff)s: %(rate)s an hour from %(day)s") % {
        "staff": data["staff"],
        "rate": display.money(data["hourly_cost"]),
        "day": _day(data["from"]),
    }


WORDED = {
    "audit.check_acknowledged": _check,
    "audit.cost_added": _cost,
    "audit.flag_reviewed": lambda data: _about(_name(data), FlagReview(verdict=data["verdict"]).outcome),
    "audit.decided": lambda data: _about(_name(data), Decision.Kind(data["decision"]).label),
    "audit.decision_withdrawn": lambda data: _about(_name(data), Decision.Kind(data["decision"]).label),
    "audit.risk_acknowledged": lambda data: str(RiskAcknowledgement.Risk(data["risk"]).label),
}


def subject(entry: ActivityLog) -> str:
    word = WORDED.get(entry.action)
    if word is not None:
        try:
            return word(entry.data)
        except (KeyError, ValueError, TypeError):
            pass  # an entry written before it kept its codes
    return str(entry.data.get("subject", ""))


def worded(entries) -> list[ActivityLog]:
    """The entries, each with its ``subject`` in the active language and ``said``, the words its
    author wrote (a reason, a comment, a note), quoted as the language quotes."""
    entries = list(entries)
    for entry in entries:
        entry.subject = subject(entry)
        entry.said = entry.data.get("reason") or entry.data.get("text") or entry.data.get("note") or ""
    return entries
