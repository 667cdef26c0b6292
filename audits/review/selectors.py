"""Reads of the client audit: its steps' rows, the data-quality checks, what holds a step back, the
invest decisions and the risk checklist. Every function runs a fixed number of queries whatever the number of
clients; lists are paginated by the views."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Exists, F, Min, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audits.log import activity_for
from audits.models import (
    Audit,
    AuditClient,
    AuditComment,
    CheckAcknowledgement,
    Decision,
    FlagReview,
    RiskAcknowledgement,
)
from audits.transitions.selectors import phase_out_refusals
from clients import display
from clients.access import sees_all, visible
from clients.models import Client, Contact, Interaction, Invoice, Payment, StaffCost
from clients.periods import local_midnight

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

HALF_CENT = Decimal("0.005")
ZERO = Decimal("0")
ROWS_SHOWN = 20  # affected rows listed per check; the count says how many there are in all


def audit_get(*, pk, user) -> Audit:
    """An audit the user may open (``audit_list``), or 404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(audit_list(user=user), pk=pk)


def audit_list(*, user):
    """The audits the user may open: every one for those who see every client; for an account
    manager, those holding one of their clients (the only part of an audit they may read)."""
    audits = Audit.objects.select_related("owner", "scope_manager")
    if sees_all(user):
        return audits
    own = AuditClient.objects.filter(audit=OuterRef("pk"), client__in=visible(Client.objects.all(), user))
    return audits.filter(Exists(own))


def scope_clients(audit: Audit):
    """The ledger's clients in the audit's scope (a queryset)."""
    clients = Client.objects.all()
    if audit.scope == Audit.Scope.MANAGER:
        clients = clients.filter(account_manager_id=audit.scope_manager_id)
    elif audit.scope == Audit.Scope.SEGMENT:
        clients = clients.filter(segment__iexact=audit.scope_segment)
    return clients


def audit_clients(audit: Audit, *, user=None):
    """The audit's clients the user may see (an account manager: their own only)."""
    rows = AuditClient.objects.filter(audit=audit).select_related("client", "client__account_manager")
    if user is not None and not sees_all(user):
        rows = rows.filter(client__account_manager=user)
    return rows


def flagged_clients(audit: Audit, *, user=None):
    return audit_clients(audit, user=user).filter(is_flagged=True)


def unprofitable_unflagged(audit: Audit) -> int:
    """The unprofitable clients the portfolio's figures count that no flag puts up for review: the
    former clients (nothing is left to decide on them), said beside the count so that it matches
    the flags."""
    return AuditClient.objects.filter(
        audit=audit, in_portfolio=True, is_unprofitable=True, is_flagged=False
    ).count()


# Step 1: the data-quality checks -----------------------------------------------------------------


@dataclass
class Row:
    label: str
    url: str
    key: str


@dataclass
class Check:
    code: str
    title: str
    explanation: str
    count: int = 0
    rows: list[Row] = field(default_factory=list)
    acknowledgement: CheckAcknowledgement | None = None

    @property
    def more(self) -> int:
        """Affected rows beyond those listed."""
        return self.count - len(self.rows)

    @property
    def is_clear(self) -> bool:
        return self.count == 0 or self.acknowledgement is not None


CHECKS = {
    "no_invoices": (
        gettext_lazy("Clients without invoices in the period"),
        gettext_lazy("Their revenue is zero: check that no invoice is missing from the ledger."),
    ),
    "staff_without_cost": (
        gettext_lazy("Interactions by staff without an hourly cost in force"),
        gettext_lazy("Their time costs nothing in the cost to serve until an hourly cost is entered."),
    ),
    "no_cost_of_sales": (
        gettext_lazy("Invoices without cost of sales"),
        gettext_lazy("Their margin is taken at the default margin rate."),
    ),
    "untrusted_ledger": (
        gettext_lazy("Ledger states the figures cannot trust"),
        gettext_lazy("Payments above an invoice's amount, or payments on a credit note."),
    ),
    "no_primary_contact": (
        gettext_lazy("Clients without a primary contact"),
        gettext_lazy("A letter to them would have no addressee."),
    ),
}


def _audited_client_ids(audit: Audit):
    return AuditClient.objects.filter(audit=audit).values("client_id")


def _before_first_cost() -> Q:
    """Interactions with no hourly cost in force on their day: a staff member's costs run from their
    first "in force from" date on, so what lacks one is what comes before it, or any interaction of
    staff with no cost at all. One condition per staff member with costs (a few dozen), instead of a
    lookup per interaction."""
    first = dict(
        StaffCost.objects.values("user_id")
        .annotate(first=Min("effective_from"))
        .values_list("user_id", "first")
    )
    condition = ~Q(staff_id__in=list(first))
    for user_id, day in first.items():
        condition |= Q(staff_id=user_id, started_at__lt=local_midnight(day))
    return condition


def _check_querysets(audit: Audit) -> dict:
    start, end = audit.period_start, audit.period_end
    ids = _audited_client_ids(audit)
    in_period = Invoice.objects.filter(client=OuterRef("client_id"), issued_on__gte=start, issued_on__lte=end)
    return {
        # A client won after the period could not have been invoiced in it.
        "no_invoices": AuditClient.objects.filter(audit=audit)
        .exclude(status__in=[Client.Status.PROSPECT, Client.Status.FORMER])
        .exclude(client__acquired_on__gt=end)
        .exclude(Exists(in_period))
        .select_related("client")
        .order_by("client__name", "client_id"),
        "staff_without_cost": Interaction.objects.filter(
            client_id__in=ids,
            started_at__gte=local_midnight(start),
            started_at__lt=local_midnight(end + dt.timedelta(days=1)),
        )
        .filter(_before_first_cost())
        .select_related("client", "staff")
        .order_by("staff_id", "started_at"),
        "no_cost_of_sales": Invoice.objects.filter(
            client_id__in=ids,
            issued_on__gte=start,
            issued_on__lte=end,
            cost_of_sales__isnull=True,
            amount__gt=0,
        )
        .select_related("client")
        .order_by("issued_on", "number"),
        # Read from the payments' side: the invoices with payments, their totals grouped once.
        "untrusted_ledger": Invoice.objects.filter(
            client_id__in=ids,
            pk__in=Payment.objects.values("invoice_id")
            .annotate(total=Sum("amount"))
            # Over by a cent or more: SQLite sums decimals as floats (878.93 paid in full can add up
            # to 878.9300000001), and money is kept to the cent.
            .filter(
                Q(invoice__amount__lt=0)
                | Q(total__gt=F("invoice__amount") - F("invoice__written_off") + HALF_CENT)
            )
            .values("invoice_id"),
        )
        .select_related("client")
        .order_by("issued_on", "number"),
        "no_primary_contact": AuditClient.objects.filter(audit=audit)
        .exclude(status__in=[Client.Status.PROSPECT, Client.Status.FORMER])
        .exclude(Exists(Contact.objects.filter(client=OuterRef("client_id"), is_primary=True)))
        .select_related("client")
        .order_by("client__name", "client_id"),
    }


def check_row(code, item) -> Row:
    if code in ("no_invoices", "no_primary_contact"):
        target = "clients:detail" if code == "no_invoices" else "admin:clients_client_change"
        return Row(
            label=item.client.name, url=reverse(target, args=[item.client_id]), key=str(item.client_id)
        )
    if code == "staff_without_cost":
        staff = display.person(item.staff)
        label = _("%(staff)s, %(minutes)s min with %(client)s on %(day)s") % {
            "staff": staff,
            "minutes": item.duration_minutes,
            "client": item.client.name,
            "day": date_format(timezone.localtime(item.started_at).date(), "SHORT_DATE_FORMAT"),
        }
        return Row(
            label=label,
            url=f"{reverse('admin:clients_staffcost_add')}?user={item.staff_id}",
            key=str(item.pk),
        )
    label = _("Invoice %(number)s of %(client)s: %(amount)s") % {
        "number": item.number,
        "client": item.client.name,
        "amount": display.money(item.amount),
    }
    return Row(label=label, url=reverse("admin:clients_invoice_change", args=[item.pk]), key=str(item.pk))


KEYED_BY_CLIENT = ("no_invoices", "no_primary_contact")
KEYS_KEPT = 1000  # affected rows an acknowledgement records


def checks_run(audit: Audit) -> dict:
    """Run the five checks on the ledger as it is now (the audit's computation does, in the
    background): per check, the count, the first rows' keys and the keys an acknowledgement covers."""
    found = {}
    for code, queryset in _check_querysets(audit).items():
        field = "client_id" if code in KEYED_BY_CLIENT else "pk"
        keys = list(queryset.values_list(field, flat=True)[:KEYS_KEPT])
        count = len(keys) if len(keys) < KEYS_KEPT else queryset.count()
        found[code] = {"count": count, "keys": [str(k) for k in keys]}
    return found


def _stored_checks(audit: Audit) -> dict:
    info = getattr(audit, "portfolio", None)
    if info is not None and info.checks:
        return info.checks
    return checks_run(audit)


def audit_checks(audit: Audit, *, rows: bool = True) -> list[Check]:
    """The five checks as the last computation found them, with their first ROWS_SHOWN rows (read
    again by key, to show them as they are now) and their acknowledgements."""
    acks = {
        a.check_code: a
        for a in CheckAcknowledgement.objects.filter(audit=audit, row="").select_related("user")
    }
    stored = _stored_checks(audit)
    querysets = _check_querysets(audit) if rows else {}
    checks = []
    for code, (title, explanation) in CHECKS.items():
        found = stored.get(code, {"count": 0, "keys": []})
        check = Check(
            code=code,
            title=str(title),
            explanation=str(explanation),
            count=found["count"],
            acknowledgement=acks.get(code),
        )
        if rows and check.count:
            shown = [int(k) for k in found["keys"][:ROWS_SHOWN]]
            field = "client_id__in" if code in KEYED_BY_CLIENT else "pk__in"
            check.rows = [check_row(code, item) for item in querysets[code].filter(**{field: shown})]
        checks.append(check)
    return checks


def check_rows(audit: Audit, code: str):
    """Every row a check finds in the ledger as it is now, in the check's order (None: no such
    check); ``check_row`` shows one."""
    if code not in CHECKS:
        return None
    return _check_querysets(audit)[code]


def check_affected_keys(audit: Audit, code: str) -> list[str]:
    return _stored_checks(audit).get(code, {}).get("keys", [])


# What holds a step back ------------------------------------------------------------------------


def step_blockers(audit: Audit, step: int, *, checks: list[Check] | None = None) -> list[str]:
    """Why the audit cannot leave ``step`` forward (empty: it can). ``checks``: step 1's checks when
    the caller has them already."""
    blockers = []
    if not audit.is_computed or audit.is_computing:
        blockers.append(_("The audit's figures are not computed yet."))
        return blockers
    if step == Audit.Step.IDENTIFY:
        for check in checks if checks is not None else audit_checks(audit, rows=False):
            if not check.is_clear:
                blockers.append(
                    ngettext(
                        "Check “%(check)s” has %(count)s affected row: fix it or acknowledge the check with a reason.",
                        "Check “%(check)s” has %(count)s affected rows: fix them or acknowledge it with a reason.",
                        check.count,
                    )
                    % {"check": check.title, "count": check.count}
                )
    elif step == Audit.Step.FLAGS:
        undecided = audit.flags_undecided
        if undecided:
            blockers.append(
                ngettext(
                    "%(count)s flagged client has no review yet: confirm or override its flag.",
                    "%(count)s flagged clients have no review yet: confirm or override each flag.",
                    undecided,
                )
                % {"count": undecided}
            )
    elif step == Audit.Step.STRATEGY:
        if audit.flags_undecided:
            blockers.append(_("Some flags are not reviewed yet (step 4)."))
        missing = audit.decisions_missing
        if missing:
            blockers.append(
                ngettext(
                    "%(count)s flagged client has no decision yet.",
                    "%(count)s flagged clients have no decision yet.",
                    missing,
                )
                % {"count": missing}
            )
        leaving = [
            decision.client
            for decision in Decision.objects.filter(
                audit=audit, kind=Decision.Kind.TRANSITION
            ).select_related("client")
        ]
        blockers.extend(
            _("%(decision)s: %(refusal)s Choose another decision.")
            % {"decision": Decision.Kind.TRANSITION.label, "refusal": refusal}
            for refusal in phase_out_refusals(leaving).values()
        )
        acknowledged = set(RiskAcknowledgement.objects.filter(audit=audit).values_list("risk", flat=True))
        for risk in RiskAcknowledgement.Risk:
            if risk.value not in acknowledged:
                blockers.append(_("Risk “%(risk)s” is not acknowledged.") % {"risk": risk.label})
    return blockers


def audit_counts(audit: Audit) -> dict[str, int]:
    """What holds steps 4 and 5 back, counted over the audit's rows (the values the audit keeps in
    ``flags_undecided`` and ``decisions_missing``)."""
    return {"flags_undecided": undecided_flags(audit), "decisions_missing": decisions_missing(audit)}


def flags_decided(audit: Audit) -> int:
    """The flagged clients with a decision (an "invest" decision on a client no flag brought to step
    5 is not one of them; ``invested_decisions`` lists those)."""
    flagged = AuditClient.objects.filter(audit=audit, is_flagged=True, client_id=OuterRef("client_id"))
    return Decision.objects.filter(audit=audit).filter(Exists(flagged)).count()


def stale_decisions(audit: Audit):
    """The decisions that no longer stand (a queryset): "invest" on a client no longer in the top
    tier, any other on a client whose flag is not (or no longer) confirmed: overridden at step 4
    since, or gone at a refresh of the figures."""
    row = AuditClient.objects.filter(audit=audit, client_id=OuterRef("client_id"))
    confirmed = FlagReview.objects.filter(
        audit=audit, client_id=OuterRef("client_id"), verdict=FlagReview.Verdict.CONFIRM
    )
    invest = Q(kind=Decision.Kind.INVEST)
    return Decision.objects.filter(audit=audit).filter(
        (invest & ~Exists(row.filter(tier=1)))
        | (~invest & ~(Exists(row.filter(is_flagged=True)) & Exists(confirmed)))
    )


def undecided_flags(audit: Audit) -> int:
    reviewed = FlagReview.objects.filter(audit=audit, client_id=OuterRef("client_id"))
    return AuditClient.objects.filter(audit=audit, is_flagged=True).exclude(Exists(reviewed)).count()


def decisions_missing(audit: Audit) -> int:
    """Flagged clients whose flag finance confirmed and that have no decision (an overridden flag
    needs none: the client is kept as it is)."""
    confirmed = FlagReview.objects.filter(
        audit=audit, client_id=OuterRef("client_id"), verdict=FlagReview.Verdict.CONFIRM
    )
    decided = Decision.objects.filter(audit=audit, client_id=OuterRef("client_id"))
    return (
        AuditClient.objects.filter(audit=audit, is_flagged=True)
        .filter(Exists(confirmed))
        .exclude(Exists(decided))
        .count()
    )


# Step 4 and 5 rows ------------------------------------------------------------------------------


def attach_reviews(audit: Audit, rows: list[AuditClient]) -> list[AuditClient]:
    """Each row with its review, decision and comments (three queries for a page of rows)."""
    ids = [row.client_id for row in rows]
    reviews = {
        r.client_id: r
        for r in FlagReview.objects.filter(audit=audit, client_id__in=ids).select_related("user")
    }
    decisions = {
        d.client_id: d for d in Decision.objects.filter(audit=audit, client_id__in=ids).select_related("user")
    }
    comments: dict[int, list] = {}
    for comment in AuditComment.objects.filter(audit=audit, client_id__in=ids).select_related("user"):
        comments.setdefault(comment.client_id, []).append(comment)
    for row in rows:
        row.review = reviews.get(row.client_id)  # type: ignore[attr-defined]  # for the page: not a field
        row.decision = decisions.get(row.client_id)  # type: ignore[attr-defined]  # for the page: not a field
        row.comment_list = comments.get(row.client_id, [])  # type: ignore[attr-defined]  # for the page: not a field
    return rows


def invested_decisions(audit: Audit):
    """The "invest" decisions on top-tier clients that no flag brought to step 5."""
    flagged = AuditClient.objects.filter(audit=audit, is_flagged=True, client_id=OuterRef("client_id"))
    return (
        Decision.objects.filter(audit=audit, kind=Decision.Kind.INVEST)
        .exclude(Exists(flagged))
        .select_related("client", "user")
        .order_by("client__name")
    )


def risk_checklist(audit: Audit) -> list[tuple[str, StrOrPromise, RiskAcknowledgement | None]]:
    """The risk checklist in its order: each risk's code, label and acknowledgement (or None)."""
    acks = {a.risk: a for a in RiskAcknowledgement.objects.filter(audit=audit).select_related("user")}
    return [(value, label, acks.get(value)) for value, label in RiskAcknowledgement.Risk.choices]


# The period ------------------------------------------------------------------------------------


def period_month_count(audit: Audit) -> Decimal:
    """The period's length in months (a quarter: 3; 12 months: 12), at least one."""
    days = (audit.period_end - audit.period_start).days + 1
    return max(Decimal(1), (Decimal(days) / (Decimal("365.25") / 12)).quantize(Decimal(1)))


# What an account manager reads of an audit's own history: where it stands, not finance's reasons
# and notes (a check's or a risk's speak of the whole scope, other managers' clients included).
AUDIT_MILESTONES = ("audit.started", "audit.refreshed", "audit.step_changed", "audit.completed")


def audit_history(audit: Audit, *, user):
    """The audit's history as ``user`` may read it, newest first: every entry for those who see every
    client; for an account manager, the entries about the audit itself and those about their own
    clients. An entry about one client names it in ``data["client"]`` (its id; an expense's entry,
    its name): an account manager sees such an entry only when the id is one of their clients'."""
    entries = activity_for(audit)
    if sees_all(user):
        return entries
    own = list(visible(Client.objects.all(), user).values_list("pk", flat=True))
    return entries.filter(Q(action__in=AUDIT_MILESTONES) | Q(data__client__in=own))


def last_change(audit: Audit):
    """The latest activity-log entry on the audit (who changed what, when), or None."""
    return activity_for(audit).first()
