"""A field's limits said in the user's locale: Django's own validators write them as Python does
("at least 0.01" in French too), where the page writes "0,01"."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.formats import number_format


class _Localised:
    def __call__(self, value):
        try:
            super().__call__(value)
        except ValidationError as exc:
            params = {**(exc.params or {}), "limit_value": number_format(self.limit_value)}
            raise ValidationError(exc.message, code=exc.code, params=params) from None


class AtLeast(_Localised, MinValueValidator):
    pass


class AtMost(_Localised, MaxValueValidator):
    pass


LOCALISED = {MinValueValidator: AtLeast, MaxValueValidator: AtMost}


class LocalisedLimits:
    """A form whose fields' lower and upper limits (``min_value``, ``max_value``, a model field's
    validators) are said in the user's locale when a value is refused."""

    fields: dict

    def full_clean(self):
        # At validation, not construction: some forms add fields after __init__ (a schedule's months).
        for field in self.fields.values():
            field.validators = [
                LOCALISED[type(validator)](validator.limit_value, validator.message)
                if type(validator) in LOCALISED
                else validator
                for validator in field.validators
            ]
        super().full_clean()
