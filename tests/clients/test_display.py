"""Every displayed figure is rounded half-up to the places shown, then written in the user's locale."""

import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import translation

from audits.profitability import runs
from audits.reports import charts
from clients import display
from tests.factories import ClientFactory, InvoiceFactory, PaymentFactory

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "places", "english", "french"),
    [
        (D("77.996"), 1, "78.0", "78,0"),
        (D("77.949"), 1, "77.9", "77,9"),
        (D("0.125"), 2, "0.13", "0,13"),
        (D("-0.125"), 2, "-0.13", "-0,13"),
        (D("-0.99"), 2, "-0.99", "-0,99"),
        (D("-0.99"), 0, "-1", "-1"),
        (D("-0.004"), 2, "0.00", "0,00"),
        (D("-0.4"), 0, "0", "0"),
        (D("2.5"), 0, "3", "3"),
        (D("1234567.895"), 2, "1,234,567.90", f"1{NBSP}234{NBSP}567,90"),
        (49.78, 1, "49.8", "49,8"),
        (3, 2, "3.00", "3,00"),
        ("12.345", 2, "12.35", "12,35"),
    ],
)
def test_a_number_is_rounded_half_up_then_localised(value, places, english, french):
    with translation.override("en"):
        assert display.number(value, places) == english
    with translation.override("fr"):
        assert display.number(value, places) == french


@pytest.mark.parametrize(
    ("share", "places", "english", "french"),
    [
        (D("0.9082"), 1, f"90.8{NBSP}%", f"90,8{NBSP}%"),
        (D("0.9082"), 0, f"91{NBSP}%", f"91{NBSP}%"),
        (D("0.77996"), 1, f"78.0{NBSP}%", f"78,0{NBSP}%"),
        (D("0.4978"), 1, f"49.8{NBSP}%", f"49,8{NBSP}%"),
        (D("-0.00004"), 1, f"0.0{NBSP}%", f"0,0{NBSP}%"),
    ],
)
def test_a_share_reads_as_a_rounded_percentage(share, places, english, french):
    with translation.override("en"):
        assert display.percent(share, places) == english
    with translation.override("fr"):
        assert display.percent(share, places) == french


def test_money_rounds_and_names_the_currency(settings):
    settings.CURRENCY = "EUR"
    with translation.override("en"):
        assert display.money(D("-0.99"), 0) == f"-1{NBSP}EUR"
        assert display.money(D("-0.99")) == f"-0.99{NBSP}EUR"
        assert display.money(D("-0.004")) == f"0.00{NBSP}EUR"
    with translation.override("fr"):
        assert display.money(D("1234.565")) == f"1{NBSP}234,57{NBSP}EUR"


@pytest.mark.parametrize("blank", [None, "", "n/a", D("NaN"), D("Infinity"), True])
def test_what_is_not_a_number_shows_as_a_dash(blank):
    assert display.number(blank) == "—"
    assert display.money(blank) == "—"
    assert display.percent(blank) == "—"


def test_the_template_filters_round_like_the_function():
    template = Template(
        "{% load money %}{{ a|amount:1 }} | {{ m|money:0 }} | {{ s|percent }} | {{ s|percent:0 }} | {{ minutes|hours }}"
    )
    context = Context({"a": D("77.996"), "m": D("-0.99"), "s": D("0.9082"), "minutes": 95})
    with translation.override("en"):
        assert template.render(context) == f"78.0 | -1{NBSP}EUR | 90.8{NBSP}% | 91{NBSP}% | 1.6"
    with translation.override("fr"):
        assert template.render(context) == f"78,0 | -1{NBSP}EUR | 90,8{NBSP}% | 91{NBSP}% | 1,6"


def test_chart_ticks_round_half_up_in_the_users_locale():
    with translation.override("en"):
        assert [display.compact(v) for v in (1_250_000, 400_000, 2_500, 999.5, -0.4)] == [
            "1.3M",
            "400k",
            "3k",
            "1,000",
            "0",
        ]
        # Rounded to a thousand thousands, a figure reads in millions.
        assert display.compact(999_999.5) == "1.0M"
    with translation.override("fr"):
        svg = charts.cumulative_curve(points=[(0, 0), (0.5, 0.9082), (1, 1)], x_label="x", y_label="y")
    assert f"100{NBSP}%" in svg


def test_the_thousands_and_millions_suffixes_are_the_translators(monkeypatch):
    french = {
        ("chart tick, thousands", "%(number)sk"): f"%(number)s{NBSP}k",
        ("chart tick, millions", "%(number)sM"): f"%(number)s{NBSP}M",
    }
    monkeypatch.setattr(display, "pgettext", lambda context, message: french.get((context, message), message))
    with translation.override("fr"):
        assert display.compact(400_000) == f"400{NBSP}k"
        assert display.compact(2_500) == f"3{NBSP}k"
        assert display.compact(-1_499.5) == f"-1{NBSP}k"
        assert display.compact(1_250_000) == f"1,3{NBSP}M"
        assert display.compact(950) == "950"


@pytest.mark.django_db
def test_a_net_margin_of_77_996_percent_reads_78_0_on_the_ranking(as_finance):
    client = ClientFactory(name="Rounding Client", acquired_on=dt.date(2020, 1, 1))
    # R 1,000 and cost of sales 220.04: GM = NP = 779.96, a net margin of 77.996 %.
    invoice = InvoiceFactory(
        client=client,
        issued_on=dt.date(2025, 6, 1),
        due_on=dt.date(2025, 7, 1),
        amount=D("1000"),
        cost_of_sales=D("220.04"),
    )
    PaymentFactory(invoice=invoice, amount=D("1000"))  # paid on the due date: no late-payment cost
    runs.profitability_recompute(as_of=dt.date(2025, 12, 31))

    page = as_finance.get("/ranking/").content.decode()

    assert f"78.0{NBSP}%" in page
    assert f"77.9{NBSP}%" not in page


@pytest.mark.django_db
def test_the_recompute_command_prints_rounded_localised_figures():
    ClientFactory.create_batch(2)
    out = io.StringIO()
    call_command("recompute", "--as-of", "2025-12-31", stdout=out)
    assert re.fullmatch(r"2025-12-31: 2 clients in \d+\.\d\d s \(run \d+\)\.\n", out.getvalue())


@pytest.mark.parametrize("language", ["en", "fr", "nl", "ro"])
def test_number_writes_what_number_format_writes_in_every_language(language):
    """`number` formats the digits itself where the locale groups them by threes; it must write
    exactly what Django's number_format writes for the same rounded figure."""
    import random

    from django.utils.formats import number_format

    rng = random.Random(language)
    values = [D("0"), D("-0.004"), D("999.995"), D("-1234567.891"), D("1000"), D("-1000")]
    values += [D(rng.randint(-(10**14), 10**14)) / 100 for _ in range(300)]
    with translation.override(language):
        for value in values:
            for places in (0, 1, 2):
                expected = number_format(
                    display.rounded(value, places), decimal_pos=places, use_l10n=True, force_grouping=True
                )
                assert display.number(value, places) == expected, (value, places)
