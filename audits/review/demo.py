"""The demo's audit: last calendar year's client audit, walked through its five steps and completed
by the demo's finance user, so that a first look (``make run``) shows a finished audit, its report,
and the transitions and letter drafts it started. Run by ``manage.py seed_demo_audit`` after the
demo portfolio (``seed_demo``) and its users (``demo_users``)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from audits.models import Audit, AuditClient, RiskAcknowledgement
from audits.review import computation, selectors, services
from audits.transitions.services import letter_draft, letter_templates_install_defaults

# How many of the worst loss makers the demo's audit phases out; a repricing above this (in %) is
# not offered.
LEAVING = 2
MOST_UPLIFT = Decimal("40")


def demo_audit(*, owner, today: dt.date) -> Audit | None:
    """Last calendar year's audit of every client, completed, in one transaction (a step refused
    leaves nothing behind); None where ``owner`` has it already."""
    start, end = dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    if Audit.objects.filter(owner=owner, period_start=start, period_end=end, scope=Audit.Scope.ALL).exists():
        return None
    with transaction.atomic():
        return _walked(owner=owner, start=start, end=end)


def _walked(*, owner, start: dt.date, end: dt.date) -> Audit:
    title = _("Client audit %(year)s") % {"year": start.year}
    audit = computation.audit_start(
        user=owner, title=title, period_start=start, period_end=end, scope=Audit.Scope.ALL
    )
    # Computed here, as the task does, whether or not a worker has taken it yet (its claim makes
    # either one do it once).
    computation.audit_compute(audit_id=audit.pk)
    audit.refresh_from_db()
    if not audit.is_computed:
        raise services.AuditError(
            _("The audit's figures could not be computed: %(error)s") % {"error": audit.computation_error}
        )
    for check in selectors.audit_checks(audit):
        if not check.is_clear:
            services.check_acknowledge(
                audit=audit,
                user=owner,
                version=_version(audit),
                code=check.code,
                reason="Known in the demo data.",
            )
    for step in (Audit.Step.COSTS, Audit.Step.RANK, Audit.Step.FLAGS):
        services.audit_move(audit=audit, user=owner, version=_version(audit), step=step)
    flagged = list(selectors.flagged_clients(audit).order_by("net_profit", "client_id"))
    for row in flagged:
        verdict, reason = (
            ("override", "A strategic reference client.")
            if row.is_strategic
            else ("confirm", "Seen at the audit meeting.")
        )
        services.flag_review(
            audit=audit,
            user=owner,
            version=_version(audit),
            client_id=row.client_id,
            verdict=verdict,
            reason=reason,
        )
    services.audit_move(audit=audit, user=owner, version=_version(audit), step=Audit.Step.STRATEGY)
    leaving = 0
    for row in flagged:
        if row.is_strategic:
            continue
        decision = _decision(row, leaving=leaving)
        leaving += decision["kind"] == "transition"
        services.decision_record(
            audit=audit, user=owner, version=_version(audit), client_id=row.client_id, **decision
        )
    for risk in RiskAcknowledgement.Risk.values:
        services.risk_acknowledge(
            audit=audit,
            user=owner,
            version=_version(audit),
            risk=risk,
            note="Discussed with the account managers.",
        )
    audit = services.audit_complete(audit=audit, user=owner, version=_version(audit))
    letter_templates_install_defaults()
    for transition in audit.transitions.all():
        letter_draft(transition=transition, kind="announcement", user=owner)
    return audit


def _version(audit: Audit) -> int:
    audit.refresh_from_db(fields=["version"])
    return audit.version


def _decision(row: AuditClient, *, leaving: int) -> dict:
    """The worst of the clients whose service costs more than their gross margin go (not one whose
    loss is its acquisition's share), a client a modest repricing mends is repriced, the others are
    kept."""
    if row.is_unprofitable and row.cost_to_serve > row.gross_margin and leaving < LEAVING:
        return {"kind": "transition", "months": 3, "reason": "Costs more to serve than it brings."}
    uplift = row.breakeven_price_increase
    if uplift is not None and 0 < uplift * 100 <= MOST_UPLIFT:
        percent = (uplift * 100).quantize(Decimal("1"), ROUND_UP)
        return {"kind": "reprice", "uplift": percent, "reason": "The next contract's price."}
    return {"kind": "keep", "reason": "The account manager is renegotiating the service level."}
