"""Reading an uploaded file: its type, its encoding, its columns and the line of each row.

The reading is django-import-export's (tablib formats); this module checks the file as a whole and
refuses it with an ``ImportFileError`` saying why. It also writes the templates offered for each
kind of file and estimates a file's rows without reading it (``clients.imports.jobs`` chooses by it
between the request and a background job).
"""

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import tablib
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from import_export.formats import base_formats

from clients.imports.cells import cell_text
from clients.imports.resources import RESOURCES
from clients.models import ImportJob

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
# Excel's first line naming the delimiter: sep=; (some tools quote it or pad it with delimiters).
_SEPARATOR_LINE = re.compile(r'"?sep=([;,\t|])"?\1*', re.IGNORECASE)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why, for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class ImportFile:
    """A file's rows (headers normalised, blank rows dropped) and the line each came from."""

    dataset: tablib.Dataset
    lines: list  # the file line of each data row (line 1 is the header)

    def __len__(self):
        return len(self.lines)


def import_columns(*, kind):
    """(column, help) pairs of a file of this kind, in the template's order (the help says which
    are required; the others may be left out)."""
    return RESOURCES[kind].columns_with_help()


# One example row per template, in the template's column order: what a filled-in line looks like.
TEMPLATE_EXAMPLES = {
    "clients": {
        "external_ref": "C00042",
        "name": "Atelier Dupont SA",
        "status": "active",
        "account_manager": "alice",
        "segment": "Manufacturing",
        "acquired_on": "2024-03-15",
        "acquisition_cost": "2500.00",
        "is_strategic": "no",
        "notes": "Met at the Lyon trade fair",
    },
    "contacts": {
        "client_ref": "C00042",
        "email": "marie.dupont@example.com",
        "name": "Marie Dupont",
        "role": "Finance director",
        "postal_address": "12 rue de la Paix, 75002 Paris",
        "is_primary": "yes",
        "language": "fr",
    },
    "interactions": {
        "client_ref": "C00042",
        "staff": "alice",
        "started_at": "2026-11-18 09:30",
        "kind": "meeting",
        "duration_minutes": "45",
        "note": "Quarterly review",
    },
    "invoices": {
        "number": "F-2026-0101",
        "client_ref": "C00042",
        "issued_on": "2026-10-01",
        "due_on": "2026-10-31",
        "amount": "1250.00",
        "cost_of_sales": "700.00",
        "written_off": "0.00",
    },
    "payments": {"invoice_number": "F-2026-0101", "paid_on": "2026-11-05", "amount": "1250.00"},
    "expenses": {
        "client_ref": "C00042",
        "spent_on": "2026-10-12",
        "category": "travel",
        "amount": "180.00",
        "note": "Train to Lyon",
    },
}


def import_template_csv(*, kind):
    """The header line and one example row of a file of this kind."""
    columns = RESOURCES[kind].columns()
    example = TEMPLATE_EXAMPLES[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([example.get(column, "") for column in columns])
    return out.getvalue()


def _normalise_header(value):
    return "_".join(cell_text(value).casefold().replace("-", " ").split())


# The encodings of accounting exports besides UTF-8: Windows-1252 in Western Europe (French, Dutch,
# English), Windows-1250 in Central Europe (Romanian). Short files often read without noise in both;
# then the one that reads as the firm's languages wins (``_letters_score``), else the user's
# language decides.
LEGACY_ENCODINGS = ("cp1252", "cp1250", "iso8859_15")
# The accented letters of the languages the firm works in (French, Dutch, Romanian, and the German
# and Spanish of names): a text read with the wrong code page shows others (Hélène as "Hélčne",
# Ştefănescu as "ªtefãnescu").
OUR_LETTERS = frozenset("àâæçéèêëîïôœùûüÿäöáíóúñășşțţ" + "àâæçéèêëîïôœùûüÿäöáíóúñășşțţ".upper())
CENTRAL_EUROPEAN_LANGUAGES = ("ro", "pl", "cs", "sk", "hu", "hr", "sl")
ENCODING_NAMES = {"cp1252": "Windows-1252", "cp1250": "Windows-1250", "iso8859_15": "ISO-8859-15"}


def _encodings_for_language():
    if (get_language() or "").split("-")[0] in CENTRAL_EUROPEAN_LANGUAGES:
        return ("cp1250", "cp1252", "iso8859_15")
    return LEGACY_ENCODINGS


def csv_decode(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the name of its encoding: UTF-8 (with or without a BOM), else of
    the legacy encodings charset-normalizer reads with confidence, the one whose text reads most as
    the firm's languages (``_letters_score``), then with the least noise, then the one of the user's
    language (Windows-1250 for Romanian, Windows-1252 otherwise). A file no encoding reads with
    confidence is refused."""
    try:
        return content.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        first_bad_line = content[: exc.start].count(b"\n") + 1
    from charset_normalizer import from_bytes

    order = _encodings_for_language()

    def preference(match):
        return min(order.index(e) for e in match.could_be_from_charset if e in order)

    matches = [
        match
        for match in from_bytes(content, cp_isolation=list(LEGACY_ENCODINGS), threshold=0.2)
        if any(e in LEGACY_ENCODINGS for e in match.could_be_from_charset)
    ]
    if not matches:
        raise ImportFileError(
            _(
                "The file's characters cannot be read with confidence (from line %(line)d): it is neither "
                "UTF-8 nor Windows-1252. Save it from your spreadsheet as “CSV UTF-8” and upload it again."
            )
            % {"line": first_bad_line}
        )
    candidates = []
    for match in matches:
        encoding = order[preference(match)]
        text = content.decode(encoding, errors="replace")
        candidates.append((-_letters_score(text), round(match.chaos, 2), preference(match), encoding, text))
    *_ranks, encoding, text = min(candidates)
    return text, ENCODING_NAMES[encoding]


def _letters_score(text: str) -> int:
    """How much a text reads as the firm's languages: its accented letters of those languages
    (``OUR_LETTERS``), less its other characters beyond ASCII."""
    beyond_ascii = _BEYOND_ASCII.findall(text)
    ours = sum(1 for character in beyond_ascii if character in OUR_LETTERS)
    return ours - (len(beyond_ascii) - ours)


_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")


def file_encoding(*, filename, content) -> str | None:
    """The encoding a CSV file was read with (for the preview), or None for a spreadsheet or a file
    that could not be read (its job says why)."""
    try:
        if _file_suffix(filename=filename, content=content) != ".csv":
            return None
        return csv_decode(content)[1]
    except ImportFileError:
        return None


def _csv_dataset(content):
    if b"\x00" in content[:4096] or content.startswith(b"PK\x03\x04"):  # a binary file named .csv
        raise ImportFileError(_("This file is not a CSV file. Upload a .csv or an .xlsx file."))
    text, _encoding = csv_decode(content)
    # Blank lines above the header would become an empty header: drop them, keep the numbering.
    body = text.lstrip("\r\n")
    skipped = text[: len(text) - len(body)].count("\n")
    text = body
    header_line = text.split("\n", 1)[0]
    declared = _SEPARATOR_LINE.fullmatch(header_line.rstrip("\r"))
    if declared:
        # Excel's "sep=;" first line names the delimiter; the header is on the next line.
        delimiter = declared.group(1)
        text = text.split("\n", 1)[1] if "\n" in text else ""
        body = text.lstrip("\r\n")
        skipped += 1 + text[: len(text) - len(body)].count("\n")
        text = body
    else:
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    # Line numbers: the reader skips blank lines and a quoted cell may span lines, so count them here.
    lines = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    end_of_previous = skipped
    width = None
    try:
        for row in reader:
            start = end_of_previous + 1
            end_of_previous = skipped + reader.line_num
            if not row:
                continue
            if width is None:
                width = len(row)
                continue
            if len(row) > width:
                raise ImportFileError(
                    _("Line %(line)d has more cells (%(cells)d) than the header has columns (%(columns)d).")
                    % {"line": start, "cells": len(row), "columns": width}
                )
            lines.append(start)
        dataset = base_formats.CSV().create_dataset(text, delimiter=delimiter)
    except csv.Error as exc:
        raise ImportFileError(
            _("This file cannot be read as CSV (line %(line)d: %(error)s).")
            % {"line": skipped + reader.line_num, "error": exc}
        ) from exc
    return dataset, lines


def _xlsx_dataset(content):
    if not content.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This file is not an XLSX workbook. Upload a .csv or an .xlsx file."))
    try:
        dataset = base_formats.XLSX().create_dataset(content)
    except StopIteration as exc:
        raise ImportFileError(_("The file is empty.")) from exc
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        logger.info("Unreadable XLSX upload: %s", exc)
        raise ImportFileError(_("This file is not an XLSX workbook that can be read.")) from exc
    return dataset, [number + 2 for number in range(len(dataset))]


def _file_suffix(*, filename, content):
    """ ".csv" or ".xlsx"; ImportFileError for an empty file or another type."""
    if not content:
        raise ImportFileError(_("The file is empty."))
    suffix = PurePath(filename or "").suffix.casefold()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(
            _("“%(name)s” is not a CSV or XLSX file. Upload a .csv or an .xlsx file.") % {"name": filename}
        )
    return suffix


def import_rows_estimate(*, filename, content):
    """A quick upper bound of a file's rows, to choose between the request and a Celery task.

    Reading a large workbook takes seconds, so it is not read in the request: lines are counted
    in a CSV, ``<row`` elements in the worksheets of an XLSX (a zip of XML files).
    """
    if _file_suffix(filename=filename, content=content) == ".csv":
        lines = content.count(b"\n") + (not content.endswith(b"\n"))
        return max(lines - 1, 0)  # less the header
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            return max((_count_row_tags(book, name) - 1 for name in sheets), default=0)
    except (zipfile.BadZipFile, OSError):
        return 0  # read in the request, which reports the damage


def _count_row_tags(book, name):
    count, tail = 0, b""
    with book.open(name) as stream:
        while chunk := stream.read(1 << 20):
            count += (tail + chunk).count(b"<row")
            tail = chunk[-3:]
    return count


def import_file_read(*, kind, filename, content):
    """The file's rows as a tablib Dataset with normalised headers, or ImportFileError."""
    if _file_suffix(filename=filename, content=content) == ".csv":
        dataset, lines = _csv_dataset(content)
    else:
        dataset, lines = _xlsx_dataset(content)
    if not dataset.headers or not any(cell_text(h) for h in dataset.headers):
        if len(dataset):
            raise ImportFileError(_("The first line of the file must name the columns."))
        raise ImportFileError(_("The file is empty."))

    headers = [_normalise_header(h) for h in dataset.headers]
    keep = [
        index
        for index, name in enumerate(headers)
        if name or any(cell_text(v) for v in dataset.get_col(index))
    ]
    headers = [headers[index] for index in keep]
    expected = RESOURCES[kind].columns()
    required = RESOURCES[kind].required_columns()
    problems = []
    # Optional columns may be left out; only the required ones are missing.
    missing = [column for column in required if column not in headers]
    extra = [name or _("(a column without a name)") for name in headers if name not in expected]
    doubled = sorted({name for name in headers if name and headers.count(name) > 1})
    if missing:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if extra:
        problems.append(_("Unexpected columns: %(columns)s.") % {"columns": ", ".join(extra)})
    if doubled:
        problems.append(_("Columns given twice: %(columns)s.") % {"columns": ", ".join(doubled)})
    if problems:
        problems.append(
            _("A file of %(kind)s has the columns: %(columns)s.")
            % {
                "kind": ImportJob.Kind(kind).label.lower(),
                "columns": ", ".join(expected),
            }
        )
        problems.append(_("Only these are required: %(columns)s.") % {"columns": ", ".join(required)})
        raise ImportFileError(" ".join(problems))

    clean = tablib.Dataset(headers=headers)
    clean_lines = []
    whole_width = len(keep) == len(dataset.headers)
    for line, row in zip(lines, dataset, strict=True):
        values = list(row) if whole_width else [row[index] for index in keep]
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            continue
        clean.append(values)
        clean_lines.append(line)
    if not clean_lines:
        raise ImportFileError(_("The file has a header but no rows to import."))
    return ImportFile(dataset=clean, lines=clean_lines)
