"""Money and percentages in the user's locale, with the installation's currency."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()


@register.filter
def money(value, places=2):
    """1234.5 -> '1,234.50 EUR' (English) or '1 234,50 EUR' (French); blank stays a dash."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    return f"{number_format(amount, decimal_pos=int(places), use_l10n=True, force_grouping=True)}\u00a0{settings.CURRENCY}"


@register.filter
def amount(value, places=2):
    """Like money, without the currency (for table columns headed with it)."""
    if value in (None, ""):
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    return number_format(number, decimal_pos=int(places), use_l10n=True, force_grouping=True)


@register.filter
def percent(value, places=1):
    """A share (0.8) as a percentage ('80.0 %'); undefined stays a dash."""
    if value in (None, ""):
        return "—"
    try:
        share = Decimal(value) * 100
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    return f"{number_format(share, decimal_pos=int(places), use_l10n=True, force_grouping=True)}\u00a0%"


@register.filter
def sub(value, other):
    """value - other, for Decimals in templates (None stays None)."""
    if value is None or other is None:
        return None
    return Decimal(value) - Decimal(other)


@register.filter
def hours(minutes):
    """Minutes as hours with one decimal."""
    if minutes in (None, ""):
        return "—"
    return number_format(Decimal(minutes) / 60, decimal_pos=1, use_l10n=True, force_grouping=True)
