"""The parties: clients (and prospects) and their contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients import access
from clients.keys import CaseInsensitiveKey
from clients.models.fields import client_field, ledger_date_field, money_field, optional_link, user_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The clients a user may see (the rule is ``clients.access.visible``)."""
        return access.visible(self, user)


class Client(CaseInsensitiveKey, models.Model):
    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        TRANSITIONING = "transitioning", _("Transitioning")
        FORMER = "former", _("Former")

    name = models.CharField(_("name"), max_length=200)
    external_ref = models.CharField(
        _("external reference"),
        max_length=64,
        help_text=_("The client's reference in your other systems; the key for imports."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    account_manager = user_field(
        _("account manager"), on_delete=models.PROTECT, related_name="managed_clients", null=True, blank=True
    )
    segment = models.CharField(_("segment / industry"), max_length=100, blank=True)
    acquired_on = ledger_date_field(_("acquired on"), null=True, blank=True)
    acquisition_cost = money_field(
        _("acquisition cost"),
        null=True,
        blank=True,
        help_text=_("What winning this client cost; blank if unknown, 0 if it cost nothing."),
    )
    referred_by = optional_link("self", _("referred by"), related_name="referrals")
    is_strategic = models.BooleanField(_("strategic"), default=False)
    strategic_reason = models.TextField(_("why strategic"), blank=True)
    estimated_annual_margin = money_field(
        _("estimated annual gross margin"),
        null=True,
        blank=True,
        help_text=_("For prospects: places the prospect in a tier."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        permissions = [
            ("view_all_clients", _("Can see every account manager's clients")),
            ("import_data", _("Can import ledger files")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(acquisition_cost__gte=0), name="client_acquisition_cost_not_negative"
            ),
            models.CheckConstraint(condition=~Q(referred_by=F("pk")), name="client_not_referred_by_itself"),
            models.UniqueConstraint(
                Lower("external_ref"),
                name="client_external_ref_unique_ignoring_case",
                violation_error_message=_("Another client already has this external reference."),
            ),
        ]
        indexes = [models.Index(fields=["account_manager", "name"])]

    # What a person records about a client, typed in the client form or imported (the file's columns,
    # in this order).
    RECORDED_FIELDS = (
        "external_ref",
        "name",
        "status",
        "account_manager",
        "segment",
        "acquired_on",
        "acquisition_cost",
        "referred_by",
        "is_strategic",
        "strategic_reason",
        "estimated_annual_margin",
        "notes",
    )

    key_field = "external_ref"
    key_clash_message = _(
        "Another client already has the external reference “%(existing)s”; "
        "references are compared regardless of case."
    )

    def __str__(self):
        return f"{self.name} ({self.external_ref})"

    def get_absolute_url(self):
        return reverse("clients:detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The status as stored, for ``clean``: a transition, not a form or a file, moves it to and
        # from "transitioning" (audits.transitions.services).
        instance._stored_status = instance.__dict__.get("status")
        return instance

    def status_problem(self) -> StrOrPromise | None:
        """Why a form, the admin or a file may not give the client its status, or None: a client is
        "transitioning" while, and only while, a transition is open for it, and the transition moves
        it there and out."""
        stored = getattr(self, "_stored_status", None)
        if stored == self.status:
            return None
        if stored == self.Status.TRANSITIONING:
            return _(
                "This client is being phased out: its status follows its transition (complete or cancel "
                "it on the Transitions page)."
            )
        if self.status == self.Status.TRANSITIONING:
            return _(
                "A client becomes “transitioning” when a transition is planned for it, on the Transitions page."
            )
        return None

    def clean(self):
        errors = {}
        if self.is_strategic and not self.strategic_reason.strip():
            errors["strategic_reason"] = _("Say why this client is strategic.")
        # Said here, on the field, before the database constraint would say it by its name.
        if self.acquisition_cost is not None and self.acquisition_cost < 0:
            errors["acquisition_cost"] = _("An acquisition cost cannot be negative (0 if it cost nothing).")
        if self.referred_by_id and self.referred_by_id == self.pk:
            errors["referred_by"] = _("A client cannot refer itself.")
        problem = self.status_problem()
        if problem:
            errors["status"] = problem
        if errors:
            raise ValidationError(errors)


def firm_language() -> str:
    """The firm's default language (the installation's ``LANGUAGE_CODE``): the language of the letters
    to a contact whose language is not known."""
    return settings.LANGUAGE_CODE[:2]


def language_name(code: str) -> str:
    """The name of a language of ``settings.LANGUAGES``, in the user's language ("French", "Français")."""
    return str(dict(settings.LANGUAGES).get(code, code))


class Contact(models.Model):
    client = client_field(on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=100, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The language this contact reads: letters are written in it. Blank means the firm's default."
        ),
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "email"], name="contact_unique_email_per_client"),
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="contact_one_primary_per_client"
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    @property
    def letter_language(self) -> str:
        """The language letters to this contact are written in: theirs, else the firm's default."""
        return self.language or firm_language()

    @property
    def letter_language_name(self) -> str:
        return language_name(self.letter_language)
