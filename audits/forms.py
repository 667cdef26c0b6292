from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _


class SeedCalculatorForm(forms.Form):
    """Effort in money -> effort in days at a day cost derived from an income and a margin rate."""

    effort = forms.DecimalField(
        label=_("Effort"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("What prospecting a client may cost, in money."),
    )
    annual_income = forms.DecimalField(
        label=_("Annual income"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The income the day cost is derived from."),
    )
    margin_rate = forms.DecimalField(
        label=_("Margin rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    working_days = forms.IntegerField(
        label=_("Working days per year"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    charge_coefficient = forms.DecimalField(
        label=_("Charge coefficient"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
