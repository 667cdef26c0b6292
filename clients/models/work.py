"""The work done for clients: what staff cost by the hour, and the interactions they log."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clients.models.fields import CENT, client_field, ledger_date_field, money_field, user_field


class StaffCost(models.Model):
    """A staff member's loaded hourly cost from a date on; earlier rows are the history."""

    user = user_field(_("staff member"), on_delete=models.CASCADE, related_name="staff_costs")
    effective_from = ledger_date_field(_("in force from"))
    hourly_cost = money_field(_("loaded hourly cost"))

    class Meta:
        verbose_name = _("staff cost")
        verbose_name_plural = _("staff costs")
        ordering = ["user", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["user", "effective_from"], name="staffcost_unique_date"),
            models.CheckConstraint(condition=Q(hourly_cost__gte=0), name="staffcost_not_negative"),
        ]

    def __str__(self):
        return f"{self.user} {self.hourly_cost}/h from {self.effective_from}"

    @staticmethod
    def hourly_from_salary(*, annual_salary, charge_coefficient, working_days, hours_per_day):
        """Annual salary x employer charge coefficient / (working days x hours per day)."""
        cost = Decimal(annual_salary) * Decimal(charge_coefficient)
        return (cost / (Decimal(working_days) * Decimal(hours_per_day))).quantize(
            CENT, rounding=ROUND_HALF_UP
        )


class Interaction(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        SUPPORT = "support", _("Support")
        DEMO = "demo", _("Demo")
        VISIT = "visit", _("Visit")
        PROPOSAL = "proposal", _("Proposal")

    client = client_field(on_delete=models.CASCADE, related_name="interactions")
    staff = user_field(_("staff member"), on_delete=models.PROTECT, related_name="interactions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    started_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="interaction_duration_positive"),
            models.UniqueConstraint(fields=["client", "staff", "started_at"], name="interaction_natural_key"),
        ]
        indexes = [
            models.Index(
                fields=["client", "started_at"],
                include=["duration_minutes", "staff"],
                name="interaction_client_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.client.name} {self.started_at:%Y-%m-%d}"

    YEARS_BACK = 10
    MINUTES_AT_MOST = 24 * 60

    @classmethod
    def earliest_day(cls, today):
        try:
            return today.replace(year=today.year - cls.YEARS_BACK)
        except ValueError:  # 29 February
            return today.replace(year=today.year - cls.YEARS_BACK, day=28)

    @classmethod
    def day_problem(cls, day):
        """Why an interaction cannot be dated `day` (a local date), or None: not in the future, and not
        more than ten years back (outside every figure, and no longer editable by its author)."""
        today = timezone.localdate()
        if day > today:
            return _("An interaction cannot be logged in the future.")
        earliest = cls.earliest_day(today)
        if day < earliest:
            return _("An interaction cannot be dated more than ten years back (before %(date)s).") % {
                "date": date_format(earliest, "DATE_FORMAT")
            }
        return None

    def clean(self):
        super().clean()
        errors = {}
        if self.started_at is not None:
            try:
                day = (
                    timezone.localtime(self.started_at).date()
                    if timezone.is_aware(self.started_at)
                    else self.started_at.date()
                )
            except OverflowError:
                day = dt.date.min
            problem = self.day_problem(day)
            if problem:
                errors["started_at"] = problem
        if self.duration_minutes is not None and self.duration_minutes > self.MINUTES_AT_MOST:
            errors["duration_minutes"] = _("An interaction cannot last more than a day.")
        if errors:
            raise ValidationError(errors)
