"""How each ledger file maps onto the models: django-import-export resources.

Each widget turns one cell into a value or raises ``ValueError`` with a readable message, which the
library reports against the row. Everything a row refers to (clients, users, invoices, the rows it
may update) is loaded into dicts once per file in ``before_import``: no query per row. Rows are
written in bulk; the checks that bulk mode would skip (model rules, duplicates inside the file, the
payment ceiling) run per row in ``import_instance``, so every error keeps its line.
"""

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.results import RowResult

from clients import services
from clients.keys import fold_key, key_matches
from clients.models import Client, Contact, Expense, Interaction, Invoice, Payment

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("1000000000000")  # 14 digits, 2 of them decimals
CHUNK = 5000  # keys per IN (...) query: well under PostgreSQL's parameter limit

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE = {"1", "yes", "y", "true", "x", "oui", "ja", "da"}
_FALSE = {"0", "no", "n", "false", "non", "nee", "nu"}


def cell_text(value):
    """A cell as text: spreadsheets give numbers and dates, CSV gives strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and not value.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ")
    return str(value).strip()


def parse_decimal(value):
    """A money amount with at most two decimals; a comma is read as the decimal mark."""
    shown = cell_text(value)
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a number.") % {"value": shown})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": shown})
        # A spreadsheet keeps 15 significant digits: 12.1 (stored 12.0999...) reads 12.1, and a sum
        # such as 0.1 + 0.2 (0.30000000000000004) reads 0.3. Beyond the cent it is refused, as in CSV.
        number = Decimal(format(value, ".15g"))
        if number.as_tuple().exponent < -2:
            raise ValueError(_("“%(value)s” has more than two decimals.") % {"value": shown})
    else:
        text = re.sub(r"[\s\u00a0\u202f']", "", shown)
        if "," in text and "." in text:
            thousands = "." if text.rfind(",") > text.rfind(".") else ","
            text = text.replace(thousands, "")
        text = text.replace(",", ".")
        if not _NUMBER.match(text):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": shown})
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": shown}) from exc
        if number.as_tuple().exponent < -2:
            raise ValueError(_("“%(value)s” has more than two decimals.") % {"value": shown})
    if abs(number) >= MONEY_LIMIT:
        raise ValueError(_("“%(value)s” is too large.") % {"value": shown})
    return number.quantize(CENT)


def parse_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text}) from exc


def parse_datetime(value):
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = cell_text(value)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(
                _("“%(value)s” is not a date and time: write it as YYYY-MM-DD HH:MM.") % {"value": text}
            ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class CellWidget(widgets.Widget):
    """A blank cell gives ``empty`` or, when required, an error; anything else goes to ``parse``."""

    empty = None

    def __init__(self, *, required=False):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise ValueError(_("This column cannot be blank."))
            return self.empty
        return self.parse(value)

    def parse(self, value):
        return value


class TextWidget(CellWidget):
    empty = ""

    def __init__(self, *, max_length=None, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def parse(self, value):
        text = cell_text(value)
        if self.max_length and len(text) > self.max_length:
            raise ValueError(
                _("This text is %(length)d characters long; the limit is %(limit)d.")
                % {"length": len(text), "limit": self.max_length}
            )
        return text


class ChoiceWidget(CellWidget):
    """Accepts the stored value or its label, in any case: "Travel", "travel"."""

    def __init__(self, *, choices, default=None, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices
        self.empty = default

    def parse(self, value):
        text = cell_text(value).casefold()
        for stored, label in self.choices.choices:
            if text in (stored.casefold(), str(label).casefold()):
                return stored
        raise ValueError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": cell_text(value), "choices": ", ".join(self.choices.values)}
        )


class BooleanCellWidget(CellWidget):
    empty = False

    def parse(self, value):
        if isinstance(value, bool):
            return value
        text = cell_text(value).casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(_("“%(value)s” is not yes or no.") % {"value": cell_text(value)})


class DecimalCellWidget(CellWidget):
    def __init__(self, *, default=None, minimum=None, above_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.empty = default
        self.minimum = minimum
        self.above_zero = above_zero

    def parse(self, value):
        number = parse_decimal(value)
        if self.above_zero and number <= 0:
            raise ValueError(_("The amount must be above zero, not %(value)s.") % {"value": number})
        if self.minimum is not None and number < self.minimum:
            raise ValueError(_("The amount cannot be negative (%(value)s).") % {"value": number})
        return number


class DurationWidget(CellWidget):
    """Whole minutes, above zero."""

    def parse(self, value):
        text = cell_text(value)
        if not _INTEGER.match(text):
            raise ValueError(_("“%(value)s” is not a whole number of minutes.") % {"value": text})
        minutes = int(text)
        if minutes <= 0:
            raise ValueError(
                _("The duration must be above zero minutes, not %(value)d.") % {"value": minutes}
            )
        if minutes > 2_147_483_647:
            raise ValueError(_("“%(value)s” is too large.") % {"value": text})
        return minutes


class DateCellWidget(CellWidget):
    def parse(self, value):
        return parse_date(value)


class DateTimeCellWidget(CellWidget):
    def parse(self, value):
        return parse_datetime(value)


class LookupWidget(CellWidget):
    """A reference (client reference, username, invoice number) resolved from a dict loaded per file.

    With ``ignore_case`` the dict is keyed by ``fold_key`` (client references and invoice numbers).
    """

    def __init__(self, *, unknown, ignore_case=False, **kwargs):
        super().__init__(**kwargs)
        self.unknown = unknown
        self.ignore_case = ignore_case
        self.mapping = {}

    def parse(self, value):
        key = cell_text(value)
        try:
            return self.mapping[fold_key(key) if self.ignore_case else key]
        except KeyError:
            raise ValueError(self.unknown % {"value": key}) from None


def _client_ref_widget():
    return LookupWidget(
        required=True, ignore_case=True, unknown=gettext_lazy("Unknown client reference “%(value)s”.")
    )


class _QuietRowResult(RowResult):
    def add_instance_info(self, instance):
        # The default calls str(instance), which may follow a foreign key: one query per row.
        self.object_id = instance.pk


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class LedgerResource(resources.ModelResource):
    """Shared behaviour: caches, natural keys, duplicate and model checks, unchanged rows skipped."""

    #: Column names whose values identify a row (the natural key), in the order of ``row_key``.
    key_columns = ()
    #: The attribute of a key typed as text (a client reference, an invoice number), matched regardless
    #: of case (``fold_key``).
    text_key = None
    #: Column help shown on the import page: column name -> text.
    column_help = {}

    class Meta:
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        report_skipped = False
        clean_model_instances = False
        use_transactions = True

    def __init__(self, *, user, lines=None, for_write=False):
        super().__init__()
        self.user = user
        self.lines = lines
        self.for_write = for_write
        self.existing = {}
        self.hidden_keys = set()
        self.seen = {}
        self._snapshot_fields = [f for f in self.get_import_fields() if f.attribute]
        # Foreign keys come from the lookups: full_clean would check each one with a query.
        self._clean_exclude = {
            f.attribute.removesuffix("_id") for f in self._snapshot_fields if f.attribute.endswith("_id")
        }
        self.column_of = {}
        for f in self.fields.values():
            if f.attribute:
                self.column_of[f.attribute] = f.column_name
                self.column_of[f.attribute.removesuffix("_id")] = f.column_name

    @classmethod
    def get_row_result_class(cls):
        return _QuietRowResult

    @classmethod
    def columns(cls):
        """The file's columns, in the template's order."""
        return [cls.fields[name].column_name for name in cls._meta.import_order]

    @classmethod
    def required_columns(cls):
        """The columns a file must have; the others may be left out (DESIGN section 8). A column left
        out gives its default to a new row and leaves an updated row's stored value as it is."""
        return [
            cls.fields[name].column_name
            for name in cls._meta.import_order
            if getattr(cls.fields[name].widget, "required", False)
        ]

    def line_of(self, row_number):
        return self.lines[row_number - 1] if self.lines else row_number + 1

    def widget(self, name):
        return self.fields[name].widget

    def column_values(self, dataset, column):
        """The texts of a column's cells; none for a column the file leaves out."""
        if column not in (dataset.headers or ()):
            return set()
        return {cell_text(value) for value in dataset[column]}

    # -- natural keys ---------------------------------------------------------------------------

    def row_key(self, row):
        """The natural key of a row, from its cells; raises ValueError if a key cell is bad."""
        raise NotImplementedError

    def instance_key(self, instance):
        raise NotImplementedError

    def key_text(self, row):
        return " / ".join(cell_text(row.get(column)) for column in self.key_columns)

    def key_label(self, row):
        return self.key_text(row)

    def get_instance(self, instance_loader, row):
        try:
            key = self.row_key(row)
        except ValueError:
            return None
        instance = self.existing.get(key)
        if instance is not None:
            instance._import_original = self.snapshot(instance)
        return instance

    def snapshot(self, instance):
        return tuple(getattr(instance, f.attribute) for f in self._snapshot_fields)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        before = getattr(instance, "_import_original", None)
        return before is not None and before == self.snapshot(instance)

    # -- checks ---------------------------------------------------------------------------------

    def import_instance(self, instance, row, **kwargs):
        line = self.line_of(kwargs["row_number"])
        errors = {}
        try:
            key = self.row_key(row)
        except ValueError:
            key = None
        if key is not None:
            if key in self.hidden_keys:
                errors[NON_FIELD_ERRORS] = [self.hidden_message(row)]
            spelling = self.key_text(row)
            first, first_spelling = self.seen.setdefault(key, (line, spelling))
            if first != line:
                if first_spelling == spelling:
                    message = _("%(key)s appears twice in this file: on line %(first)d and on this line.")
                else:
                    message = _(
                        "%(key)s appears twice in this file: on line %(first)d (written %(spelling)s) "
                        "and on this line; keys are compared regardless of case."
                    )
                errors.setdefault(NON_FIELD_ERRORS, []).append(
                    message % {"key": self.key_label(row), "first": first, "spelling": first_spelling}
                )
        # A row found regardless of case keeps the spelling of its key already stored.
        stored = getattr(instance, self.text_key) if self.text_key and instance.pk is not None else None
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if stored is not None:
            setattr(instance, self.text_key, stored)
        # The model's own rules run even when a cell was refused, on the cells that were read, so
        # the row lists every error at once (a rule that needs a refused cell is skipped).
        refused = {name.removesuffix("_id") for name in errors if name != NON_FIELD_ERRORS}
        try:
            instance.full_clean(
                exclude=[*self._clean_exclude, *refused], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        except (TypeError, ValueError, AttributeError, ObjectDoesNotExist):
            if not errors:
                raise
        if not errors:
            try:
                self.check_instance(instance, row, line=line)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def check_instance(self, instance, row, *, line):
        """Rules across rows or against the ledger; raise ValidationError."""

    # -- writing --------------------------------------------------------------------------------

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:  # a preview checks every row and writes nothing
            self.create_instances.clear()
            return
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.update_instances.clear()
            return
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)

    def after_import_row(self, row, row_result, **kwargs):
        progress = kwargs.get("progress")
        if progress is not None:
            progress(kwargs["row_number"])

    def hidden_message(self, row):
        return _("%(key)s is already in use.") % {"key": self.key_label(row)}


class ClientResource(LedgerResource):
    external_ref = fields.Field(
        attribute="external_ref", column_name="external_ref", widget=TextWidget(required=True, max_length=64)
    )
    name = fields.Field(
        attribute="name", column_name="name", widget=TextWidget(required=True, max_length=200)
    )
    status = fields.Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(choices=Client.Status, default=Client.Status.ACTIVE),
    )
    account_manager = fields.Field(
        attribute="account_manager_id",
        column_name="account_manager",
        widget=LookupWidget(unknown=gettext_lazy("Unknown username “%(value)s”.")),
    )
    segment = fields.Field(attribute="segment", column_name="segment", widget=TextWidget(max_length=100))
    acquired_on = fields.Field(attribute="acquired_on", column_name="acquired_on", widget=DateCellWidget())
    acquisition_cost = fields.Field(
        attribute="acquisition_cost",
        column_name="acquisition_cost",
        widget=DecimalCellWidget(minimum=Decimal("0")),
    )
    referred_by = fields.Field(
        attribute="referred_by_id", column_name="referred_by", widget=TextWidget(max_length=64), readonly=True
    )
    is_strategic = fields.Field(
        attribute="is_strategic", column_name="is_strategic", widget=BooleanCellWidget()
    )
    strategic_reason = fields.Field(
        attribute="strategic_reason", column_name="strategic_reason", widget=TextWidget()
    )
    estimated_annual_margin = fields.Field(
        attribute="estimated_annual_margin", column_name="estimated_annual_margin", widget=DecimalCellWidget()
    )
    notes = fields.Field(attribute="notes", column_name="notes", widget=TextWidget())

    key_columns = ("external_ref",)
    text_key = "external_ref"
    column_help = {
        "external_ref": gettext_lazy(
            "Required. The client's reference; a known reference updates that client."
        ),
        "name": gettext_lazy("Required."),
        "status": gettext_lazy("prospect, active, transitioning or former; blank means active."),
        "account_manager": gettext_lazy("Username of the account manager; may be blank."),
        "segment": gettext_lazy("Segment or industry."),
        "acquired_on": gettext_lazy("Date, YYYY-MM-DD."),
        "acquisition_cost": gettext_lazy("Amount, 0 or more; blank means unknown, 0 means it cost nothing."),
        "referred_by": gettext_lazy(
            "Reference of the client who referred this one (known, or in this file)."
        ),
        "is_strategic": gettext_lazy("yes or no."),
        "strategic_reason": gettext_lazy("Required when strategic."),
        "estimated_annual_margin": gettext_lazy("Amount, for prospects; may be blank."),
        "notes": "",
    }

    class Meta(LedgerResource.Meta):
        model = Client
        import_id_fields = ("external_ref",)
        fields = Client.RECORDED_FIELDS
        import_order = fields

    def row_key(self, row):
        return fold_key(self.widget("external_ref").clean(row.get("external_ref")))

    def key_label(self, row):
        return _("Client reference “%(ref)s”") % {"ref": cell_text(row.get("external_ref"))}

    def hidden_message(self, row):
        return _("The client reference “%(ref)s” is already in use.") % {
            "ref": cell_text(row.get("external_ref"))
        }

    def before_import(self, dataset, **kwargs):
        refs = self.column_values(dataset, "external_ref") - {""}
        referred = self.column_values(dataset, "referred_by") - {""}
        visible = Client.objects.visible_to(self.user)
        self.file_refs = {fold_key(ref) for ref in refs}
        for chunk in _chunks(refs):
            for client in Client.objects.filter(key_matches("external_ref", chunk)):
                self.existing[fold_key(client.external_ref)] = client
        visible_ids = set()
        for chunk in _chunks(refs | referred):
            visible_ids.update(
                visible.filter(key_matches("external_ref", chunk)).values_list("pk", flat=True)
            )
        for key, client in list(self.existing.items()):
            if client.pk not in visible_ids:
                del self.existing[key]
                self.hidden_keys.add(key)
        self.referral_ids = {}
        for chunk in _chunks(referred):
            rows = visible.filter(key_matches("external_ref", chunk)).values_list("external_ref", "pk")
            self.referral_ids.update((fold_key(ref), pk) for ref, pk in rows)
        usernames = self.column_values(dataset, "account_manager") - {""}
        users = self.widget("account_manager").mapping
        for chunk in _chunks(usernames):
            users.update(get_user_model().objects.filter(username__in=chunk).values_list("username", "pk"))
        self.pending_referrals = {}

    def check_instance(self, instance, row, *, line):
        instance._import_referral = None
        if "referred_by" not in row:
            return  # the column is left out: the stored referral stays
        ref = cell_text(row.get("referred_by"))
        key = fold_key(ref)
        if not ref:
            instance.referred_by_id = None
        elif key == fold_key(instance.external_ref):
            raise ValidationError({"referred_by": _("A client cannot refer itself.")})
        elif key in self.referral_ids:
            instance.referred_by_id = self.referral_ids[key]
        elif key in self.file_refs:
            # Referred by a client this file creates: linked once the rows are written.
            self.pending_referrals[fold_key(instance.external_ref)] = key
            instance._import_referral = key
        else:
            raise ValidationError(
                {"referred_by": _("Unknown client reference “%(value)s”.") % {"value": ref}}
            )

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if getattr(instance, "_import_referral", None):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk:
            instance.updated_at = timezone.now()

    def get_bulk_update_fields(self):
        return [*super().get_bulk_update_fields(), "updated_at"]

    def after_import(self, dataset, result, **kwargs):
        if not self.for_write or not self.pending_referrals or result.has_validation_errors():
            return
        refs = set(self.pending_referrals) | set(self.pending_referrals.values())
        ids = {}
        for chunk in _chunks(refs):
            rows = Client.objects.filter(key_matches("external_ref", chunk)).values_list("external_ref", "pk")
            ids.update((fold_key(ref), pk) for ref, pk in rows)
        updates = [
            Client(pk=ids[ref], referred_by_id=ids[referrer])
            for ref, referrer in self.pending_referrals.items()
        ]
        Client.objects.bulk_update(updates, ["referred_by"], batch_size=self._meta.batch_size)


class ClientLinkedResource(LedgerResource):
    """Rows that belong to a client given by its reference (contacts, interactions, expenses, invoices)."""

    def load_clients(self, dataset):
        refs = self.column_values(dataset, "client_ref") - {""}
        mapping = self.widget("client").mapping
        visible = Client.objects.visible_to(self.user)
        self.client_refs = {}
        for chunk in _chunks(refs):
            for ref, pk in visible.filter(key_matches("external_ref", chunk)).values_list(
                "external_ref", "pk"
            ):
                mapping[fold_key(ref)] = pk
                self.client_refs[pk] = ref
        return set(mapping.values())

    def load_existing(self, queryset):
        for instance in queryset:
            self.existing[self.instance_key(instance)] = instance

    def key_label(self, row):
        return _("The row for %(key)s") % {"key": super().key_label(row)}


class ContactResource(ClientLinkedResource):
    client = fields.Field(attribute="client_id", column_name="client_ref", widget=_client_ref_widget())
    email = fields.Field(
        attribute="email", column_name="email", widget=TextWidget(required=True, max_length=254)
    )
    name = fields.Field(
        attribute="name", column_name="name", widget=TextWidget(required=True, max_length=200)
    )
    role = fields.Field(attribute="role", column_name="role", widget=TextWidget(max_length=100))
    postal_address = fields.Field(
        attribute="postal_address", column_name="postal_address", widget=TextWidget()
    )
    is_primary = fields.Field(attribute="is_primary", column_name="is_primary", widget=BooleanCellWidget())

    key_columns = ("client_ref", "email")
    column_help = {
        "client_ref": gettext_lazy("Required. Reference of a known client."),
        "email": gettext_lazy("Required. With the client reference, identifies the contact."),
        "name": gettext_lazy("Required."),
        "role": "",
        "postal_address": gettext_lazy("The address letters are sent to."),
        "is_primary": gettext_lazy("yes or no; one primary contact per client."),
    }

    class Meta(LedgerResource.Meta):
        model = Contact
        import_id_fields = ("client", "email")
        fields = ("client", "email", "name", "role", "postal_address", "is_primary")
        import_order = fields

    def row_key(self, row):
        return (
            self.widget("client").clean(row.get("client_ref")),
            self.widget("email").clean(row.get("email")),
        )

    def instance_key(self, instance):
        return (instance.client_id, instance.email)

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        self.primary = {}
        for chunk in _chunks(client_ids):
            for contact in Contact.objects.filter(client_id__in=chunk):
                self.existing[self.instance_key(contact)] = contact
                if contact.is_primary:
                    self.primary[contact.client_id] = (contact.email, None)

    def check_instance(self, instance, row, *, line):
        current = self.primary.get(instance.client_id)
        if not instance.is_primary or (current and current[0] == instance.email):
            if not instance.is_primary and current and current[0] == instance.email and current[1] is None:
                # The ledger's primary contact is made ordinary by this file.
                del self.primary[instance.client_id]
            return
        if current is None:
            self.primary[instance.client_id] = (instance.email, line)
            return
        ref = self.client_refs[instance.client_id]
        if current[1] is None:
            message = _(
                "Client %(ref)s already has a primary contact (%(email)s); make it an ordinary contact first."
            ) % {"ref": ref, "email": current[0]}
        else:
            message = _("Client %(ref)s already has a primary contact on line %(line)d (%(email)s).") % {
                "ref": ref,
                "line": current[1],
                "email": current[0],
            }
        raise ValidationError({"is_primary": message})

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Updates first: a contact made ordinary frees the primary slot before a new primary arrives.
        self.bulk_update(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)


class InteractionResource(ClientLinkedResource):
    client = fields.Field(attribute="client_id", column_name="client_ref", widget=_client_ref_widget())
    staff = fields.Field(
        attribute="staff_id",
        column_name="staff",
        widget=LookupWidget(required=True, unknown=gettext_lazy("Unknown username “%(value)s”.")),
    )
    started_at = fields.Field(
        attribute="started_at", column_name="started_at", widget=DateTimeCellWidget(required=True)
    )
    kind = fields.Field(
        attribute="kind", column_name="kind", widget=ChoiceWidget(choices=Interaction.Kind, required=True)
    )
    duration_minutes = fields.Field(
        attribute="duration_minutes", column_name="duration_minutes", widget=DurationWidget(required=True)
    )
    note = fields.Field(attribute="note", column_name="note", widget=TextWidget())

    key_columns = ("client_ref", "staff", "started_at")
    column_help = {
        "client_ref": gettext_lazy("Required. Reference of a known client."),
        "staff": gettext_lazy("Required. Username of the staff member."),
        "started_at": gettext_lazy("Required. Date and time, YYYY-MM-DD HH:MM (local time)."),
        "kind": gettext_lazy("Required. call, email, meeting, support, demo, visit or proposal."),
        "duration_minutes": gettext_lazy("Required. Whole minutes, above zero."),
        "note": "",
    }

    class Meta(LedgerResource.Meta):
        model = Interaction
        import_id_fields = ("client", "staff", "started_at")
        fields = ("client", "staff", "started_at", "kind", "duration_minutes", "note")
        import_order = fields

    def row_key(self, row):
        return (
            self.widget("client").clean(row.get("client_ref")),
            self.widget("staff").clean(row.get("staff")),
            self.widget("started_at").clean(row.get("started_at")),
        )

    def instance_key(self, instance):
        return (instance.client_id, instance.staff_id, instance.started_at)

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        usernames = self.column_values(dataset, "staff") - {""}
        users = self.widget("staff").mapping
        for chunk in _chunks(usernames):
            users.update(get_user_model().objects.filter(username__in=chunk).values_list("username", "pk"))
        moments = []
        for value in dataset["started_at"]:
            try:
                moments.append(parse_datetime(value))
            except ValueError:
                continue
        if not moments:
            return
        for chunk in _chunks(client_ids):
            self.load_existing(
                Interaction.objects.filter(
                    client_id__in=chunk, started_at__gte=min(moments), started_at__lte=max(moments)
                )
            )


class InvoiceResource(ClientLinkedResource):
    number = fields.Field(
        attribute="number", column_name="number", widget=TextWidget(required=True, max_length=64)
    )
    client = fields.Field(attribute="client_id", column_name="client_ref", widget=_client_ref_widget())
    issued_on = fields.Field(
        attribute="issued_on", column_name="issued_on", widget=DateCellWidget(required=True)
    )
    due_on = fields.Field(attribute="due_on", column_name="due_on", widget=DateCellWidget(required=True))
    amount = fields.Field(attribute="amount", column_name="amount", widget=DecimalCellWidget(required=True))
    cost_of_sales = fields.Field(
        attribute="cost_of_sales", column_name="cost_of_sales", widget=DecimalCellWidget(minimum=Decimal("0"))
    )
    written_off = fields.Field(
        attribute="written_off",
        column_name="written_off",
        widget=DecimalCellWidget(default=Decimal("0.00"), minimum=Decimal("0")),
    )

    key_columns = ("number",)
    text_key = "number"
    column_help = {
        "number": gettext_lazy("Required. The invoice number; a known number updates that invoice."),
        "client_ref": gettext_lazy("Required. Reference of a known client."),
        "issued_on": gettext_lazy("Required. Date, YYYY-MM-DD."),
        "due_on": gettext_lazy("Required. Date, not before the issue date."),
        "amount": gettext_lazy("Required. Amount excluding tax; negative for a credit note."),
        "cost_of_sales": gettext_lazy("Amount; blank uses the default margin rate."),
        "written_off": gettext_lazy("Amount, 0 or more; blank means 0."),
    }

    class Meta(LedgerResource.Meta):
        model = Invoice
        import_id_fields = ("number",)
        fields = ("number", "client", "issued_on", "due_on", "amount", "cost_of_sales", "written_off")
        import_order = fields

    def row_key(self, row):
        return fold_key(self.widget("number").clean(row.get("number")))

    def instance_key(self, instance):
        return fold_key(instance.number)

    def key_label(self, row):
        return _("Invoice number %(number)s") % {"number": cell_text(row.get("number"))}

    def before_import(self, dataset, **kwargs):
        self.load_clients(dataset)
        numbers = self.column_values(dataset, "number") - {""}
        visible = Client.objects.visible_to(self.user)
        for chunk in _chunks(numbers):
            invoices = Invoice.objects.filter(key_matches("number", chunk), client__in=visible)
            if self.for_write:
                # Locked until the import commits, so that no payment lands under a lowered amount; locked
                # first, so that the totals below, read by a later statement, include every payment.
                list(invoices.select_for_update(of=("self",)).values_list("pk"))
            # What was paid comes along for Invoice.clean, which checks a corrected amount or write-off
            # against it (check_balance) without a query per row.
            self.load_existing(invoices.with_payments_total())
            hidden = Invoice.objects.filter(key_matches("number", chunk)).exclude(client__in=visible)
            self.hidden_keys.update(fold_key(number) for number in hidden.values_list("number", flat=True))


class PaymentResource(LedgerResource):
    invoice = fields.Field(
        attribute="invoice_id",
        column_name="invoice_number",
        widget=LookupWidget(
            required=True, ignore_case=True, unknown=gettext_lazy("Unknown invoice number “%(value)s”.")
        ),
    )
    paid_on = fields.Field(attribute="paid_on", column_name="paid_on", widget=DateCellWidget(required=True))
    amount = fields.Field(
        attribute="amount", column_name="amount", widget=DecimalCellWidget(required=True, above_zero=True)
    )

    key_columns = ("invoice_number", "paid_on")
    column_help = {
        "invoice_number": gettext_lazy("Required. Number of a known invoice."),
        "paid_on": gettext_lazy("Required. Date, YYYY-MM-DD; one payment per invoice and day."),
        "amount": gettext_lazy("Required. Above zero; all payments together cannot exceed the invoice."),
    }

    class Meta(LedgerResource.Meta):
        model = Payment
        import_id_fields = ("invoice", "paid_on")
        fields = ("invoice", "paid_on", "amount")
        import_order = fields

    def row_key(self, row):
        return (
            self.widget("invoice").clean(row.get("invoice_number")),
            self.widget("paid_on").clean(row.get("paid_on")),
        )

    def instance_key(self, instance):
        return (instance.invoice_id, instance.paid_on)

    def key_label(self, row):
        return _("The payment of invoice %(number)s on %(date)s") % {
            "number": cell_text(row.get("invoice_number")),
            "date": cell_text(row.get("paid_on")),
        }

    def before_import(self, dataset, **kwargs):
        numbers = self.column_values(dataset, "invoice_number") - {""}
        visible = Client.objects.visible_to(self.user)
        mapping = self.widget("invoice").mapping
        self.invoices = {}
        self.paid = {}
        for chunk in _chunks(numbers):
            invoices = Invoice.objects.filter(key_matches("number", chunk), client__in=visible).only(
                "pk", "number", "amount", "written_off", "issued_on"
            )
            if self.for_write:
                # Held until the import commits, so that no other payment can overpay these invoices.
                invoices = invoices.select_for_update(of=("self",))
            for invoice in invoices:
                mapping[fold_key(invoice.number)] = invoice.pk
                self.invoices[invoice.pk] = invoice
                self.paid[invoice.pk] = Decimal("0")
        for chunk in _chunks(self.invoices):
            for payment in Payment.objects.filter(invoice_id__in=chunk):
                self.existing[self.instance_key(payment)] = payment
                self.paid[payment.invoice_id] += payment.amount

    def check_instance(self, instance, row, *, line):
        # For an update, the stored amount is already counted: take it out before adding the new one.
        original = getattr(instance, "_import_original", None)
        counted = original[self._snapshot_fields.index(self.fields["amount"])] if original else Decimal("0")
        already_paid = self.paid[instance.invoice_id] - counted
        services.payment_check(
            invoice=self.invoices[instance.invoice_id],
            paid_on=instance.paid_on,
            amount=instance.amount,
            already_paid=already_paid,
        )
        self.paid[instance.invoice_id] = already_paid + instance.amount


class ExpenseResource(ClientLinkedResource):
    client = fields.Field(attribute="client_id", column_name="client_ref", widget=_client_ref_widget())
    spent_on = fields.Field(
        attribute="spent_on", column_name="spent_on", widget=DateCellWidget(required=True)
    )
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=ChoiceWidget(choices=Expense.Category, required=True),
    )
    amount = fields.Field(attribute="amount", column_name="amount", widget=DecimalCellWidget(required=True))
    note = fields.Field(attribute="note", column_name="note", widget=TextWidget())

    key_columns = ("client_ref", "spent_on", "category")
    column_help = {
        "client_ref": gettext_lazy("Required. Reference of a known client."),
        "spent_on": gettext_lazy("Required. Date, YYYY-MM-DD."),
        "category": gettext_lazy("Required. commission, travel, equipment, tooling, discount or other."),
        "amount": gettext_lazy("Required. Amount."),
        "note": "",
    }

    class Meta(LedgerResource.Meta):
        model = Expense
        import_id_fields = ("client", "spent_on", "category")
        fields = ("client", "spent_on", "category", "amount", "note")
        import_order = fields

    def row_key(self, row):
        return (
            self.widget("client").clean(row.get("client_ref")),
            self.widget("spent_on").clean(row.get("spent_on")),
            self.widget("category").clean(row.get("category")),
        )

    def instance_key(self, instance):
        return (instance.client_id, instance.spent_on, instance.category)

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        dates = []
        for value in dataset["spent_on"]:
            try:
                dates.append(parse_date(value))
            except ValueError:
                continue
        if not dates:
            return
        for chunk in _chunks(client_ids):
            self.load_existing(
                Expense.objects.filter(
                    client_id__in=chunk, spent_on__gte=min(dates), spent_on__lte=max(dates)
                )
            )


RESOURCES = {
    "clients": ClientResource,
    "contacts": ContactResource,
    "interactions": InteractionResource,
    "invoices": InvoiceResource,
    "payments": PaymentResource,
    "expenses": ExpenseResource,
}
