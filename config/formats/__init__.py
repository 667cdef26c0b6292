"""One date style per locale (FORMAT_MODULE_PATH): DATE_FORMAT and SHORT_DATE_FORMAT are the same
day-month-year with a short month name, the datetimes add a 24-hour time.

Each locale's module overrides only the display formats; whatever it leaves out (number
separators, the first day of the week) comes from Django's own module for that locale. The date
inputs accept YYYY-MM-DD first: it is what a browser's date field sends and shows.
"""

from django.utils.translation import pgettext_lazy

ISO_DATE = "%Y-%m-%d"


def iso_first(formats):
    """Django's input formats for a locale, with YYYY-MM-DD first."""
    return [ISO_DATE, *(f for f in formats if f != ISO_DATE)]


# The short month names of the "N" format (Django's "abbrev. month" strings), named here so that the
# project's catalogs can write them as each language does: Django's French has "jan." and "fév.",
# where French writes "janv." and "févr.". The project's catalogs come before Django's.
MONTH_ABBREVIATIONS = [
    pgettext_lazy("abbrev. month", "Jan."),
    pgettext_lazy("abbrev. month", "Feb."),
    pgettext_lazy("abbrev. month", "March"),
    pgettext_lazy("abbrev. month", "April"),
    pgettext_lazy("abbrev. month", "May"),
    pgettext_lazy("abbrev. month", "June"),
    pgettext_lazy("abbrev. month", "July"),
    pgettext_lazy("abbrev. month", "Aug."),
    pgettext_lazy("abbrev. month", "Sept."),
    pgettext_lazy("abbrev. month", "Oct."),
    pgettext_lazy("abbrev. month", "Nov."),
    pgettext_lazy("abbrev. month", "Dec."),
]
