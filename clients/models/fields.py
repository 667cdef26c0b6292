"""The field shapes the ledger's models share: money, percentages, the link to a client, optional links."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# The years a date of the ledger (or an audit's period) may fall in: a date outside them is a typing
# mistake, and the figures' arithmetic (a month before, a day after) would leave the calendar.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def validate_ledger_date(value):
    """A date (or moment) of the ledger lies in the years FIRST_YEAR to LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Enter a date from the year %(first)s to the year %(last)s."),
            code="date_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


def ledger_date_field(verbose_name, **kwargs):
    """A date of the ledger, of an audit's period or of a transition (``validate_ledger_date``)."""
    return models.DateField(verbose_name, validators=[validate_ledger_date], **kwargs)


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def percent_field(verbose_name, default, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        **kwargs,
    )


def client_field(*, on_delete, related_name):
    """The link from a row of the ledger to the client it was recorded on."""
    return models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=on_delete, related_name=related_name
    )


def user_field(verbose_name, *, on_delete, related_name, **kwargs):
    """The link from a row to a person who works here (an account manager, a staff member, an uploader)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=on_delete,
        related_name=related_name,
        **kwargs,
    )


def optional_link(to, verbose_name, *, related_name="+", **kwargs):
    """A link that may be missing, and is let go (set to null) when the row it points to is deleted."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        **kwargs,
    )
