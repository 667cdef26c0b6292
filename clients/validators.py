"""A field's limits said in the user's locale: Django's own validators write them as Python does
("at least 0.01" in French too), where the page writes "0,01". Their sentences are the project's
(the same words), so that its catalogs can mend a translation (Romanian's old cedillas)."""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _


class _Localised:
    def __call__(self, value):
        try:
            super().__call__(value)
        except ValidationError as exc:
            params = {**(exc.params or {}), "limit_value": number_format(self.limit_value)}
            raise ValidationError(exc.message, code=exc.code, params=params) from None


class AtLeast(_Localised, MinValueValidator):
    message = _("Ensure this value is greater than or equal to %(limit_value)s.")


class AtMost(_Localised, MaxValueValidator):
    message = _("Ensure this value is less than or equal to %(limit_value)s.")


LOCALISED = {MinValueValidator: AtLeast, MaxValueValidator: AtMost}


def _model_validators(model, name: str) -> list:
    try:
        return list(model._meta.get_field(name).validators)
    except FieldDoesNotExist:  # a form field of the form's own
        return []


def _localised(validator):
    kind = LOCALISED.get(type(validator))
    if kind is None:
        return validator
    # Django's own sentence gives way to the project's; a field's own sentence stays.
    message = None if validator.message == type(validator).message else validator.message
    return kind(validator.limit_value, message)


class LocalisedLimits:
    """A form whose fields' lower and upper limits (``min_value``, ``max_value``, a model field's
    validators) are said in the user's locale when a value is refused."""

    fields: dict

    def full_clean(self):
        # At validation, not construction: some forms add fields after __init__ (a schedule's months).
        model = getattr(getattr(self, "_meta", None), "model", None)
        if getattr(self, "_limits_localised", False):
            model = None  # a second validation: the model's limits are there already
        self._limits_localised = True
        for name, field in self.fields.items():
            field.validators = [_localised(validator) for validator in field.validators]
            if model is not None:
                # A model form: the model field's limits are checked on the form field first (a
                # field the form refused is not validated again by the model).
                field.validators += [
                    _localised(validator)
                    for validator in _model_validators(model, name)
                    if type(validator) in LOCALISED
                ]
        super().full_clean()
