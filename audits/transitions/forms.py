"""Forms of the transitions pages: each validates input and leaves the writing to a service."""

import re

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from audits.models import AlternativeProvider, Letter, Letterhead, LetterTemplate, Transition
from audits.models.transitions import LANGUAGE_CHOICES
from audits.transitions import placeholders
from clients.access import visible
from clients.forms import ClientReferenceField
from clients.models import Client
from clients.validators import LocalisedLimits


class WebsiteField(forms.URLField):
    """A web address as people type it ("dupont.example" becomes https://dupont.example): a text box
    the browser does not refuse for its missing scheme, checked here."""

    widget = forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url", "spellcheck": "false"})


class TypedAmountField(forms.DecimalField):
    """An amount typed in the user's locale, as the pages write it: the decimal comma of French,
    Dutch or Romanian (``localize``), and the spaces that group thousands ("1 000,50")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"\s", "", value)  # Unicode spaces too: no-break, narrow no-break
        return super().to_python(value)


class TransitionCreateForm(forms.Form):
    client = ClientReferenceField(
        queryset=Client.objects.none(),
        label=_("Client"),
        to_field_name="external_ref",
        widget=forms.TextInput(
            attrs={"placeholder": _("name or reference, e.g. C00042"), "autocomplete": "off"}
        ),
        help_text=_("Type part of the client's name or the start of its reference, then pick it."),
        error_messages={"invalid_choice": _("No current client you can see has this reference.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this client is phased out."),
    )
    end_date = forms.DateField(
        label=_("End date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day of service; expected revenue falls to zero by that month."),
    )
    language = forms.ChoiceField(
        label=_("Language of the letters"),
        choices=[("", _("The contact's language")), *LANGUAGE_CHOICES],
        required=False,
        help_text=_(
            "Prefilled with the language of the client's primary contact (the firm's default when it has "
            "none); choose another if the letters should be in another language."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = visible(
            Client.objects.filter(status__in=[Client.Status.ACTIVE, Client.Status.TRANSITIONING]), user
        )
        self.fields["client"].widget.attrs["data-client-search"] = reverse("clients:search")
        chosen = self.initial.get("client")
        if isinstance(chosen, Client):
            self.initial["client"] = chosen.external_ref


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Transition.Stage.choices)


class ScheduleForm(LocalisedLimits, forms.Form):
    """The end date and one amount per month of the schedule (fields ``month_YYYY_MM``)."""

    end_date = forms.DateField(
        label=_("End date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A new end date makes a new linear schedule from the average revenue."),
    )

    def __init__(self, *args, transition, **kwargs):
        super().__init__(*args, initial={"end_date": transition.end_date}, **kwargs)
        self.months = list(transition.months.all())
        for row in self.months:
            self.fields[self.key(row.month)] = TypedAmountField(
                label=row.month,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                initial=row.expected_revenue,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
            )

    @staticmethod
    def key(month):
        return f"month_{month:%Y_%m}"

    def month_fields(self):
        return [(row, self[self.key(row.month)]) for row in self.months]

    def amounts(self):
        return {row.month: self.cleaned_data[self.key(row.month)] for row in self.months}


class ProvidersForm(forms.Form):
    providers = forms.ModelMultipleChoiceField(
        queryset=AlternativeProvider.objects.filter(active=True),
        label=_("Alternatives to propose"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ProviderForm(forms.ModelForm):
    website = WebsiteField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = AlternativeProvider
        fields = ["name", "services", "segments", "contact", "website", "notes", "active"]
        widgets = {"services": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}


def _keeping_its_html(body: str) -> str:
    """A body whose HTML letters keep, else the form's errors (``placeholders.html_problems``)."""
    found = placeholders.html_problems(body)
    if found:
        raise forms.ValidationError(found)
    return body


class PlaceholderTextMixin:
    """Subject and body may hold only the declared placeholders; the errors list what is allowed."""

    def _placeholder_clean(self, name):
        value = self.cleaned_data[name]
        found = placeholders.problems(value)
        if found:
            raise forms.ValidationError(found)
        return value

    def clean_subject(self):
        return " ".join(self._placeholder_clean("subject").split())

    def clean_body(self):
        return _keeping_its_html(self._placeholder_clean("body"))


class LetterTemplateForm(PlaceholderTextMixin, forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 22, "class": "editor"})}


class LetterForm(forms.ModelForm):
    """A letter's final text. Values are already in it, so braces are plain text here; the body is
    still Markdown whose HTML is sanitised wherever it is shown."""

    class Meta:
        model = Letter
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 22, "class": "editor"})}

    def _filled(self, name):
        value = self.cleaned_data[name]
        left = placeholders.unfilled(value)
        if left:
            raise forms.ValidationError(
                _(
                    "%(fields)s would be sent as written: a letter's placeholders are filled in when it is "
                    "drafted from its template. Write the words themselves here."
                )
                % {"fields": ", ".join(left)}
            )
        return value

    def clean_subject(self):
        return " ".join(self._filled("subject").split())

    def clean_body(self):
        return _keeping_its_html(self._filled("body"))


class SendForm(forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(choices=Letter.Channel.choices)


class LetterheadForm(forms.ModelForm):
    website = WebsiteField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Letterhead
        fields = ["name", "logo_text", "address", "email", "phone", "website"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class PreviewForm(forms.Form):
    """Which client a template is previewed for, by reference (a portfolio holds too many for a list)."""

    client = forms.CharField(label=_("Client reference"), required=False, max_length=64)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_client(self):
        ref = self.cleaned_data["client"].strip()
        if not ref:
            return None
        client = visible(Client.objects.all(), self.user).filter(external_ref__iexact=ref).first()
        if client is None:
            raise forms.ValidationError(_("No client you can see has this reference."))
        return client
