from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from audits import portfolio
from clients import display

#: The smallest day cost the calculator shows, and so the smallest it divides by.
MIN_DAY_COST = Decimal("0.01")


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

    def clean(self):
        data = super().clean()
        names = ("annual_income", "margin_rate", "working_days", "charge_coefficient")
        if any(data.get(name) is None for name in names):
            return data  # each missing or refused field has its own message
        cost = portfolio.money(
            portfolio.day_cost(
                annual_income=data["annual_income"],
                margin_rate=data["margin_rate"] / 100,
                working_days=data["working_days"],
                charge_coefficient=data["charge_coefficient"],
            )
        )
        if cost < MIN_DAY_COST:
            raise forms.ValidationError(
                _(
                    "These figures give a day cost below %(minimum)s, which cannot be counted in days. "
                    "Raise the annual income or the charge coefficient, or lower the margin rate or "
                    "the working days."
                )
                % {"minimum": display.money(MIN_DAY_COST)},
                code="day_cost_too_small",
            )
        data["day_cost"] = cost
        return data
