"""The field shapes of the computed records (snapshots and audits): amounts, ratios, who acted.

Amounts computed over a portfolio are wider than the ledger's (``clients.models.fields.money_field``):
16 digits, where a sum of invoices needs 14.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def money(verbose_name, **kwargs):
    kwargs.setdefault("default", 0)
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=2, **kwargs)


def money_or_none(verbose_name):
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=2, null=True, blank=True)


def share(verbose_name):
    """A ratio (0.25 = 25 %), undefined where its denominator is zero."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=6, null=True, blank=True)


def who():
    """The user who made a decision or a review (kept: a user with decisions cannot be deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
