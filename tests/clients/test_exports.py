"""Exports open as they should in a spreadsheet in the user's locale."""

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.utils import translation

from audits.profitability import runs
from tests.exports import csv_about, csv_rows, xlsx_rows
from tests.factories import ClientFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def ranked(manager):
    client = ClientFactory(name="Éclair Ltd", account_manager=manager, acquired_on=dt.date(2020, 1, 1))
    invoice = InvoiceFactory(
        client=client, issued_on=dt.date(2025, 6, 1), amount=D("1234.56"), cost_of_sales=D("754.43")
    )
    PaymentFactory(invoice=invoice, amount=D("1234.56"))
    runs.profitability_recompute(as_of=AS_OF)
    return client


def _in_french(http):
    http.cookies["django_language"] = "fr"
    return http


def test_a_french_csv_has_a_bom_semicolons_decimal_commas_and_full_french_names(as_finance, ranked):
    response = _in_french(as_finance).get("/ranking/?_export=csv")

    assert response.content.startswith("\ufeff".encode())
    rows = csv_rows(response)
    header, row = rows[0], rows[1]
    assert header[:5] == ["Rang", "Client", "Référence", "Chiffre d’affaires", "Marge brute"]
    assert row[1] == "Éclair Ltd"
    assert row[header.index("Chiffre d’affaires")] == "1234,56"
    assert row[header.index("Bénéfice net")] == "480,13"
    # Net margin 480.13 / 1,234.56 = 38.891 %: in percentage points, as the page shows it.
    assert row[header.index("Marge nette (%)")] == "38,89"
    about = csv_about(response)
    assert "31 déc. 2025" in about and "EUR" in about


def test_an_english_csv_keeps_commas_and_dots(as_finance, ranked):
    rows = csv_rows(as_finance.get("/ranking/?_export=csv"))
    header, row = rows[0], rows[1]
    assert header[:4] == ["Rank", "Client", "Reference", "Revenue"]
    assert row[header.index("Revenue")] == "1234.56"
    assert row[header.index("Net margin (%)")] == "38.89"
    assert header[1:3] == ["Client", "Reference"] and row[2] == ranked.external_ref


def test_the_xlsx_has_a_named_sheet_number_formats_and_says_what_it_holds(as_finance, ranked):
    with translation.override("en"):
        response = as_finance.get("/ranking/?_export=xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "Client ranking"
    assert "31 Dec 2025" in sheet["A1"].value and "EUR" in sheet["A1"].value
    rows = xlsx_rows(response)
    header = rows[0]
    revenue = sheet.cell(row=4, column=header.index("Revenue") + 1)
    margin = sheet.cell(row=4, column=header.index("Net margin") + 1)
    rank = sheet.cell(row=4, column=header.index("Rank") + 1)
    assert (revenue.value, revenue.number_format) == (1234.56, "#,##0.00")
    assert margin.number_format == "0.0%" and round(margin.value, 6) == 0.388908
    assert (rank.value, rank.number_format) == (1, "0")


def test_dates_and_yes_or_no_export_as_they_are_in_the_users_language(as_finance, manager, ranked):
    """A date is a date cell (blank where there is none), yes/no are words in the user's
    language: django-tables2 wrote ISO text, an em dash and True/False."""
    ClientFactory(name="Zeta Unknown", account_manager=manager, acquired_on=None, is_strategic=True)
    rows = xlsx_rows(as_finance.get("/clients/?_export=xlsx&sort=name"))
    header, by_name = rows[0], {row[0]: row for row in rows[1:]}
    acquired, strategic = header.index("Acquired on"), header.index("Strategic")
    assert by_name["Éclair Ltd"][acquired] == dt.datetime(2020, 1, 1)  # a date cell
    assert by_name["Zeta Unknown"][acquired] is None
    assert (by_name["Éclair Ltd"][strategic], by_name["Zeta Unknown"][strategic]) == ("no", "yes")
    french = csv_rows(_in_french(as_finance).get("/clients/?_export=csv&sort=name"))
    by_name = {row[0]: row for row in french[1:]}
    assert by_name["Zeta Unknown"][french[0].index("Stratégique")] == "oui"
    assert by_name["Éclair Ltd"][french[0].index("Acquis le")] == "2020-01-01"


def test_the_ageing_and_client_exports_name_their_sheet(as_finance, ranked):
    ageing = openpyxl.load_workbook(io.BytesIO(as_finance.get("/payments/?_export=xlsx").content)).active
    clients = openpyxl.load_workbook(io.BytesIO(as_finance.get("/clients/?_export=xlsx").content)).active
    assert (ageing.title, clients.title) == ("Receivables ageing", "Clients")
    # Wide enough to read a name; a number's column as wide as its header.
    assert clients.column_dimensions["A"].width >= 24
    assert all(dimension.width >= 12 for dimension in ageing.column_dimensions.values())
    assert csv_rows(as_finance.get("/clients/?_export=csv"))[1][0] == "Éclair Ltd"
