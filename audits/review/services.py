"""Writes of the client audit: move between steps, acknowledge, review, comment, decide, complete
(starting and computing an audit: ``audits.review.computation``; step 2's costs:
``audits.review.costs``). Each runs in one transaction with its activity-log entry.

Finance's writes carry the version of the audit the form was drawn from: the audit's row is locked,
and a form drawn from an older version is refused with who changed the audit, what and when
(``StaleAudit``), so two finance users never overwrite each other silently. A completed audit
takes no write at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audits.log import log_action
from audits.models import (
    Audit,
    AuditClient,
    AuditComment,
    CheckAcknowledgement,
    Decision,
    FlagReview,
    RiskAcknowledgement,
)
from audits.models.review import worded_outcome
from audits.review import decisions, selectors
from audits.transitions.selectors import phase_out_refusals
from audits.transitions.services import transition_create
from clients import display
from clients.periods import add_months

logger = logging.getLogger(__name__)

# The largest price increase a "reprice" decision may assume (a tenfold price is a new contract).
MAX_UPLIFT = Decimal("1000")


class AuditError(Exception):
    """A write the audit refuses, with a message for the user."""


class StaleAudit(AuditError):
    """The form was drawn from an older version of the audit."""


def _stale_message(audit: Audit) -> str:
    entry = selectors.last_change(audit)
    if entry is None:
        return _("This audit was changed since the page was opened: reload it and try again.")
    who = display.person(entry.user) or _("someone")
    return _(
        "%(who)s changed this audit (%(what)s) at %(when)s, after this page was opened: "
        "nothing was saved. Reload the page and try again."
    ) % {
        "who": who,
        "what": entry.description,
        "when": date_format(timezone.localtime(entry.created_at), "DATETIME_FORMAT"),
    }


def lock_audit(*, audit: Audit, version: int | None) -> Audit:
    """The audit's row, locked for the change; refuses a completed audit and a stale form, and raises
    the version. Call inside ``transaction.atomic()``."""
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    if locked.is_completed:
        raise AuditError(_("This audit is completed: it can no longer change."))
    if version is not None and int(version) != locked.version:
        raise StaleAudit(_stale_message(locked))
    Audit.objects.filter(pk=locked.pk).update(version=F("version") + 1, updated_at=timezone.now())
    locked.version += 1
    return locked


# Start and compute ----------------------------------------------------------------------------


def audit_move(*, audit: Audit, user, version, step: int) -> Audit:
    """Go to ``step``: back at any time until completion (what was decided is kept), forward one
    step at a time once the current step's conditions hold."""
    step = int(step)
    if step not in Audit.Step.values:
        raise AuditError(_("There is no such step."))
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        if step > locked.step:
            if step != locked.step + 1:
                raise AuditError(_("Steps are taken one at a time."))
            blockers = selectors.step_blockers(locked, locked.step)
            if blockers:
                raise AuditError(" ".join(blockers))
        if step == locked.step:
            return locked
        log_action(locked, "audit.step_changed", user=user, data={"from": locked.step, "to": step})
        Audit.objects.filter(pk=locked.pk).update(step=step)
        locked.step = step
    return locked


def _require_step(audit: Audit, step: int, what: str) -> None:
    if audit.step < step:
        raise AuditError(_("%(what)s belongs to a later step.") % {"what": what})


def check_acknowledge(*, audit: Audit, user, version, code: str, reason: str) -> CheckAcknowledgement:
    if code not in selectors.CHECKS:
        raise AuditError(_("There is no such check."))
    reason = (reason or "").strip()
    if not reason:
        raise AuditError(_("Give the reason for accepting this check as it stands."))
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        rows = selectors.check_affected_keys(locked, code)
        ack, _created = CheckAcknowledgement.objects.update_or_create(
            audit=locked, check_code=code, row="", defaults={"reason": reason, "user": user, "rows": rows}
        )
        log_action(
            locked,
            "audit.check_acknowledged",
            user=user,
            data={
                "check": code,
                "subject": str(selectors.CHECKS[code][0]),
                "rows": len(rows),
                "reason": reason,
            },
        )
    return ack


def _flagged(audit: Audit, client_id: int) -> AuditClient:
    row = AuditClient.objects.filter(audit=audit, client_id=client_id, is_flagged=True).first()
    if row is None:
        raise AuditError(_("This client has no flag in the audit."))
    return row


def flag_review(*, audit: Audit, user, version, client_id: int, verdict: str, reason: str) -> FlagReview:
    if verdict not in FlagReview.Verdict.values:
        raise AuditError(_("Confirm or override the flag."))
    reason = (reason or "").strip()
    if not reason:
        raise AuditError(_("Give the reason for this review."))
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        _require_step(locked, Audit.Step.FLAGS, _("Reviewing flags"))
        row = _flagged(locked, client_id)
        previous = FlagReview.objects.filter(audit=locked, client_id=client_id).first()
        review, _created = FlagReview.objects.update_or_create(
            audit=locked, client_id=client_id, defaults={"verdict": verdict, "reason": reason, "user": user}
        )
        _counts_after_review(locked, client_id, before=previous.verdict if previous else None, after=verdict)
        log_action(
            locked,
            "audit.flag_reviewed",
            user=user,
            data={
                "client": client_id,
                "name": row.client.name,
                "subject": f"{row.client.name}: {review.outcome}",
                "verdict": verdict,
                "reason": reason,
            },
        )
        # After the review in the history: the withdrawal follows from it.
        if decisions_withdraw_stale(locked, user=user):
            decisions.what_if_keep(locked)
    return review


def _counts_after_review(audit: Audit, client_id: int, *, before: str | None, after: str) -> None:
    """Keep the audit's counts of what holds steps 4 and 5 back (``Audit.flags_undecided`` and
    ``decisions_missing``) after a flagged client's review went from ``before`` to ``after``."""
    confirm = FlagReview.Verdict.CONFIRM
    change = {}
    if before is None:
        change["flags_undecided"] = F("flags_undecided") - 1
    missing = (after == confirm) - (before == confirm)
    if missing and not Decision.objects.filter(audit=audit, client_id=client_id).exists():
        change["decisions_missing"] = F("decisions_missing") + missing
    if change:
        Audit.objects.filter(pk=audit.pk).update(**change)


def flag_comment(*, audit: Audit, user, client_id: int, text: str) -> AuditComment:
    """An account manager's comment on a flag of one of their own clients (their only write on an
    audit; it takes no version: it changes nothing finance is editing)."""
    text = (text or "").strip()
    if not text:
        raise AuditError(_("Write the comment first."))
    with transaction.atomic():
        locked = Audit.objects.select_for_update().get(pk=audit.pk)
        if locked.is_completed:
            raise AuditError(_("This audit is completed: it can no longer change."))
        row = _flagged(locked, client_id)
        if not user.has_perm("clients.view_all_clients") and row.client.account_manager_id != user.pk:
            raise AuditError(_("This client has no flag in the audit."))
        comment = AuditComment.objects.create(audit=locked, client_id=client_id, text=text, user=user)
        log_action(
            locked,
            "audit.commented",
            user=user,
            data={"client": client_id, "subject": row.client.name, "text": text[:500]},
        )
    return comment


def decision_record(
    *,
    audit: Audit,
    user,
    version,
    client_id: int,
    kind: str,
    uplift=None,
    hours_per_month=None,
    months=None,
    reason="",
) -> Decision:
    """One decision per flagged client (and "invest" for a top-tier client): its parameters are
    checked here, whatever form sent them."""
    reason = (reason or "").strip()
    if kind not in Decision.Kind.values:
        raise AuditError(_("Choose a decision."))
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        _require_step(locked, Audit.Step.STRATEGY, _("Deciding"))
        row = AuditClient.objects.filter(audit=locked, client_id=client_id).first()
        if row is None or not (row.is_flagged or row.tier == 1):
            raise AuditError(_("Decisions are taken on flagged clients and top-tier clients."))
        values: dict[str, Decimal | int | None] = {"uplift": None, "hours_per_month": None, "months": None}
        if kind == Decision.Kind.KEEP and not reason:
            raise AuditError(_("Keeping a flagged client needs a reason."))
        if kind == Decision.Kind.REPRICE:
            if uplift is None or Decimal(uplift) <= 0:
                raise AuditError(_("Give the price increase, in percent, above zero."))
            if Decimal(uplift) > MAX_UPLIFT:
                raise AuditError(
                    _(
                        "A price increase of more than %(most)s %% is not a repricing: choose another decision."
                    )
                    % {"most": display.number(MAX_UPLIFT, 0)}
                )
            values["uplift"] = Decimal(uplift)
        if kind == Decision.Kind.REDUCE:
            if hours_per_month is None or Decimal(hours_per_month) <= 0:
                raise AuditError(_("Give the service hours to cut per month, above zero."))
            # The hours used a month as step 5 shows them (two places, half-up), so that a cut of all of
            # it is allowed; the what-if cuts no more minutes than the client used (decisions._rules).
            used = (Decimal(row.service_minutes) / 60 / selectors.period_month_count(locked)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
            if Decimal(hours_per_month) > used:
                raise AuditError(
                    _("The client used %(hours)s service hours a month in the period: no more can be cut.")
                    % {"hours": display.number(used, 2)}
                )
            values["hours_per_month"] = Decimal(hours_per_month)
        if kind == Decision.Kind.TRANSITION:
            if not months or int(months) < 1 or int(months) > 60:
                raise AuditError(_("Give the transition's length: 1 to 60 months."))
            refusal = phase_out_refusals([row.client]).get(row.client_id)
            if refusal:
                raise AuditError(refusal)
            values["months"] = int(months)
        if kind == Decision.Kind.INVEST and row.tier != 1:
            raise AuditError(_("Invest is for top-tier clients."))
        decision, created = Decision.objects.update_or_create(
            audit=locked,
            client_id=client_id,
            defaults={"kind": kind, "reason": reason, "user": user, **values},
        )
        # The rule a decision must keep to stand (and that withdraws it once it no longer does).
        if selectors.stale_decisions(locked).filter(pk=decision.pk).exists():
            raise AuditError(
                _(
                    "Only a client whose flag is confirmed (step 4) is kept, repriced, reduced or transitioned out."
                )
            )
        confirmed = FlagReview.objects.filter(
            audit=locked, client_id=client_id, verdict=FlagReview.Verdict.CONFIRM
        ).exists()
        if created and row.is_flagged and confirmed:
            Audit.objects.filter(pk=locked.pk).update(decisions_missing=F("decisions_missing") - 1)
        decisions.what_if_keep(locked)
        log_action(
            locked,
            "audit.decided",
            user=user,
            data={
                "client": client_id,
                "name": row.client.name,
                "subject": f"{row.client.name}: {Decision.Kind(kind).label}",
                "decision": kind,
                "reason": reason,
                **values,
            },
        )
    return decision


def decisions_withdraw_stale(audit: Audit, *, user=None) -> int:
    """Withdraw the decisions that no longer stand (``selectors.stale_decisions``), each logged with
    why, so that completing the audit never carries out a decision on a client the audit no longer
    flags. How many were withdrawn (the caller keeps the what-if); inside the caller's
    transaction, on the locked audit."""
    stale = list(selectors.stale_decisions(audit).select_related("client"))
    for decision in stale:
        log_action(
            audit,
            "audit.decision_withdrawn",
            user=user,
            data={
                "client": decision.client_id,
                "name": decision.client.name,
                "subject": f"{decision.client.name}: {decision.get_kind_display()}",
                "decision": decision.kind,
            },
        )
    Decision.objects.filter(pk__in=[decision.pk for decision in stale]).delete()
    return len(stale)


def risk_acknowledge(*, audit: Audit, user, version, risk: str, note: str) -> RiskAcknowledgement:
    if risk not in RiskAcknowledgement.Risk.values:
        raise AuditError(_("There is no such risk."))
    note = (note or "").strip()
    if not note:
        raise AuditError(_("Write a note on this risk."))
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        _require_step(locked, Audit.Step.STRATEGY, _("The risk checklist"))
        ack, _created = RiskAcknowledgement.objects.update_or_create(
            audit=locked, risk=risk, defaults={"note": note, "user": user}
        )
        log_action(
            locked,
            "audit.risk_acknowledged",
            user=user,
            data={"risk": risk, "subject": str(RiskAcknowledgement.Risk(risk).label), "note": note},
        )
    return ack


def audit_complete(*, audit: Audit, user, version, outcome: str = "") -> Audit:
    """Freeze the audit: read-only for everyone from now on. Its figures are already its own copies;
    each transition-out decision starts a transition (stage planned) in the same transaction."""
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        if locked.step != Audit.Step.STRATEGY:
            raise AuditError(_("An audit is completed from its last step."))
        blockers = selectors.step_blockers(locked, Audit.Step.STRATEGY)
        if blockers:
            raise AuditError(" ".join(blockers))
        result = decisions.what_if(locked)
        written = (outcome or "").strip()
        counts: dict = {
            "decisions": result.decisions,
            "leaving": result.leaving,
            "before": result.net_profit_before,
            "after": result.net_profit_after,
        }
        now = timezone.now()
        Audit.objects.filter(pk=locked.pk).update(
            status=Audit.Status.COMPLETED,
            completed_at=now,
            outcome=written,
            outcome_figures={} if written else counts,
        )
        log_action(
            locked,
            "audit.completed",
            user=user,
            data={"outcome": written or worded_outcome(**counts), "transitions": result.leaving},
        )
        locked.refresh_from_db()
        _transitions_create(locked, user=user)
    return locked


def _transitions_create(audit: Audit, *, user) -> None:
    """One transition (stage planned) per "transition out" decision, in the completion's transaction:
    the client becomes *transitioning*. A client that cannot be phased out (already in a transition,
    or no longer a current client) refuses the completion with the reason, and nothing is saved."""
    for item in audit_transition_decisions(audit):
        reason = (item["reason"] or "").strip() or _("Decided in the audit “%(title)s”.") % {
            "title": audit.title
        }
        try:
            transition_create(
                client=item["client"], user=user, reason=reason, end_date=item["end_on"], audit=audit
            )
        except ValidationError as exc:
            raise AuditError(" ".join(exc.messages)) from exc


def audit_transition_decisions(audit: Audit) -> list[dict]:
    """The "transition out" decisions of a completed audit, one per client, with what a Transition
    (stage planned) needs: the client, its months and end date, who decided and why."""
    if not audit.is_completed:
        return []
    start = timezone.localtime(audit.completed_at).date()
    items = []
    for decision in (
        Decision.objects.filter(audit=audit, kind=Decision.Kind.TRANSITION)
        .select_related("client", "user")
        .order_by("client__name", "client_id")
    ):
        if decision.months is None:  # decision_record always gives a transition its months
            raise AuditError(_("Give the transition's length: 1 to 60 months."))
        items.append(
            {
                "decision": decision,
                "client": decision.client,
                "months": decision.months,
                "end_on": add_months(start, decision.months),
                "decided_by": decision.user,
                "decided_at": decision.created_at,
                "reason": decision.reason,
            }
        )
    return items


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending today."""
    return add_months(today, -12) + dt.timedelta(days=1), today
