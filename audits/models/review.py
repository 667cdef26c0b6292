"""The five-step client audit: the audit, the figures it holds, and what finance
and the account managers decided on it.

An audit's figures are copies: the engine computes them for the audit's own period and scope, and
they are written into the audit's rows (``AuditClient``, ``AuditPortfolio``), never read from the
nightly snapshots, which are replaced every night. A completed audit is read-only for everyone.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from audits.models.fields import who
from audits.models.figures import RankedFigures
from clients import display
from clients.models import Client
from clients.models.fields import ledger_date_field, user_field


class Audit(models.Model):
    class Scope(models.TextChoices):
        ALL = "all", _("All clients")
        MANAGER = "manager", _("One account manager's clients")
        SEGMENT = "segment", _("One segment")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", pgettext_lazy("an audit", "Completed")

    class Computation(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Computing")
        DONE = "done", _("Computed")
        FAILED = "failed", _("Failed")

    class Step(models.IntegerChoices):
        IDENTIFY = 1, _("Identify clients")
        COSTS = 2, _("Calculate costs")
        RANK = 3, _("Rank clients")
        FLAGS = 4, _("Unprofitable clients")
        STRATEGY = 5, _("Strategy")

    title = models.CharField(_("title"), max_length=200)
    period_start = ledger_date_field(_("period start"))
    period_end = ledger_date_field(_("period end"))
    scope = models.CharField(_("scope"), max_length=16, choices=Scope, default=Scope.ALL)
    scope_manager = user_field(
        _("account manager"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    scope_segment = models.CharField(_("segment"), max_length=100, blank=True)
    owner = user_field(_("owner"), on_delete=models.PROTECT, related_name="+")
    step = models.PositiveSmallIntegerField(_("step"), choices=Step, default=Step.IDENTIFY)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.IN_PROGRESS)
    outcome = models.TextField(_("outcome"), blank=True)
    # Without an outcome written at completion: the counts and net profits it is worded from when
    # read, in the reader's language (``outcome_text``).
    outcome_figures = models.JSONField(
        _("outcome figures"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Raised by every change finance makes: a form carries the version it was drawn from, and a
    # form drawn from an older version is refused (two finance users never overwrite each other).
    version = models.PositiveIntegerField(_("version"), default=1)
    computation = models.CharField(
        _("computation"), max_length=16, choices=Computation, default=Computation.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    computation_error = models.TextField(_("computation error"), blank=True)
    as_of = models.DateField(_("figures as of"), null=True, blank=True)
    computed_at = models.DateTimeField(_("figures computed"), null=True, blank=True)
    # What holds steps 4 and 5 back, kept with each review and decision (the services write them
    # under the audit's lock; a computation counts them again), so that no page counts the flagged
    # clients on each view: the flags without a review, and the confirmed flags without a decision.
    flags_undecided = models.PositiveIntegerField(_("flags without a review"), default=0)
    decisions_missing = models.PositiveIntegerField(_("confirmed flags without a decision"), default=0)

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("run_audit", _("Can run client audits")),
            ("comment_audit", _("Can comment on an audit's flags")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="audit_period"
            ),
            models.CheckConstraint(condition=models.Q(step__gte=1, step__lte=5), name="audit_step_range"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def is_computing(self) -> bool:
        return self.computation in (self.Computation.QUEUED, self.Computation.RUNNING)

    @property
    def is_computed(self) -> bool:
        return self.computation == self.Computation.DONE and self.computed_at is not None

    @property
    def outcome_text(self) -> str:
        """The outcome as written at completion, else worded from its figures in the active language:
        "2 decisions, 1 client to transition out; net profit 1,000.00 EUR, then 1,500.00 EUR."."""
        if self.outcome or not self.outcome_figures:
            return self.outcome
        return worded_outcome(**self.outcome_figures)

    def scope_label(self) -> str:
        if self.scope == self.Scope.MANAGER and self.scope_manager_id:
            manager = self.scope_manager
            assert manager is not None  # scope_manager_id is set: the user (or DoesNotExist)
            return str(_("Clients of %(name)s")) % {"name": display.person(manager)}
        if self.scope == self.Scope.SEGMENT:
            return str(_("Segment: %(segment)s")) % {"segment": self.scope_segment}
        return str(self.Scope.ALL.label)


def worded_outcome(*, decisions: int, leaving: int, before, after) -> str:
    return gettext("%(decisions)s, %(leaving)s; net profit %(before)s, then %(after)s.") % {
        "decisions": ngettext("%(count)s decision", "%(count)s decisions", decisions) % {"count": decisions},
        "leaving": ngettext(
            "%(count)s client to transition out", "%(count)s clients to transition out", leaving
        )
        % {"count": leaving},
        "before": display.money(before),
        "after": display.money(after),
    }


class AuditClient(RankedFigures):
    """One client in the audit's scope, with every figure the steps show, frozen with the audit."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="clients", db_index=False)
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Client.Status)
    in_portfolio = models.BooleanField(_("in the portfolio"), default=True)
    is_strategic = models.BooleanField(_("strategic"), default=False)
    is_flagged = models.BooleanField(_("flagged"), default=False)
    # The client's decision in this audit, if any: a join on (audit, client), no column of its own
    # (the what-if sums the decided clients in one statement: ``review.decisions``). Read-only: set
    # through it, it would set the row's audit and client.
    audit_decision = models.ForeignObject(
        "Decision",
        from_fields=["audit", "client"],
        to_fields=["audit", "client"],
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("audited client")
        verbose_name_plural = _("audited clients")
        ordering = ["audit_id", "rank_net_profit", "client_id"]
        constraints = [models.UniqueConstraint(fields=["audit", "client"], name="auditclient_one_per_client")]
        indexes = [
            models.Index(fields=["audit", "rank_net_profit"], name="auditclient_ranked"),
            models.Index(
                fields=["audit", "rank_net_profit"],
                condition=models.Q(is_flagged=True),
                name="auditclient_flagged",
            ),
            # The what-if's largest revenues (``review.selectors.what_if``).
            models.Index(
                "audit",
                models.F("revenue").desc(),
                "client",
                condition=models.Q(in_portfolio=True, revenue__gt=0),
                name="auditclient_revenue",
            ),
        ]

    def __str__(self):
        return f"{self.audit_id} {self.client_id}"

    @property
    def service_hours(self):
        from decimal import Decimal

        return Decimal(self.service_minutes) / 60


class AuditPortfolio(models.Model):
    """The portfolio figures of the audit's clients (Pareto, whale curve, tiers, concentration) and the
    cost settings' limits they were computed with, as the engine gave them."""

    audit = models.OneToOneField(Audit, on_delete=models.CASCADE, related_name="portfolio")
    figures = models.JSONField(_("portfolio figures"), default=dict, encoder=DjangoJSONEncoder)
    limits = models.JSONField(_("concentration limits"), default=dict, encoder=DjangoJSONEncoder)
    period_months = models.PositiveSmallIntegerField(_("months in the period"), default=12)
    # Step 1's checks as the computation found them: per check, the number of affected rows, the
    # first ones shown and the keys an acknowledgement covers (a fix counts at the next refresh).
    checks = models.JSONField(_("data-quality checks"), default=dict, blank=True)
    # The what-if's sums over the portfolio's clients, taken when the figures are computed: net
    # profit, and the positive revenues' sum and sum of squares (``review.selectors.what_if``).
    sums = models.JSONField(_("portfolio sums"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The what-if of the decisions as they stand, kept by every write that changes it (a decision, a
    # computation) so that step 5 reads it (``review.decisions.what_if_kept``).
    what_if = models.JSONField(_("what-if"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit portfolio figures")
        verbose_name_plural = _("audit portfolio figures")

    def __str__(self):
        return str(self.audit_id)


class CheckAcknowledgement(models.Model):
    """A data-quality check of step 1 accepted as it stands, with the reason and the rows it covered."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="acknowledgements")
    check_code = models.CharField(_("check"), max_length=32)
    row = models.CharField(_("row"), max_length=64, blank=True, help_text=_("Blank: every affected row."))
    rows = models.JSONField(_("affected rows"), default=list, blank=True)
    reason = models.TextField(_("reason"))
    user = who()
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("check acknowledgement")
        verbose_name_plural = _("check acknowledgements")
        ordering = ["check_code", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "check_code", "row"], name="auditcheck_once"),
        ]

    def __str__(self):
        return f"{self.audit_id} {self.check_code}"


class ClientRuling(models.Model):
    """What finance rules on one client of an audit (a flag's review, the decision): one row per
    client, replaced when it changes, with who changed it last and when. Each ruling names its link
    to the audit (``audit``)."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="+")
    user = who()
    created_at = models.DateTimeField(_("when"), auto_now=True)

    class Meta:
        abstract = True
        constraints = [models.UniqueConstraint(fields=["audit", "client"], name="%(class)s_one_per_client")]


class FlagReview(ClientRuling):
    class Verdict(models.TextChoices):
        CONFIRM = "confirm", _("Confirm the flag")
        OVERRIDE = "override", _("Override the flag")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="reviews")
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict)
    reason = models.TextField(_("reason"))

    class Meta(ClientRuling.Meta):
        verbose_name = _("flag review")
        verbose_name_plural = _("flag reviews")

    def __str__(self):
        return f"{self.audit_id} {self.client_id} {self.verdict}"

    @property
    def outcome(self) -> str:
        """What the review concluded, as a page, the report and the log say it: "Flag confirmed"
        (the verdict's label is the choice offered, "Confirm the flag")."""
        if self.verdict == self.Verdict.CONFIRM:
            return gettext("Flag confirmed")
        return gettext("Flag overridden")


class AuditComment(models.Model):
    """An account manager's comment on a flag of one of their clients."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="comments")
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    user = who()
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit comment")
        verbose_name_plural = _("audit comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["audit", "client"], name="auditcomment_client")]

    def __str__(self):
        return f"{self.audit_id} {self.client_id}"


class Decision(ClientRuling):
    class Kind(models.TextChoices):
        KEEP = "keep", _("Keep")
        REPRICE = "reprice", _("Reprice")
        REDUCE = "reduce", _("Reduce service")
        TRANSITION = "transition", _("Transition out")
        INVEST = "invest", _("Invest")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=16, choices=Kind)
    uplift = models.DecimalField(
        _("price increase (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    hours_per_month = models.DecimalField(
        _("hours cut per month"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    months = models.PositiveSmallIntegerField(_("over how many months"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta(ClientRuling.Meta):
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        indexes = [
            # Step 5 lists the few "invest" decisions among every decision of the audit.
            models.Index(fields=["audit"], condition=models.Q(kind="invest"), name="decision_invest"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.client_id}"


class RiskAcknowledgement(models.Model):
    class Risk(models.TextChoices):
        REVENUE = "revenue", _("Temporary revenue loss")
        REPUTATION = "reputation", _("Reputation")
        TEAM = "team", _("Team")
        CONCENTRATION = "concentration", _("Concentration")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="risks")
    risk = models.CharField(_("risk"), max_length=16, choices=Risk)
    note = models.TextField(_("note"))
    user = who()
    created_at = models.DateTimeField(_("when"), auto_now=True)

    class Meta:
        verbose_name = _("risk acknowledgement")
        verbose_name_plural = _("risk acknowledgements")
        constraints = [models.UniqueConstraint(fields=["audit", "risk"], name="auditrisk_once")]

    def __str__(self):
        return f"{self.audit_id} {self.risk}"
