"""The forms of the profitability pages: the seed calculator and the cost settings (in groups,
each field with what it drives)."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audits.profitability import portfolio
from clients import display
from clients.models import CostSettings
from clients.models.costs import number_list, validate_ageing_limits, validate_boundaries
from clients.validators import LocalisedLimits

#: The smallest day cost the calculator shows, and so the smallest it divides by.
MIN_DAY_COST = Decimal("0.01")


def _figure(label, *, minimum, maximum=None, max_digits=14, help_text=""):
    """A figure with two decimals (an amount by default), from ``minimum`` and up to ``maximum`` if given."""
    validators = [MinValueValidator(Decimal(minimum))]
    if maximum is not None:
        validators.append(MaxValueValidator(Decimal(maximum)))
    return forms.DecimalField(
        label=label, max_digits=max_digits, decimal_places=2, validators=validators, help_text=help_text
    )


class SeedCalculatorForm(LocalisedLimits, forms.Form):
    """Effort in money -> effort in days at a day cost derived from an income and a margin rate."""

    effort = _figure(_("Effort"), minimum="0", help_text=_("What prospecting a client may cost, in money."))
    annual_income = _figure(
        _("Annual income"), minimum="0.01", help_text=_("The income the day cost is derived from.")
    )
    margin_rate = _figure(_("Margin rate (%)"), max_digits=5, minimum="0.01", maximum="100")
    working_days = forms.IntegerField(
        label=_("Working days per year"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    charge_coefficient = _figure(_("Charge coefficient"), max_digits=4, minimum="0.01")

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


# The cost settings -------------------------------------------------------------------------------

FIELDSETS = (
    (_("Late payment and margins"), ("late_payment_rate", "default_margin_rate")),
    (_("Staff cost and day cost"), ("charge_coefficient", "working_days", "hours_per_day")),
    (_("Acquisition and referrals"), ("amortisation_months", "referral_share")),
    (_("Tiers"), ("tier_boundaries", "trimmed_share")),
    (_("ABC classes and flags"), ("class_a_limit", "class_b_limit", "marginal_below")),
    (
        _("Concentration risk"),
        (
            "top1_amber",
            "top1_red",
            "top5_amber",
            "top5_red",
            "top10_amber",
            "top10_red",
            "hhi_amber",
            "hhi_red",
        ),
    ),
    (_("Overheads"), ("overheads_per_month", "overhead_allocation")),
    (_("Payment behaviour"), ("ageing_limits",)),
)

HELP = {
    "late_payment_rate": _(
        "Used for the late-payment cost: each day past the due date, the amount still open (amount - "
        "written off - payments made before that day) x rate / 365, summed over the days of the period."
    ),
    "default_margin_rate": _("Gross margin of an invoice whose cost of sales is blank."),
    "charge_coefficient": _(
        "The seed calculator starts from it (an income / the margin rate / the working days x this "
        "coefficient is a day cost). The figures use each person's hourly cost, which holds the charges "
        "already."
    ),
    "working_days": _("Working days in a year: the seed calculator starts from it."),
    "hours_per_day": _(
        "Working hours in a day: the staff's hourly costs x these hours give the day cost that the "
        "prospects' budgets are read in."
    ),
    "amortisation_months": _("The acquisition cost is spread over this many months from the date acquired."),
    "referral_share": _(
        "Share of referred clients' gross margin credited to the referrer as indirect value."
    ),
    "tier_boundaries": format_lazy(
        "{} {}",
        _(
            "Multiples of the mean gross margin per client, ascending, e.g. 0.8, 1.2 for three tiers; "
            "give three or four for four or five tiers."
        ),
        _("With decimal commas, separate them with semicolons: 0,8; 1,2."),
    ),
    "trimmed_share": _("Share of clients dropped at each end before taking the mean (e.g. 5)."),
    "class_a_limit": _("Clients making up to this cumulative share of revenue are class A."),
    "class_b_limit": _("Then class B up to this share; the rest are class C."),
    "marginal_below": _("A profitable client with a net margin below this is flagged marginal."),
    "top1_amber": _("Share of revenue of the largest client that turns the indicator amber."),
    "top1_red": _("... and red."),
    "top5_amber": _("Share of revenue of the five largest clients that turns the indicator amber."),
    "top5_red": _("... and red."),
    "top10_amber": _("Share of revenue of the ten largest clients that turns the indicator amber."),
    "top10_red": _("... and red."),
    "hhi_amber": _("Herfindahl-Hirschman index (sum of squared revenue shares in %) that turns amber."),
    "hhi_red": _("... and red."),
    "overheads_per_month": _("Overheads shared among clients for net profit after overhead."),
    "overhead_allocation": _("How the overheads are shared among clients."),
    "ageing_limits": _("Three limits in days past due, e.g. 30, 60, 90: the ageing buckets."),
}


class CostSettingsForm(LocalisedLimits, forms.ModelForm):
    """All the settings; the model's validators and ``clean`` put their messages on the fields."""

    class Meta:
        model = CostSettings
        fields = [name for _legend, names in FIELDSETS for name in names]
        help_texts = HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser refuses what the server refuses: number inputs carry the model's bounds.
        for name, field in self.fields.items():
            if not isinstance(field.widget, forms.NumberInput):
                continue
            for validator in CostSettings._meta.get_field(name).validators:
                if isinstance(validator, MinValueValidator):
                    field.widget.attrs["min"] = validator.limit_value
                elif isinstance(validator, MaxValueValidator):
                    field.widget.attrs["max"] = validator.limit_value
        self.fields["overheads_per_month"].widget.attrs["min"] = 0

    # A list typed with semicolons and decimal commas ("0,8; 1,2") is kept as the settings write it.
    def clean_tier_boundaries(self):
        value = self.cleaned_data["tier_boundaries"]
        validate_boundaries(value)  # as typed: "1,5" may be one number or two
        return ", ".join(number_list(value))

    def clean_ageing_limits(self):
        value = self.cleaned_data["ageing_limits"]
        validate_ageing_limits(value)
        return ", ".join(number_list(value))

    def fieldsets(self):
        """(legend, bound fields, whether the group holds the tier settings) in display order."""
        return [
            (legend, [self[name] for name in names], "tier_boundaries" in names)
            for legend, names in FIELDSETS
        ]

    @property
    def proposed_tiers(self):
        """The proposed boundaries (as numbers) and trimmed share (%), when both are valid."""
        data = getattr(self, "cleaned_data", {})
        if "tier_boundaries" not in data or "trimmed_share" not in data:
            return None
        boundaries = CostSettings(tier_boundaries=data["tier_boundaries"]).boundaries
        return boundaries, data["trimmed_share"]
