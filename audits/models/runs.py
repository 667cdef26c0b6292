"""A profitability run: one computation of the snapshots, queued, run, retried and recorded."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models.fields import optional_link


class ProfitabilityRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped: another run was in progress")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Nightly schedule")
        MANUAL = "manual", _("Requested by a user")
        COMMAND = "command", _("Management command")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger, default=Trigger.SCHEDULE)
    requested_by = optional_link(settings.AUTH_USER_MODEL, _("requested by"))
    as_of = models.DateField(_("as of"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    client_count = models.PositiveIntegerField(_("clients"), default=0)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("profitability run")
        verbose_name_plural = _("profitability runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="run_status_finished")]

    def __str__(self):
        return f"{self.as_of} {self.get_status_display()}"

    @property
    def is_active(self):
        return self.status in self.ACTIVE
