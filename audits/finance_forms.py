"""The cost settings form (DESIGN section 3), in groups, each field with what it drives."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from clients.models import CostSettings

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
        "Used for the late-payment cost: each day past the due date, the amount still unpaid x rate / 365."
    ),
    "default_margin_rate": _("Gross margin of an invoice whose cost of sales is blank."),
    "charge_coefficient": _("Multiplies salaries into loaded staff cost; also used for the day cost."),
    "working_days": _("Working days in a year, for staff cost and day cost."),
    "hours_per_day": _("Working hours in a day, for staff cost and the loaded daily cost."),
    "amortisation_months": _("The acquisition cost is spread over this many months from the date acquired."),
    "referral_share": _(
        "Share of referred clients' gross margin credited to the referrer as indirect value."
    ),
    "tier_boundaries": _(
        "Multiples of the mean gross margin per client, ascending, e.g. 0.8, 1.2 for three tiers; "
        "give three or four for four or five tiers."
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


class CostSettingsForm(forms.ModelForm):
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
