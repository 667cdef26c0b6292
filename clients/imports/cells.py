"""Reading one cell of an imported file: its text, a money amount, a date, a choice, a reference.

Each widget turns one cell into a value or raises ``ValueError`` with a readable message, which
django-import-export reports against the row (a bare ``decimal.InvalidOperation`` would not read).
"""

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import widgets

from clients.keys import fold_key

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("1000000000000")  # 14 digits, 2 of them decimals

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_REGIONAL_CODE = re.compile(r"^([a-z]{2})[-_][a-z0-9]{2,4}$")
_TRUE = {"1", "yes", "y", "true", "x", "oui", "ja", "da"}
_FALSE = {"0", "no", "n", "false", "non", "nee", "nu"}


def cell_text(value):
    """A cell as text: spreadsheets give numbers and dates, CSV gives strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_decimal(value):
    """A money amount with at most two decimals; a comma is read as the decimal mark."""
    shown = cell_text(value)
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a number.") % {"value": shown})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": shown})
        # A spreadsheet keeps 15 significant digits: 12.1 (stored 12.0999...) reads 12.1, and a sum
        # such as 0.1 + 0.2 (0.30000000000000004) reads 0.3. Beyond the cent it is refused, as in CSV.
        number = Decimal(format(value, ".15g"))
        if number.as_tuple().exponent < -2:
            raise ValueError(_("“%(value)s” has more than two decimals.") % {"value": shown})
    else:
        text = re.sub(r"[\s\u00a0\u202f']", "", shown)
        if "," in text and "." in text:
            thousands = "." if text.rfind(",") > text.rfind(".") else ","
            text = text.replace(thousands, "")
        text = text.replace(",", ".")
        if not _NUMBER.match(text):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": shown})
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": shown}) from exc
        if number.as_tuple().exponent < -2:
            raise ValueError(_("“%(value)s” has more than two decimals.") % {"value": shown})
    if abs(number) >= MONEY_LIMIT:
        raise ValueError(_("“%(value)s” is too large.") % {"value": shown})
    return number.quantize(CENT)


def parse_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text}) from exc


def parse_datetime(value):
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = cell_text(value)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(
                _("“%(value)s” is not a date and time: write it as YYYY-MM-DD HH:MM.") % {"value": text}
            ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class CellWidget(widgets.Widget):
    """A blank cell gives ``empty`` or, when required, an error; anything else goes to ``parse``."""

    empty: object = None

    def __init__(self, *, required=False):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise ValueError(_("This column cannot be blank."))
            return self.empty
        return self.parse(value)

    def parse(self, value):
        return value


class TextWidget(CellWidget):
    empty = ""

    def __init__(self, *, max_length=None, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def parse(self, value):
        text = cell_text(value)
        if self.max_length and len(text) > self.max_length:
            raise ValueError(
                _("This text is %(length)d characters long; the limit is %(limit)d.")
                % {"length": len(text), "limit": self.max_length}
            )
        return text


class ChoiceWidget(CellWidget):
    """Accepts the stored value or its label, in any case: "Travel", "travel"."""

    def __init__(self, *, choices, default=None, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices
        self.empty = default

    def parse(self, value):
        text = cell_text(value).casefold()
        for stored, label in self.choices.choices:
            if text in (stored.casefold(), str(label).casefold()):
                return stored
        raise ValueError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": cell_text(value), "choices": ", ".join(self.choices.values)}
        )


def _plain(text):
    """Text compared regardless of case and accents: "Français", "francais" and "FRANÇAIS" are equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class LanguageWidget(CellWidget):
    """A language of ``settings.LANGUAGES``: its code ("fr", also "fr-BE" or "fr_BE") or its name in any
    of those languages ("French", "Français", "Frans", "Franceză"), regardless of case and accents.
    A blank cell is the firm's default (stored blank)."""

    empty = ""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._names = None

    def names(self):
        """Each accepted spelling (plain, see ``_plain``) and the code it stands for."""
        if self._names is None:
            names = {}
            for code, label in settings.LANGUAGES:
                names[_plain(code)] = code
                info = LANG_INFO.get(code, {})
                for spelling in (info.get("name"), info.get("name_local")):
                    if spelling:
                        names[_plain(spelling)] = code
                for language, _label in settings.LANGUAGES:
                    with translation.override(language):
                        names[_plain(str(label))] = code
            self._names = names
        return self._names

    def parse(self, value):
        text = _plain(cell_text(value))
        regional = _REGIONAL_CODE.match(text)  # fr-BE, nl_BE, en-GB: the language's code
        code = self.names().get(regional.group(1) if regional else text)
        if code:
            return code
        raise ValueError(
            _("“%(value)s” is not one of the languages: %(choices)s (the code or the language's name).")
            % {
                "value": cell_text(value),
                "choices": ", ".join(f"{code} ({label})" for code, label in settings.LANGUAGES),
            }
        )


class BooleanCellWidget(CellWidget):
    empty = False

    def parse(self, value):
        if isinstance(value, bool):
            return value
        text = cell_text(value).casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(_("“%(value)s” is not yes or no.") % {"value": cell_text(value)})


class DecimalCellWidget(CellWidget):
    def __init__(self, *, default=None, minimum=None, above_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.empty = default
        self.minimum = minimum
        self.above_zero = above_zero

    def parse(self, value):
        number = parse_decimal(value)
        if self.above_zero and number <= 0:
            raise ValueError(_("The amount must be above zero, not %(value)s.") % {"value": number})
        if self.minimum is not None and number < self.minimum:
            raise ValueError(_("The amount cannot be negative (%(value)s).") % {"value": number})
        return number


class DurationWidget(CellWidget):
    """Whole minutes, above zero."""

    def parse(self, value):
        text = cell_text(value)
        if not _INTEGER.match(text):
            raise ValueError(_("“%(value)s” is not a whole number of minutes.") % {"value": text})
        minutes = int(text)
        if minutes <= 0:
            raise ValueError(
                _("The duration must be above zero minutes, not %(value)d.") % {"value": minutes}
            )
        if minutes > 2_147_483_647:
            raise ValueError(_("“%(value)s” is too large.") % {"value": text})
        return minutes


class DateCellWidget(CellWidget):
    def parse(self, value):
        return parse_date(value)


class DateTimeCellWidget(CellWidget):
    def parse(self, value):
        return parse_datetime(value)


class LookupWidget(CellWidget):
    """A reference (client reference, username, invoice number) resolved from a dict loaded per file.

    With ``ignore_case`` the dict is keyed by ``fold_key`` (client references and invoice numbers).
    """

    def __init__(self, *, unknown, ignore_case=False, **kwargs):
        super().__init__(**kwargs)
        self.unknown = unknown
        self.ignore_case = ignore_case
        self.mapping = {}

    def parse(self, value):
        key = cell_text(value)
        try:
            return self.mapping[fold_key(key) if self.ignore_case else key]
        except KeyError:
            raise ValueError(self.unknown % {"value": key}) from None


def client_ref_widget():
    """The ``client_ref`` column of the rows that belong to a client."""
    return LookupWidget(
        required=True, ignore_case=True, unknown=gettext_lazy("Unknown client reference “%(value)s”.")
    )
