from django.conf.locale.fr import formats as django_formats

from config.formats import iso_first

DATE_FORMAT = "j N Y"  # '1 déc. 2026'
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j N Y à H:i"  # "1 déc. 2026 à 14:05"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "N Y"
MONTH_DAY_FORMAT = "j N"
DATE_INPUT_FORMATS = iso_first(django_formats.DATE_INPUT_FORMATS)
