"""Transitions: phasing a client out politely.

A transition moves forward through its stages (or is cancelled), with a phase-out schedule of
expected revenue, the alternative providers proposed to the client, and the letters sent to them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models.fields import ledger_date_field, money_field, optional_link

LANGUAGE_CHOICES = [("en", _("English")), ("fr", _("French")), ("nl", _("Dutch")), ("ro", _("Romanian"))]


class Transition(models.Model):
    class Stage(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ANNOUNCED = "announced", _("Announced")
        ALTERNATIVES_OFFERED = "alternatives_offered", _("Alternatives offered")
        PHASING_OUT = "phasing_out", _("Phasing out")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    # The forward order; cancelled is reachable from any open stage.
    ORDER = [Stage.PLANNED, Stage.ANNOUNCED, Stage.ALTERNATIVES_OFFERED, Stage.PHASING_OUT, Stage.COMPLETED]
    OPEN = [Stage.PLANNED, Stage.ANNOUNCED, Stage.ALTERNATIVES_OFFERED, Stage.PHASING_OUT]
    # The date field of each stage.
    STAGE_DATES = {
        Stage.PLANNED: "planned_at",
        Stage.ANNOUNCED: "announced_at",
        Stage.ALTERNATIVES_OFFERED: "alternatives_offered_at",
        Stage.PHASING_OUT: "phasing_out_at",
        Stage.COMPLETED: "completed_at",
        Stage.CANCELLED: "cancelled_at",
    }

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="transitions"
    )
    stage = models.CharField(_("stage"), max_length=24, choices=Stage, default=Stage.PLANNED)
    reason = models.TextField(_("reason"))
    language = models.CharField(
        _("language of the letters"),
        max_length=2,
        choices=LANGUAGE_CHOICES,
        default="en",
        help_text=_("The language the client's contact reads; the letters are written in it."),
    )
    end_date = ledger_date_field(_("end date"))
    # The client's average monthly revenue over the 12 months before the transition: the revenue
    # the schedule starts from, and the baseline the loss is measured against.
    monthly_baseline = money_field(_("average monthly revenue before"), default=0)
    audit = optional_link(
        "audits.Audit",
        _("from the audit"),
        related_name="transitions",
        help_text=_("The audit whose decision started this transition, if any."),
    )
    providers = models.ManyToManyField(
        "audits.AlternativeProvider", verbose_name=_("proposed alternatives"), blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    planned_at = models.DateTimeField(_("planned"), default=timezone.now)
    announced_at = models.DateTimeField(_("announced"), null=True, blank=True)
    alternatives_offered_at = models.DateTimeField(_("alternatives offered"), null=True, blank=True)
    phasing_out_at = models.DateTimeField(_("phasing out"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["end_date", "pk"]
        permissions = [("manage_transitions", _("Can move transitions and send letters"))]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(stage__in=["planned", "announced", "alternatives_offered", "phasing_out"]),
                name="transition_one_open_per_client",
                violation_error_message=_("This client already has an open transition."),
            ),
        ]
        indexes = [models.Index(fields=["stage", "end_date"], name="transition_stage_end")]

    def __str__(self):
        return f"{self.client.name}: {self.get_stage_display()}"

    def get_absolute_url(self):
        return reverse("transitions:detail", args=[self.pk])

    @property
    def is_open(self):
        return self.stage in self.OPEN

    def next_stages(self):
        """The stages this transition may move to: any later one, or cancelled while open."""
        if not self.is_open:
            return []
        later = self.ORDER[self.ORDER.index(self.stage) + 1 :]
        return [*later, self.Stage.CANCELLED]

    def advance(self, stage, *, when=None):
        """Move to ``stage`` (forward only, or cancel) and date it; the caller saves and logs."""
        if stage not in self.next_stages():
            raise ValueError(f"A transition cannot go from {self.stage} to {stage}.")
        self.stage = stage
        setattr(self, self.STAGE_DATES[stage], when or timezone.now())

    def stage_track(self):
        """(label, date or None, state) for each stage in order, cancelled only when it was: the state
        is "current", "cancelled", "done" or blank (to come)."""
        stages = [*self.ORDER, *([self.Stage.CANCELLED] if self.stage == self.Stage.CANCELLED else [])]
        track = []
        for stage in stages:
            when = getattr(self, self.STAGE_DATES[stage])
            if stage == self.stage:
                state = "cancelled" if stage == self.Stage.CANCELLED else "current"
            else:
                state = "done" if when else ""
            track.append((stage.label, when, state))
        return track


class TransitionMonth(models.Model):
    """The revenue expected from the client in one month of the phase-out."""

    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="months")
    month = models.DateField(_("month"))  # the first day
    expected_revenue = money_field(_("expected revenue"))

    class Meta:
        verbose_name = _("phase-out month")
        verbose_name_plural = _("phase-out schedule")
        ordering = ["transition", "month"]
        constraints = [
            models.UniqueConstraint(fields=["transition", "month"], name="transition_month_unique"),
            models.CheckConstraint(
                condition=Q(expected_revenue__gte=0), name="transition_month_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.expected_revenue}"


class AlternativeProvider(models.Model):
    name = models.CharField(_("name"), max_length=200)
    services = models.TextField(_("services"))
    segments = models.CharField(_("segments served"), max_length=300, blank=True)
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alternative provider")
        verbose_name_plural = _("alternative providers")
        ordering = ["name"]

    def __str__(self):
        return self.name


class LetterTemplate(models.Model):
    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", _("Announcement")
        ALTERNATIVES = "alternatives", _("Alternatives")
        THANK_YOU = "thank_you", _("Final thank-you")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="letter_template_one_per_kind_language")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class Letter(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PDF = "pdf", _("PDF (by post)")

    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(_("kind"), max_length=16, choices=LetterTemplate.Kind)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.DRAFT)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel, blank=True)
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)
    sender = optional_link(settings.AUTH_USER_MODEL, _("sent by"))
    from_email = models.CharField(_("from"), max_length=300, blank=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The key of the send form that queued the letter: the same form posted again is recognised.
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["transition", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["transition", "kind"], name="letter_one_per_transition_kind"),
            models.UniqueConstraint(fields=["idempotency_key"], name="letter_idempotency_key_unique"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self):
        return reverse("transitions:letter", args=[self.pk])

    @property
    def editable(self):
        return self.state in (self.State.DRAFT, self.State.FAILED)

    @staticmethod
    def new_key():
        return uuid.uuid4()


class Letterhead(models.Model):
    """The company's letterhead on letters and PDFs: one row, edited by admins."""

    name = models.CharField(_("company name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    website = models.URLField(_("website"), blank=True)
    logo_text = models.CharField(
        _("logo text"), max_length=40, blank=True, help_text=_("A short mark shown at the top left.")
    )

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterhead")

    def __str__(self):
        return self.name

    @property
    def is_unset(self) -> bool:
        """Still the name letters carry before anyone filled the letterhead in."""
        return self.name.strip() in ("", settings.LETTERHEAD_UNSET_NAME)

    @classmethod
    def load(cls):
        """The one letterhead, made from the settings the first time."""
        defaults = dict(settings.LETTERHEAD)
        row, _created = cls.objects.get_or_create(pk=1, defaults=defaults)
        return row
