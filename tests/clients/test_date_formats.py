"""One date style per locale: the short and the long date read the same, datetimes add a 24-hour
time, and the date fields still take and show YYYY-MM-DD."""

import datetime as dt

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation

from clients.forms import ClientForm, InteractionForm

DATES = Template('{{ day|date:"DATE_FORMAT" }} | {{ day|date:"SHORT_DATE_FORMAT" }}')
DATETIMES = Template('{{ moment|date:"DATETIME_FORMAT" }} | {{ moment|date:"SHORT_DATETIME_FORMAT" }}')


@pytest.mark.parametrize(
    ("language", "first_of_december", "first_of_march"),
    [
        ("en", "1 Dec 2026", "1 Mar 2026"),
        ("fr", "1 déc. 2026", "1 mars 2026"),
        ("nl", "1 dec 2026", "1 mrt 2026"),
        ("ro", "1 dec 2026", "1 mar 2026"),
    ],
)
def test_a_date_reads_the_same_short_or_long(language, first_of_december, first_of_march):
    with translation.override(language):
        assert (
            DATES.render(Context({"day": dt.date(2026, 12, 1)}))
            == f"{first_of_december} | {first_of_december}"
        )
        assert DATES.render(Context({"day": dt.date(2026, 3, 1)})) == f"{first_of_march} | {first_of_march}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1 Dec 2026, 14:05"),
        ("fr", "1 déc. 2026 à 14:05"),
        ("nl", "1 dec 2026 14:05"),
        ("ro", "1 dec 2026, 14:05"),
    ],
)
def test_a_datetime_reads_the_same_short_or_long_with_a_24_hour_time(language, expected):
    moment = timezone.make_aware(dt.datetime(2026, 12, 1, 14, 5))  # in the installation's time zone
    with translation.override(language):
        assert DATETIMES.render(Context({"moment": moment})) == f"{expected} | {expected}"


@pytest.mark.parametrize("language", ["en", "fr", "nl", "ro"])
def test_the_date_fields_show_and_take_yyyy_mm_dd_in_every_language(language):
    day = dt.date(2026, 12, 1)
    with translation.override(language):
        for widget in (
            InteractionForm.base_fields["date"].widget,
            ClientForm.base_fields["acquired_on"].widget,
        ):
            assert 'value="2026-12-01"' in widget.render("day", day)
        assert forms.DateField().clean("2026-12-01") == day


def test_french_short_months_are_written_as_french_writes_them():
    """Django's French has "jan." and "fév."; French writes "janv." and "févr."."""
    with translation.override("fr"):
        days = [
            DATES.render(Context({"day": dt.date(2026, month, 15)})).split(" | ")[0] for month in (1, 2, 9)
        ]
    assert days == ["15 janv. 2026", "15 févr. 2026", "15 sept. 2026"]


@pytest.mark.parametrize(
    ("language", "said"), [("en", "Step: a"), ("fr", "Étape\u00a0: a"), ("nl", "Stap: a")]
)
def test_a_label_and_its_value_are_joined_by_the_languages_colon(language, said):
    template = Template("{% load words %}{{ label|colon }}{{ value }}")
    with translation.override(language):
        from django.utils.translation import gettext

        assert template.render(Context({"label": gettext("Step"), "value": "a"})) == said
    assert Template("{% load words %}{{ label|colon }}").render(Context({"label": "<b>"})) == "&lt;b&gt;: "
