"""Money, amounts, percentages and hours in the user's locale, rounded half-up (clients.display)."""

from decimal import Decimal

from django import template

from clients import display

register = template.Library()


@register.filter
def money(value, places=2):
    """1234.5 -> '1,234.50 EUR' (English) or '1 234,50 EUR' (French); blank stays a dash."""
    return display.money(value, int(places))


@register.filter
def amount(value, places=2):
    """Like money, without the currency (for table columns headed with it)."""
    return display.number(value, int(places))


@register.filter
def percent(value, places=1):
    """A share (0.8) as a percentage ('80.0 %'); undefined stays a dash."""
    return display.percent(value, int(places))


@register.filter
def sub(value, other):
    """value - other, for Decimals in templates (None stays None)."""
    if value is None or other is None:
        return None
    return Decimal(value) - Decimal(other)


@register.filter
def hours(minutes, places=1):
    """Minutes as hours with one decimal."""
    return display.hours(minutes, int(places))
