"""One date style per locale (FORMAT_MODULE_PATH): DATE_FORMAT and SHORT_DATE_FORMAT are the same
day-month-year with a short month name, the datetimes add a 24-hour time.

Each locale's module overrides only the display formats; whatever it leaves out (number
separators, the first day of the week) comes from Django's own module for that locale. The date
inputs accept YYYY-MM-DD first: it is what a browser's date field sends and shows.
"""

ISO_DATE = "%Y-%m-%d"


def iso_first(formats):
    """Django's input formats for a locale, with YYYY-MM-DD first."""
    return [ISO_DATE, *(f for f in formats if f != ISO_DATE)]
