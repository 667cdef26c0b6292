"""The audit's forms. Each write form carries the audit's version (stale forms are refused by the
services)."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audits.models import Audit, Decision, FlagReview
from clients.forms import ClientReferenceField, PersonChoiceField
from clients.models import Client, Expense
from clients.models.fields import validate_ledger_date
from clients.periods import add_months
from clients.roles import ACCOUNT_MANAGERS
from clients.validators import LocalisedLimits

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionForm(LocalisedLimits, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AuditStartForm(LocalisedLimits, forms.Form):
    PERIODS = [
        ("rolling", _("The 12 months ending today")),
        ("year", _("A calendar year")),
        ("quarter", _("A quarter")),
        ("dates", _("Two dates")),
    ]

    title = forms.CharField(label=_("Title"), max_length=200)
    period = forms.ChoiceField(
        label=_("Which period"), choices=PERIODS, initial="rolling", widget=forms.RadioSelect
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1990, max_value=2100)
    quarter = forms.ChoiceField(
        label=_("Quarter"),
        required=False,
        choices=[
            ("", "—"),
            ("1", pgettext_lazy("quarter", "Q1")),
            ("2", pgettext_lazy("quarter", "Q2")),
            ("3", pgettext_lazy("quarter", "Q3")),
            ("4", pgettext_lazy("quarter", "Q4")),
        ],
    )
    start = forms.DateField(label=_("From"), required=False, widget=DATE, validators=[validate_ledger_date])
    end = forms.DateField(label=_("To"), required=False, widget=DATE, validators=[validate_ledger_date])
    scope = forms.ChoiceField(label=_("Clients"), choices=Audit.Scope.choices, initial=Audit.Scope.ALL)
    manager = PersonChoiceField(
        label=_("Account manager"),
        required=False,
        queryset=get_user_model()
        .objects.filter(groups__name=ACCOUNT_MANAGERS)
        .order_by("first_name", "username"),
    )
    # The segments the clients have (one per spelling, whatever its capitals), not free text that a
    # typo would turn into an audit of no client.
    segment = forms.ChoiceField(label=_("Segment"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        segments: dict[str, str] = {}
        for name in Client.objects.exclude(segment="").values_list("segment", flat=True).distinct():
            segments.setdefault(name.strip().casefold(), name.strip())
        self.fields["segment"].choices = [
            ("", "—"),
            *((name, name) for name in sorted(segments.values(), key=str.casefold)),
        ]
        today = timezone.localdate()
        self.fields["year"].initial = today.year - 1
        self.fields["title"].initial = _("Client audit %(year)s") % {"year": today.year}

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        period = data.get("period")
        if period == "rolling":
            data["period_start"], data["period_end"] = add_months(today, -12) + dt.timedelta(days=1), today
        elif period == "year":
            year = data.get("year")
            if not year:
                self.add_error("year", _("Give the year."))
            else:
                data["period_start"], data["period_end"] = dt.date(year, 1, 1), dt.date(year, 12, 31)
        elif period == "quarter":
            year, quarter = data.get("year"), data.get("quarter")
            if not year or not quarter:
                self.add_error("quarter", _("Give the year and the quarter."))
            else:
                first = dt.date(year, 3 * int(quarter) - 2, 1)
                data["period_start"] = first
                data["period_end"] = add_months(first, 3) - dt.timedelta(days=1)
        elif period == "dates":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                self.add_error("end", _("Give both dates."))
            elif end < start:
                self.add_error("end", _("The period ends before it starts."))
            else:
                data["period_start"], data["period_end"] = start, end
        if data.get("period_start") and data["period_start"] > today:
            self.add_error("period", _("The period starts in the future: there is nothing to audit yet."))
        scope = data.get("scope")
        if scope == Audit.Scope.MANAGER and not data.get("manager"):
            self.add_error("manager", _("Choose the account manager."))
        if scope == Audit.Scope.SEGMENT and not (data.get("segment") or "").strip():
            self.add_error("segment", _("Give the segment."))
        return data


class CheckForm(VersionForm):
    code = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=2000)


def client_input(*, former: bool = False):
    """A client typed by its reference or its name, with the matches offered as one types (former
    clients among them with ``former``)."""
    search = format_lazy("{}{}", reverse_lazy("clients:search"), "?former=1" if former else "")
    return forms.TextInput(attrs={"size": 24, "data-client-search": search})


class ExpenseForm(VersionForm):
    # A former client's costs in the audit's period count as any other's.
    client = ClientReferenceField(
        label=_("Client"), queryset=Client.objects.all(), widget=client_input(former=True)
    )
    spent_on = forms.DateField(label=_("Date"), widget=DATE)
    category = forms.ChoiceField(label=_("Category"), choices=Expense.Category.choices)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class StaffCostForm(VersionForm):
    staff = PersonChoiceField(
        label=_("Staff member"),
        queryset=get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username"),
    )
    effective_from = forms.DateField(label=_("In force from"), widget=DATE)
    hourly_cost = forms.DecimalField(label=_("Hourly cost"), max_digits=10, decimal_places=2, min_value=0)


class ReviewForm(VersionForm):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=FlagReview.Verdict.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.TextInput(attrs={"size": 50}),
        error_messages={"required": _("Give the reason for this review.")},
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write the comment first.")},
    )


class DecisionForm(VersionForm):
    kind = forms.ChoiceField(label=_("Decision"), choices=Decision.Kind.choices)
    uplift = forms.DecimalField(label=_("Price increase (%)"), required=False, max_digits=7, decimal_places=2)
    hours_per_month = forms.DecimalField(
        label=_("Hours cut per month"), required=False, max_digits=10, decimal_places=2
    )
    months = forms.IntegerField(label=_("Over (months)"), required=False, min_value=1, max_value=60)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.TextInput(attrs={"size": 36})
    )

    # The field each kind of decision takes (the others are hidden while that kind is chosen, by
    # static/js/app.js: ``data-switch``, ``data-when``).
    FIELD_OF_KIND = {
        Decision.Kind.REPRICE: "uplift",
        Decision.Kind.REDUCE: "hours_per_month",
        Decision.Kind.TRANSITION: "months",
    }

    def __init__(self, *args, top_tier=False, phase_out_refusal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["data-switch"] = ""
        for kind, name in self.FIELD_OF_KIND.items():
            self.fields[name].widget.attrs["data-when"] = kind
        #: Why "transition out" is not offered, if it is not.
        self.phase_out_refusal = phase_out_refusal
        left_out = {
            kind
            for kind, refused in (
                (Decision.Kind.INVEST, not top_tier),
                (Decision.Kind.TRANSITION, phase_out_refusal),
            )
            if refused
        }
        self.fields["kind"].choices = [c for c in Decision.Kind.choices if c[0] not in left_out]

    @classmethod
    def for_row(cls, row, *, version, months, phase_out_refusal=None):
        """The form of one flagged client at step 5: its decision if there is one, else "keep", the
        price increase and the hours cut per month prefilled from its break-even levers (the hours
        to cut over the period, spread over its ``months``), over 6 months for a transition.
        With a ``phase_out_refusal`` (``transitions.selectors.phase_out_refusals``), "transition
        out" is not offered, unless it is the decision already taken, which step 5 then lists as a
        blocker."""
        decision = row.decision
        if decision and decision.kind == Decision.Kind.TRANSITION:
            phase_out_refusal = None
        uplift = decision.uplift if decision and decision.uplift is not None else None
        if uplift is None and row.breakeven_price_increase:
            uplift = (row.breakeven_price_increase * 100).quantize(Decimal("0.01"))
        hours = decision.hours_per_month if decision and decision.hours_per_month is not None else None
        if hours is None and row.breakeven_hours_to_cut:
            hours = (row.breakeven_hours_to_cut / months).quantize(Decimal("0.01"))
        initial = {
            "version": version,
            "kind": decision.kind if decision else "keep",
            "uplift": uplift,
            "hours_per_month": hours,
            "months": decision.months if decision and decision.months else 6,
            "reason": decision.reason if decision else "",
        }
        return cls(
            initial=initial,
            top_tier=row.tier == 1,
            phase_out_refusal=phase_out_refusal,
            auto_id=f"dc{row.client_id}_%s",
        )


class InvestForm(VersionForm):
    client = ClientReferenceField(label=_("Client"), queryset=Client.objects.all(), widget=client_input())
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.TextInput(attrs={"size": 50}))


class RiskForm(VersionForm):
    risk = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=2000, widget=forms.TextInput(attrs={"size": 60}))


class MoveForm(VersionForm):
    step = forms.IntegerField(min_value=1, max_value=5)


class CompleteForm(VersionForm):
    outcome = forms.CharField(
        label=_("Outcome"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


def validation_message(form) -> str:
    """A form's errors as one line for a message at the top of a step page, since it stands away
    from the field: Django's own words after the field's label ("Amount: Enter a number."), the
    form's own words ("Give the reason for this review.") as they are."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        for message in errors:
            if field is not None and field.label and not field.widget.is_hidden and _generic(field, message):
                message = _("%(field)s: %(problem)s") % {"field": field.label, "problem": message}
            parts.append(str(message))
    return " ".join(parts)


def _generic(field, message) -> bool:
    """Whether ``message`` is one of Django's words for the field's kind, not the project's own."""
    defaults: dict[str, object] = {}
    for kind in reversed(type(field).__mro__):
        if kind.__module__.startswith("django."):
            defaults.update(getattr(kind, "default_error_messages", {}))
    own = {str(text) for key, text in field.error_messages.items() if defaults.get(key) != text}
    return str(message) not in own
