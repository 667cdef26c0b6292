"""The field shapes of the computed records (snapshots and audits): amounts, ratios, who acted.

Amounts computed over a portfolio are wider than the ledger's (``clients.models.fields.money_field``,
14 digits): 20 digits, room for the sum of a million of the largest invoices the ledger takes.
A ratio has 28 digits, 22 before the point: room for the largest of those sums over a cent, times
the days of a year (a DSO), as the 28 significant digits of Python's ``Decimal`` compute it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY_DIGITS = 20
SHARE_DIGITS = 28


def money(verbose_name, **kwargs):
    kwargs.setdefault("default", 0)
    return models.DecimalField(verbose_name, max_digits=MONEY_DIGITS, decimal_places=2, **kwargs)


def money_or_none(verbose_name):
    return models.DecimalField(verbose_name, max_digits=MONEY_DIGITS, decimal_places=2, null=True, blank=True)


def share(verbose_name):
    """A ratio (0.25 = 25 %), undefined where its denominator is zero."""
    return models.DecimalField(verbose_name, max_digits=SHARE_DIGITS, decimal_places=6, null=True, blank=True)


def who():
    """The user who made a decision or a review (kept: a user with decisions cannot be deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
