"""Costs: the expenses recorded on a client, and the cost settings every figure reads."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models.fields import client_field, ledger_date_field, money_field, percent_field


class Expense(models.Model):
    class Category(models.TextChoices):
        COMMISSION = "commission", _("Commission")
        TRAVEL = "travel", _("Travel")
        EQUIPMENT = "equipment", _("Equipment")
        TOOLING = "tooling", _("Tooling")
        DISCOUNT = "discount", _("Discount")
        OTHER = "other", _("Other")

    client = client_field(on_delete=models.PROTECT, related_name="expenses")
    spent_on = ledger_date_field(_("date"))
    category = models.CharField(_("category"), max_length=16, choices=Category)
    amount = money_field(_("amount"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on"]
        constraints = [
            models.UniqueConstraint(fields=["client", "spent_on", "category"], name="expense_natural_key"),
        ]
        indexes = [
            models.Index(fields=["client", "spent_on"], include=["amount"], name="expense_client"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount} on {self.spent_on}"

    def clean(self):
        super().clean()
        if self.spent_on is not None and self.spent_on > timezone.localdate():
            raise ValidationError({"spent_on": _("An expense cannot be dated in the future.")})


# The widest tier boundary (a multiple of the mean gross margin) and ageing limit (days past due)
# the settings take: beyond them a figure means nothing, and the arithmetic would overflow.
MAX_BOUNDARY = 100
MAX_AGEING_DAYS = 3650


def number_list(value: str) -> list[str]:
    """The numbers of a list as typed: separated by commas ("0.8, 1.2"), or by semicolons where they
    are written with decimal commas, as in French, Dutch or Romanian ("0,8; 1,2")."""
    if ";" in value:
        return [part.strip().replace(",", ".") for part in value.split(";")]
    return [part.strip() for part in value.split(",")]


LIST_OF_NUMBERS = _(
    "Enter numbers separated by commas with decimal points (0.8, 1.2), or by semicolons with decimal "
    "commas (0,8; 1,2)."
)


def validate_boundaries(value):
    # Where the language writes decimal commas, "1,5" reads as one number or as two boundaries.
    decimal_comma = get_format("DECIMAL_SEPARATOR") == ","
    if decimal_comma and ";" not in value and "." not in value and re.search(r"\d,\d", value):
        raise ValidationError(
            _(
                "Is the comma a decimal comma? Separate the numbers with semicolons (0,8; 1,2), "
                "or write the decimals with a point (0.8, 1.2)."
            )
        )
    try:
        numbers = [Decimal(part) for part in number_list(value)]
    except ArithmeticError as exc:
        raise ValidationError(LIST_OF_NUMBERS) from exc
    if not all(n.is_finite() for n in numbers):
        raise ValidationError(LIST_OF_NUMBERS)
    if not 2 <= len(numbers) <= 4:
        raise ValidationError(_("Give two to four boundaries (three to five tiers)."))
    if any(n <= 0 for n in numbers) or numbers != sorted(set(numbers)):
        raise ValidationError(_("Boundaries must be positive and strictly increasing."))
    if numbers[0] < Decimal("0.01") or numbers[-1] > MAX_BOUNDARY:
        raise ValidationError(
            _("Each boundary is a multiple of the mean gross margin from %(least)s to %(most)s.")
            % {"least": number_format(Decimal("0.01")), "most": MAX_BOUNDARY}
        )


def validate_ageing_limits(value):
    try:
        numbers = [int(part) for part in number_list(value)]
    except ValueError as exc:
        raise ValidationError(_("Enter whole numbers of days separated by commas.")) from exc
    if len(numbers) != 3 or any(n <= 0 for n in numbers) or numbers != sorted(set(numbers)):
        raise ValidationError(_("Give three increasing numbers of days, e.g. 30, 60, 90."))
    if numbers[-1] > MAX_AGEING_DAYS:
        raise ValidationError(
            _("An ageing limit is at most %(most)s days past due.") % {"most": MAX_AGEING_DAYS}
        )


class CostSettings(models.Model):
    """The one row of cost settings; every change is kept in history. Which figure each setting drives:
    ``docs/figures.md``, under the figure that names it."""

    class OverheadAllocation(models.TextChoices):
        HOURS = "hours", _("By service hours")
        REVENUE = "revenue", _("By revenue")
        NONE = "none", _("Not shared")

    late_payment_rate = percent_field(_("annual financing rate for late payment (%)"), "8")
    default_margin_rate = percent_field(_("default gross margin rate (%)"), "50")
    charge_coefficient = models.DecimalField(
        _("employer charge coefficient"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.5"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    working_days = models.PositiveSmallIntegerField(
        _("working days per year"),
        default=218,
        validators=[MinValueValidator(1), MaxValueValidator(366, _("A year has at most 366 days."))],
    )
    hours_per_day = models.DecimalField(
        _("hours per day"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("7"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
    )
    amortisation_months = models.PositiveSmallIntegerField(
        _("acquisition cost amortisation (months)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
    )
    referral_share = percent_field(_("referral credit share (%)"), "10")
    tier_boundaries = models.CharField(
        _("tier boundaries (multiples of mean gross margin)"),
        max_length=64,
        default="0.8, 1.2",
        validators=[validate_boundaries],
    )
    trimmed_share = percent_field(_("trimmed share at each end for the mean (%)"), "0")
    class_a_limit = percent_field(_("class A limit (cumulative share, %)"), "80")
    class_b_limit = percent_field(_("class B limit (cumulative share, %)"), "95")
    marginal_below = percent_field(_("marginal when net margin below (%)"), "5")
    top1_amber = percent_field(_("top-1 share amber (%)"), "10")
    top1_red = percent_field(_("top-1 share red (%)"), "20")
    top5_amber = percent_field(_("top-5 share amber (%)"), "30")
    top5_red = percent_field(_("top-5 share red (%)"), "50")
    top10_amber = percent_field(_("top-10 share amber (%)"), "50")
    top10_red = percent_field(_("top-10 share red (%)"), "70")
    # The HHI of a portfolio runs from 0 to 10,000 (one client).
    hhi_amber = models.PositiveIntegerField(
        _("HHI amber"), default=1500, validators=[MaxValueValidator(10000)]
    )
    hhi_red = models.PositiveIntegerField(_("HHI red"), default=2500, validators=[MaxValueValidator(10000)])
    overheads_per_month = money_field(_("overheads per month"), default=Decimal("0.00"))
    overhead_allocation = models.CharField(
        _("overheads shared"), max_length=8, choices=OverheadAllocation, default=OverheadAllocation.HOURS
    )
    ageing_limits = models.CharField(
        _("ageing bucket limits (days past due)"),
        max_length=32,
        default="30, 60, 90",
        validators=[validate_ageing_limits],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost settings")
        verbose_name_plural = _("cost settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(class_a_limit__lt=F("class_b_limit")), name="costsettings_class_limits"
            ),
            models.CheckConstraint(
                condition=Q(overheads_per_month__gte=0), name="costsettings_overheads_not_negative"
            ),
        ]

    def __str__(self):
        return str(_("Cost settings"))

    def clean(self):
        errors = {}
        limits = (self.class_a_limit, self.class_b_limit)
        if None not in limits and limits[0] >= limits[1]:
            errors["class_b_limit"] = _("Class B limit must be above the class A limit.")
        for name in ("top1", "top5", "top10", "hhi"):
            if getattr(self, f"{name}_amber") >= getattr(self, f"{name}_red"):
                errors[f"{name}_red"] = _("The red threshold must be above the amber one.")
        # Trimmed at each end: half or more at each end would leave no client for the mean.
        if self.trimmed_share is not None and self.trimmed_share >= 50:
            errors["trimmed_share"] = _(
                "Must be under 50: trimmed at both ends, the mean must keep some clients."
            )
        # Said here, on the field, before the database constraint would say it by its name.
        if self.overheads_per_month is not None and self.overheads_per_month < 0:
            errors["overheads_per_month"] = _("Overheads cannot be negative.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls):
        """The single row, created with the defaults on first use."""
        obj = cls.objects.order_by("pk").first()
        if obj is None:
            obj = cls.objects.create()
        return obj

    @property
    def boundaries(self):
        return [Decimal(part) for part in number_list(self.tier_boundaries)]

    @property
    def ageing(self):
        return [int(part) for part in number_list(self.ageing_limits)]
