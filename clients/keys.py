"""Client references and invoice numbers are compared as people read them: regardless of case.

Each such key has a unique index on LOWER(key) (PostgreSQL and SQLite); lookups go through
``key_matches``, which that index serves, and dicts built in Python are keyed by ``fold_key``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.db.models.lookups import In

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def fold_key(value):
    """A client reference or invoice number as it is compared: ACME01 and acme01 are the same key."""
    return value.lower()


def key_matches(field, values):
    """A filter: ``field`` is one of ``values``, regardless of case (served by the unique index on LOWER)."""
    return In(Lower(field), sorted({fold_key(value) for value in values}))


class CaseInsensitiveKey:
    """A model whose text key ``key_field`` is unique regardless of case (a unique index on LOWER(key)).

    Validation reports a clash on the field itself, naming the spelling already stored. Imports match
    keys the same way in memory and validate no constraints, so they never pay for this query.
    """

    key_field = ""
    key_clash_message: StrOrPromise = ""  # with %(existing)s

    def validate_constraints(self, exclude=None):
        exclude = set(exclude or ())
        errors = {}
        value = getattr(self, self.key_field)
        if value and self.key_field not in exclude:
            existing = (
                type(self)
                ._default_manager.filter(key_matches(self.key_field, [value]))
                .exclude(pk=self.pk)
                .values_list(self.key_field, flat=True)
                .first()
            )
            if existing is not None:
                errors[self.key_field] = [
                    ValidationError(self.key_clash_message, code="unique", params={"existing": existing})
                ]
                exclude.add(self.key_field)  # the constraint itself would only say it again
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
