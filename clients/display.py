"""How every figure is shown: rounded half-up to the places shown, then written in the user's locale;
and how a person is named (`person`).

Pages, exports' text, command output and chart labels all go through `number` (or `money`, `percent`,
`hours`, built on it). Django's `number_format` cuts the decimals it does not show (77.996 at one place
reads 77.9, -0.99 at none reads "-0"), so the rounding is done here first, and a figure that rounds to
zero never shows a minus sign.
"""

import functools
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from django.conf import settings
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language, gettext, pgettext

DASH = "—"
NBSP = "\u00a0"
# Enough digits for any amount the ledger can hold (the money columns have 14), and their shares.
_CONTEXT = Context(prec=40, rounding=ROUND_HALF_UP)


def as_decimal(value) -> Decimal | None:
    """A Decimal from a Decimal, an int, a float (by its shortest repr) or a numeric string; else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value) if isinstance(value, float) else value)
        except (InvalidOperation, TypeError, ValueError):
            return None
    return number if number.is_finite() else None


def rounded(value, places: int = 2) -> Decimal | None:
    """`value` rounded half-up to `places` decimals (0.125 -> 0.13, -0.125 -> -0.13); never -0."""
    number = as_decimal(value)
    if number is None:
        return None
    result = number.quantize(Decimal(1).scaleb(-int(places)), context=_CONTEXT)
    return abs(result) if result.is_zero() else result


def number(value, places: int = 2, *, grouping: bool = True) -> str:
    """77.996 -> '78.0' at one place ('78,0' in French); thousands grouped; blank or not a number -> '—'."""
    result = rounded(value, places)
    if result is None:
        return DASH
    separators = _separators(get_language()) if grouping else None
    if separators is None:
        return number_format(result, decimal_pos=int(places), use_l10n=True, force_grouping=grouping)
    # What number_format writes, for the locales that group by threes: a page of figures formats
    # hundreds of them, and number_format looks its locale's formats up again for each.
    return f"{result:,.{int(places)}f}".translate(separators)


@functools.cache
def _separators(language: str | None) -> dict[int, str] | None:
    """The language's decimal and thousands separators, as a translation of Python's ',' and '.';
    None where the locale does not group digits by threes (number_format does it then)."""
    if get_format("NUMBER_GROUPING", language, use_l10n=True) != 3:
        return None
    decimal = get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
    thousands = get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
    return str.maketrans({".": decimal, ",": thousands})


def money(value, places: int = 2) -> str:
    """1234.5 -> '1,234.50 EUR' (English) or '1 234,50 EUR' (French), in the installation's currency."""
    text = number(value, places)
    return text if text == DASH else f"{text}{NBSP}{settings.CURRENCY}"


def percent(share, places: int = 1) -> str:
    """A share as a percentage: 0.9082 -> '90.8 %' at one place, '91 %' at none."""
    value = as_decimal(share)
    if value is None:
        return DASH
    return f"{number(value * 100, places)}{NBSP}%"


def hours(minutes, places: int = 1) -> str:
    """Minutes as hours: 95 -> '1.6'."""
    value = as_decimal(minutes)
    if value is None:
        return DASH
    return number(value / 60, places)


def compact(value, places: int | None = None) -> str:
    """A chart tick: 1,500,000 -> '1.5M', 400,000 -> '400k' ('400 k' in French), 950 -> '950'.

    The figure is rounded half-up first, thousands to whole ones and millions to one place, or to
    ``places`` (ticks every 2,500 read 2.5k, 5.0k, 7.5k with one place); the suffix and its spacing
    are the translator's. A figure that rounds to a thousand thousands reads in millions (999,999.5
    -> '1.0M', not '1,000k')."""
    amount = as_decimal(value)
    if amount is None:
        return ""
    in_thousands = 0 if places is None else places
    # ``amount`` is a finite Decimal, so the thousands are never None; rounded only under a million.
    if abs(amount) >= 1_000_000 or (
        (thousands := rounded(amount / 1_000, in_thousands)) is not None and abs(thousands) >= 1_000
    ):
        return pgettext("chart tick, millions", "%(number)sM") % {
            "number": number(amount / 1_000_000, 1 if places is None else places)
        }
    if abs(amount) >= 1_000:
        return pgettext("chart tick, thousands", "%(number)sk") % {
            "number": number(amount / 1_000, in_thousands)
        }
    return number(amount, 0)


def compact_places(ticks) -> int | None:
    """The places ``compact`` needs for every tick of an axis to read as its exact value: none when
    its default does (whole thousands, millions to a tenth), else one or two."""

    def exact(tick, places) -> bool:
        amount = as_decimal(tick)
        if amount is None or abs(amount) < 1_000:
            return True
        unit, default = (1_000_000, 1) if abs(amount) >= 1_000_000 else (1_000, 0)
        return amount / unit == rounded(amount / unit, default if places is None else places)

    for places in (None, 1):
        if all(exact(tick, places) for tick in ticks):
            return places
    return 2


def yes_no(value) -> str:
    """A yes/no figure as every page and export words it, in the user's language."""
    return gettext("yes") if value else gettext("no")


def person(user) -> str:
    """How a user is named on every page, select, export and letter: the full name, else the
    username; nobody (None) is blank."""
    if user is None:
        return ""
    return user.get_full_name() or user.username
