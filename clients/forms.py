import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _

from clients import display
from clients.access import sees_all
from clients.keys import key_matches
from clients.models import Client, Interaction
from clients.roles import ACCOUNT_MANAGERS


class PersonChoiceField(forms.ModelChoiceField):
    """The choice of a user, each named as everywhere else (``display.person``)."""

    def label_from_instance(self, obj):
        return display.person(obj)


class ClientReferenceField(forms.ModelChoiceField):
    """A client typed by its external reference, whatever its capitals (as the imports match it),
    or by its name where no reference matches and one client alone bears it."""

    default_error_messages = {
        "invalid_choice": _("Unknown client reference “%(value)s”."),
        "ambiguous": _("Several clients are named “%(value)s”: type the reference of the one you mean."),
        "partial": _(
            "No client is named “%(value)s”; its name is part of: %(names)s. Type the reference of the one you mean."
        ),
    }
    # Clients whose name holds what was typed, offered where no name is the same: at most this many.
    SUGGESTED = 5

    def to_python(self, value):
        if value in self.empty_values:
            return None
        reference = str(value).strip()
        if not reference:
            return None  # only spaces: nothing typed (a required field says so)
        try:
            return self.queryset.get(key_matches("external_ref", [reference]))
        except self.queryset.model.DoesNotExist:
            named = list(self.queryset.filter(name__iexact=reference)[:2])
            if len(named) == 1:
                return named[0]
            if named:
                code, params = "ambiguous", {"value": reference}
            else:
                near = self.queryset.filter(name__icontains=reference).order_by("name", "pk")
                names = [f"{client.name} ({client.external_ref})" for client in near[: self.SUGGESTED]]
                code = "partial" if names else "invalid_choice"
                params = {"value": reference, "names": "; ".join(names)}
            raise ValidationError(self.error_messages[code], code=code, params=params) from None


class InteractionForm(forms.ModelForm):
    """The quick log: client among the user's own, kind, date (today), minutes, note."""

    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    time = forms.TimeField(label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        widget=forms.NumberInput(attrs={"min": 1, "step": 1, "placeholder": "30", "inputmode": "numeric"}),
    )

    class Meta:
        model = Interaction
        fields = ["client", "kind", "duration_minutes", "note"]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["client"].queryset = (
            Client.objects.visible_to(user)
            .exclude(status=Client.Status.FORMER)
            .only("pk", "name", "external_ref")
        )
        if self._many_clients(user):
            # A list of hundreds of thousands of clients would weigh megabytes on every page:
            # past a few hundred, the user types the client's external reference instead.
            self.fields["client"] = ClientReferenceField(
                queryset=self.fields["client"].queryset,
                label=self.fields["client"].label,
                to_field_name="external_ref",
                widget=forms.TextInput(
                    attrs={
                        "placeholder": _("name or reference, e.g. C00042"),
                        "autocomplete": "off",
                        "data-client-search": reverse("clients:search"),
                    }
                ),
                help_text=_("Type part of the client's name or the start of its reference, then pick it."),
                error_messages={"invalid_choice": _("No client has this external reference.")},
            )
            chosen = self.initial.get("client") or (self.instance.client_id if self.instance.pk else None)
            if isinstance(chosen, int) or (isinstance(chosen, str) and chosen.isdigit()):
                ref = Client.objects.filter(pk=chosen).values_list("external_ref", flat=True).first()
                self.initial["client"] = ref
            elif isinstance(chosen, Client):
                self.initial["client"] = chosen.external_ref
        today = timezone.localdate()
        self.fields["date"].widget.attrs.update(
            min=Interaction.earliest_day(today).isoformat(), max=today.isoformat()
        )
        self.order_fields(["client", "kind", "date", "time", "duration_minutes", "note"])
        if self.instance.pk:
            local = timezone.localtime(self.instance.started_at)
            self.initial.setdefault("date", local.date())
            self.initial.setdefault("time", local.time().replace(second=0, microsecond=0))

    LIST_AT_MOST = 500

    def _many_clients(self, user):
        if sees_all(user):
            return True
        return self.fields["client"].queryset[: self.LIST_AT_MOST + 1].count() > self.LIST_AT_MOST

    def clean_duration_minutes(self):
        minutes = self.cleaned_data["duration_minutes"]
        if minutes is None or minutes <= 0:
            raise forms.ValidationError(_("The duration must be at least one minute."))
        return minutes  # no more than a day: Interaction.clean

    def clean(self):
        data = super().clean()
        day = data.get("date")
        if day:
            when = data.get("time")
            if when is None:
                # No time given: now for today, nine o'clock for an earlier day.
                now = timezone.localtime()
                when = now.time().replace(microsecond=0) if day == now.date() else dt.time(9)
            problem = Interaction.day_problem(day)
            if problem:
                self.add_error("date", problem)
            else:
                data["started_at"] = timezone.make_aware(dt.datetime.combine(day, when))
                self._check_not_logged(data, day, when)
        return data

    def _check_not_logged(self, data, day, when):
        """One interaction per client, person and minute (the natural key imports match on): a
        second one at the same moment (two calls of a day logged without a time, both at nine) is
        asked for its own time."""
        client = data.get("client")
        staff = self.instance.staff_id if self.instance.pk else self.user.pk
        if client is None:
            return
        taken = Interaction.objects.filter(client=client, staff_id=staff, started_at=data["started_at"])
        if taken.exclude(pk=self.instance.pk).exists():
            self.add_error(
                "time",
                _(
                    "You already logged an interaction with this client at %(time)s on %(day)s: give this one its own time."
                )
                % {"time": time_format(when, "TIME_FORMAT"), "day": date_format(day, "DATE_FORMAT")},
            )

    def interaction_fields(self) -> dict:
        """The interaction the valid form describes, as the services take it (the date and time
        made one ``started_at``)."""
        data = self.cleaned_data
        return {name: data[name] for name in ("client", "kind", "started_at", "duration_minutes", "note")}


class ClientForm(forms.ModelForm):
    field_order = ["name", "external_ref"]

    class Meta:
        model = Client
        fields = list(Client.RECORDED_FIELDS)
        field_classes = {"account_manager": PersonChoiceField}
        widgets = {
            "acquired_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "strategic_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        managers = get_user_model().objects.filter(groups__name=ACCOUNT_MANAGERS, is_active=True)
        self.fields["account_manager"].queryset = managers.order_by("first_name", "username")
        self.fields["referred_by"].queryset = (
            Client.objects.visible_to(user).exclude(pk=self.instance.pk).only("pk", "name", "external_ref")
        )
        if not sees_all(user):
            # An account manager keeps their own clients: they cannot hand them over or
            # change the figures finance owns. The referrer may be another manager's client, so the
            # field is left out rather than listing clients they may not see.
            del self.fields["referred_by"]
            for name in ("account_manager", "external_ref", "acquisition_cost"):
                self.fields[name].disabled = True
