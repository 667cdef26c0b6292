"""Spreadsheet exports that open as they should in the user's locale.

Every table export goes through `LocalisedExportMixin`: the column names in full and in the user's
language, a first line saying what the figures are (as-of date, period, currency), CSV with a BOM and
the locale's separators (French or Dutch Excel splits on ';' and reads '1234,56'), XLSX with money and
percent number formats on a named sheet. Numbers stay numbers; text that a spreadsheet would run as a
formula is neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _
from django_tables2.export import ExportMixin

from clients import display

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MONEY, PERCENT, NUMBER, INTEGER, TEXT = "money", "percent", "number", "integer", "text"
XLSX_FORMATS = {MONEY: "#,##0.00", PERCENT: "0.0%", NUMBER: "#,##0.0", INTEGER: "0"}
SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def spreadsheet_safe(value):
    """Neutralise text a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass
class Sheet:
    """What an export holds: a title (the sheet's name), one line on what the figures are, the column
    headers with the kind of each column, and the rows (values as the table gives them)."""

    title: str
    about: str
    headers: list[str]
    kinds: list[str]
    rows: Iterable[Iterable[Any]] = field(default_factory=list)


def local_moment(value: dt.datetime) -> dt.datetime:
    """A moment as the pages show it: in the firm's time zone, without an offset (a spreadsheet has no
    time zones), to the minute."""
    if timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    return value.replace(second=0, microsecond=0)


def _csv_cell(value, kind, decimal_separator):
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return display.yes_no(value)
    if kind in (MONEY, PERCENT, NUMBER, INTEGER):
        number = display.as_decimal(value)
        if number is None:
            return spreadsheet_safe(force_str(value))
        if kind == PERCENT:
            # A share (0.388911) reads as the page shows it, in percentage points: 38.89.
            number = number * 100
        places = {MONEY: 2, PERCENT: 2, NUMBER: 2, INTEGER: 0}[kind]
        return str(display.rounded(number, places)).replace(".", decimal_separator)
    if isinstance(value, dt.datetime):
        return local_moment(value).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return spreadsheet_safe(force_str(value))


def csv_response(sheet: Sheet, filename: str) -> HttpResponse:
    """UTF-8 with a BOM; ';' between cells where the locale writes decimals with a comma."""
    decimal_separator = get_format("DECIMAL_SEPARATOR")
    delimiter = ";" if decimal_separator == "," else ","
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([sheet.about])
    writer.writerow([])
    # A share is written in percentage points (38.89): its header says so.
    writer.writerow(
        [
            _("%(column)s (%%)") % {"column": header}
            if kind == PERCENT and not header.endswith("%)")
            else header
            for header, kind in zip(sheet.headers, sheet.kinds, strict=True)
        ]
    )
    for row in sheet.rows:
        writer.writerow(
            [_csv_cell(value, kind, decimal_separator) for value, kind in zip(row, sheet.kinds, strict=True)]
        )
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_value(value, kind):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return display.yes_no(value)
    if kind in XLSX_FORMATS:
        number = display.as_decimal(value)
        if number is not None:
            return int(number) if kind == INTEGER else float(number)
    if isinstance(value, dt.datetime):
        return local_moment(value)
    if isinstance(value, dt.date | Decimal | int | float):
        return value
    return spreadsheet_safe(force_str(value))


def column_widths(worksheet, headers, kinds, widths=None) -> None:
    """Set each column's width before the rows are written (a write-only sheet writes them first):
    ``widths`` where given, else as wide as the header, and a text column (names, references,
    reasons) at least 24 characters, a number 12."""
    from openpyxl.utils import get_column_letter

    for index, (header, kind) in enumerate(zip(headers, kinds, strict=True), start=1):
        least = 24 if kind == TEXT else 12
        width = widths[index - 1] if widths else min(max(len(str(header)) + 2, least), 50)
        worksheet.column_dimensions[get_column_letter(index)].width = width


def xlsx_response(sheet: Sheet, filename: str) -> HttpResponse:
    """One named sheet (write-only, so a large export streams from memory row by row): the line on
    what the figures are, a blank row, the headers (frozen), then the rows with number formats."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet.title.translate(SHEET_FORBIDDEN)[:31] or "Sheet")
    worksheet.freeze_panes = "A4"
    column_widths(worksheet, sheet.headers, sheet.kinds)
    bold = Font(bold=True)
    about = WriteOnlyCell(worksheet, value=sheet.about)
    about.font = bold
    worksheet.append([about])
    worksheet.append([])
    headers = []
    for header in sheet.headers:
        cell = WriteOnlyCell(worksheet, value=header)
        cell.font = bold
        headers.append(cell)
    worksheet.append(headers)
    for row in sheet.rows:
        cells = []
        for value, kind in zip(row, sheet.kinds, strict=True):
            cell = WriteOnlyCell(worksheet, value=_xlsx_value(value, kind))
            if kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[kind]
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        worksheet.append(cells)
    content = io.BytesIO()
    workbook.save(content)
    response = HttpResponse(
        content.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class LocalisedExportMixin(ExportMixin):
    """django-tables2's ExportMixin, written by `csv_response` / `xlsx_response`.

    A column says how it exports with two optional attributes: `export_kind` (money, percent,
    number, integer; text by default) and `export_header` (the full name, where the page shows an
    abbreviation). The view gives the sheet's title (`export_title`) and the line on what the figures
    are: `export_about`, a sentence given the day of the export as ``%(day)s``, or `get_export_about`."""

    export_title: StrOrPromise = ""
    export_about: StrOrPromise = ""

    def get_export_about(self) -> str:
        if self.export_about:
            return str(self.export_about) % {"day": date_format(timezone.localdate(), "DATE_FORMAT")}
        return str(self.export_title)

    def create_export(self, export_format):
        table = self.get_table(**self.get_table_kwargs())
        columns = [
            column
            for column in table.columns.iterall()
            if not (column.column.exclude_from_export or column.name in self.exclude_columns)
        ]
        headers = [
            force_str(getattr(column.column, "export_header", None) or column.header) for column in columns
        ]
        kinds = [getattr(column.column, "export_kind", TEXT) for column in columns]
        values = table.as_values(exclude_columns=self.exclude_columns)
        next(values)  # the table's own header row
        sheet = Sheet(
            title=str(self.export_title),
            about=self.get_export_about(),
            headers=headers,
            kinds=kinds,
            rows=values,
        )
        filename = self.get_export_filename(export_format)
        if export_format == "xlsx":
            return xlsx_response(sheet, filename)
        return csv_response(sheet, filename)
