"""Checking and writing a file's rows: all of them or none, with every error on its line."""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from clients.imports.files import import_file_read
from clients.imports.resources import RESOURCES

logger = logging.getLogger(__name__)


@dataclass
class ImportOutcome:
    total: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    # The first updates of stored rows, column by column (``LedgerResource._change``).
    changes: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def import_all_or_nothing(*, resource, dataset, dry_run, progress=None):
    """A file with any invalid row imports nothing: the rule of every import.

    Every row is checked; unless ``dry_run`` (the preview), the rows are written in one transaction,
    which is rolled back if any row is invalid, cannot be read, or is refused by the database. The
    result (django-import-export's) lists what was wrong; ``import_rows`` gives it line numbers.
    """
    return resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
        progress=progress,
    )


def import_rows(*, kind, data, user, dry_run, progress=None):
    """Check every row and, unless dry_run, write them all or none (``import_all_or_nothing``); the
    outcome counts the rows and lists each error with its line and column."""
    resource = RESOURCES[kind](user=user, lines=data.lines, for_write=not dry_run)
    result = import_all_or_nothing(
        resource=resource, dataset=data.dataset, dry_run=dry_run, progress=progress
    )
    errors = []
    for invalid in result.invalid_rows:
        line = resource.line_of(invalid.number)
        for key, messages in invalid.error_dict.items():
            column = "" if key == NON_FIELD_ERRORS else resource.column_of.get(key, key)
            errors.extend({"line": line, "column": column, "message": force_str(m)} for m in messages)
    for error_row in result.error_rows:
        line = resource.line_of(error_row.number)
        for error in error_row.errors:
            logger.warning("Import row error on line %s: %r", line, error.error)
            errors.append(
                {
                    "line": line,
                    "column": "",
                    "message": _("This row could not be read: %(error)s") % {"error": error.error},
                }
            )
    for error in result.base_errors:
        logger.warning("Import refused by the database: %r", error.error)
        errors.append(
            {
                "line": None,
                "column": "",
                "message": _("The database refused the file: %(error)s") % {"error": error.error},
            }
        )
    errors.sort(key=lambda e: (e["line"] is not None, e["line"] or 0))
    totals = result.totals
    return ImportOutcome(
        total=len(data),
        new=totals["new"],
        updated=totals["update"],
        unchanged=totals["skip"],
        errors=errors,
        changes=resource.changes,
    )


def import_file(*, kind, filename, content, user, dry_run=False, progress=None):
    """Read and import a file in one call (used by the benchmark and the jobs)."""
    data = import_file_read(kind=kind, filename=filename, content=content)
    return import_rows(kind=kind, data=data, user=user, dry_run=dry_run, progress=progress)
