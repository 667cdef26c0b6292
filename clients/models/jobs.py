"""Import jobs: an uploaded ledger file, kept between its preview and its import."""

import uuid

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.models.fields import user_field


class ImportJob(models.Model):
    """An uploaded ledger file, kept between its preview and its import.

    The key is a random UUID and every view filters on the owner, so a job is reachable only by
    the user who uploaded it. The file is stored in the row, so a Celery worker on another machine
    reads the same bytes.
    """

    class Kind(models.TextChoices):
        CLIENTS = "clients", _("Clients")
        CONTACTS = "contacts", _("Contacts")
        INTERACTIONS = "interactions", _("Interactions")
        INVOICES = "invoices", _("Invoices")
        PAYMENTS = "payments", _("Payments")
        EXPENSES = "expenses", _("Expenses")

    class Status(models.TextChoices):
        PREVIEW_PENDING = "preview_pending", _("Waiting to be checked")
        PREVIEW_RUNNING = "preview_running", _("Being checked")
        PREVIEWED = "previewed", _("Checked")
        IMPORT_PENDING = "import_pending", _("Waiting to be imported")
        IMPORT_RUNNING = "import_running", _("Being imported")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Not imported")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = user_field(_("uploaded by"), on_delete=models.CASCADE, related_name="import_jobs")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Written every few seconds while the job runs, by its worker (clients/imports/heartbeat.py).
    heartbeat_at = models.DateTimeField(_("last sign of its worker"), null=True, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file content"))
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PREVIEW_PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    rows_new = models.PositiveIntegerField(_("new rows"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated rows"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("first rows"), default=dict, blank=True)
    changes = models.JSONField(_("what the updates change"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_user_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename}"

    def get_absolute_url(self):
        return reverse("imports:detail", args=[self.pk])

    @property
    def is_running(self):
        return self.status in {
            self.Status.PREVIEW_PENDING,
            self.Status.PREVIEW_RUNNING,
            self.Status.IMPORT_PENDING,
            self.Status.IMPORT_RUNNING,
        }

    @property
    def failure_reason(self):
        """The reason of a job that failed as a whole (its worker stopped, the queue was unreachable,
        the file could not be read), not because of its rows; "" otherwise."""
        if self.status == self.Status.FAILED and self.error_count == 1 and self.errors:
            error = self.errors[0]
            if error.get("line") is None and not error.get("column"):
                return error.get("message", "")
        return ""

    @property
    def can_confirm(self):
        return self.status == self.Status.PREVIEWED and self.error_count == 0

    @property
    def progress_percent(self):
        if not self.total_rows:
            return 0
        return min(100, round(self.processed_rows * 100 / self.total_rows))
