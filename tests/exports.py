"""Reading the exports back as a spreadsheet would: the line on what the figures are, a blank line, then
the header row and the rows."""

import csv
import io

import openpyxl


def csv_rows(response):
    """The header row and the rows of a CSV export (after its BOM and its first two lines)."""
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "the CSV export starts with a BOM"
    lines = text[1:].splitlines()
    delimiter = ";" if ";" in lines[2] else ","
    return list(csv.reader(io.StringIO("\n".join(lines[2:])), delimiter=delimiter))


def csv_about(response):
    return next(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))[0]


def xlsx_rows(response):
    """The header row and the rows of an XLSX export (below its first two rows)."""
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.active.iter_rows(min_row=3, values_only=True)]
