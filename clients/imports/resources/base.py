"""The shared behaviour of the ledger's resources (django-import-export), one per kind of file.

Everything a row refers to (clients, users, invoices, the rows it may update) is loaded into dicts
once per file in ``before_import``: no query per row. Rows are written in bulk; the checks that bulk
mode would skip (model rules, duplicates inside the file, the payment ceiling) run per row in
``import_instance``, so every error keeps its line. Nothing is written in a dry run (the preview).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.results import RowResult

from clients import access, display
from clients.imports.cells import cell_text, client_ref_widget
from clients.keys import fold_key, key_matches
from clients.models import Client

CHUNK = 5000  # keys per IN (...) query: well under PostgreSQL's parameter limit
# The updates of stored rows a preview lists, column by column (the counts cover them all).
CHANGES_SHOWN = 50


class _QuietRowResult(RowResult):
    def add_instance_info(self, instance):
        # The default calls str(instance), which may follow a foreign key: one query per row.
        self.object_id = instance.pk


class Column(fields.Field):
    """A column of the file: the widget that reads its cells, the help the import page shows (which
    says whether it is required), its heading (by default, the name it is declared under) and the
    model attribute it sets (by default, of the same name as the heading)."""

    def __init__(self, widget, *, help="", name=None, attribute=None, **options):
        # The resource's metaclass gives a column without a ``name`` the one it is declared under.
        super().__init__(attribute=attribute, column_name=name, widget=widget, **options)
        self.help = help

    @property
    def attribute(self):
        return self._attribute or self.column_name

    @attribute.setter
    def attribute(self, value):
        self._attribute = value


def chunks(values):
    """The values in lists short enough for one ``IN (...)`` query each."""
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class LedgerResource(resources.ModelResource):
    """Shared behaviour: caches, natural keys, duplicate and model checks, unchanged rows skipped."""

    #: The attribute of a key typed as text (a client reference, an invoice number), matched regardless
    #: of case (``fold_key``).
    text_key: str | None = None

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
        #: The first ``CHANGES_SHOWN`` updates of stored rows (``_change``), for the preview.
        self.changes = []
        self._references = {}
        self._line = None
        self._snapshot_fields = [f for f in self.get_import_fields() if f.attribute]
        # Foreign keys come from the lookups: full_clean would check each one with a query.
        self._clean_exclude = {
            f.attribute.removesuffix("_id") for f in self._snapshot_fields if f.attribute.endswith("_id")
        }
        key_fields = [self.fields[name] for name in self._meta.import_id_fields]
        #: The columns whose cells identify a row (its natural key), in the order of ``row_key``.
        self.key_columns = [f.column_name for f in key_fields]
        self._key_cells = [(f.widget, f.column_name) for f in key_fields]
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
    def columns_with_help(cls):
        """(column, help) pairs of the file's columns, in the template's order."""
        return [(cls.fields[name].column_name, cls.fields[name].help) for name in cls._meta.import_order]

    @classmethod
    def required_columns(cls):
        """The columns a file must have; the others may be left out. A column left out gives its
        default to a new row and leaves an updated row's stored value as it is."""
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
        """The natural key of a row, from its cells; raises ValueError if a key cell is bad. A key
        typed as text (``text_key``) is folded, so that it matches regardless of case."""
        key = tuple(widget.clean(row.get(column)) for widget, column in self._key_cells)
        return fold_key(key[0]) if self.text_key else key

    def instance_key(self, instance):
        """The natural key of a stored row, comparable with ``row_key``."""
        if self.text_key:
            return fold_key(getattr(instance, self.text_key))
        return tuple(getattr(instance, self.fields[name].attribute) for name in self._meta.import_id_fields)

    def visible_clients(self):
        """The clients the importing user may see (``clients.access.visible``): a file refers to no other."""
        return access.visible(Client.objects.all(), self.user)

    def load_usernames(self, dataset, *, field):
        """Resolves the usernames of a column for its lookup widget: one query per chunk, none per row."""
        usernames = self.column_values(dataset, self.fields[field].column_name) - {""}
        users = self.widget(field).mapping
        for chunk in chunks(usernames):
            users.update(get_user_model().objects.filter(username__in=chunk).values_list("username", "pk"))

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
        if before is None:
            return False
        after = self.snapshot(instance)
        if before == after:
            return True
        if len(self.changes) < CHANGES_SHOWN:
            self.changes.append(self._change(row, before, after))
        return False

    def _change(self, row, before, after) -> dict:
        """What updating a stored row changes, for the preview: its line, its key, and each column
        that changes with the stored value and the file's, written as a file writes them."""
        columns = [
            [field.column_name, self._shown(field, old), self._shown(field, new)]
            for field, old, new in zip(self._snapshot_fields, before, after, strict=True)
            if old != new
        ]
        return {"line": self._line, "key": str(self.key_label(row)), "columns": columns}

    def _shown(self, field, value) -> str:
        if value is None or value == "":
            return ""
        if field.attribute.endswith("_id"):
            return self._reference(field.attribute.removesuffix("_id"), value)
        if isinstance(value, bool):
            return display.yes_no(value)
        return cell_text(value)

    def _reference(self, name, pk) -> str:
        """A related row as a file names it (a client's reference, a username, an invoice number)."""
        related = self._meta.model._meta.get_field(name).related_model
        attribute = getattr(related, "key_field", "") or getattr(related, "USERNAME_FIELD", "pk")
        if (related, pk) not in self._references:
            found = related._default_manager.filter(pk=pk).values_list(attribute, flat=True).first()
            self._references[related, pk] = str(found if found is not None else pk)
        return self._references[related, pk]

    # -- checks ---------------------------------------------------------------------------------

    def import_instance(self, instance, row, **kwargs):
        line = self._line = self.line_of(kwargs["row_number"])
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


class ClientLinkedResource(LedgerResource):
    """Rows that belong to a client given by its reference (contacts, interactions, expenses, invoices)."""

    client = Column(
        client_ref_widget(),
        name="client_ref",
        attribute="client_id",
        help=gettext_lazy("Required. Reference of a known client."),
    )

    def load_clients(self, dataset):
        refs = self.column_values(dataset, "client_ref") - {""}
        mapping = self.widget("client").mapping
        visible = self.visible_clients()
        self.client_refs = {}
        for chunk in chunks(refs):
            for ref, pk in visible.filter(key_matches("external_ref", chunk)).values_list(
                "external_ref", "pk"
            ):
                mapping[fold_key(ref)] = pk
                self.client_refs[pk] = ref
        return set(mapping.values())

    def load_existing(self, queryset):
        for instance in queryset:
            self.existing[self.instance_key(instance)] = instance

    def load_existing_between(self, dataset, client_ids, *, field, parse):
        """The stored rows of these clients dated from the earliest to the latest date of the file's
        ``field`` column: the rows the file may update (a cell that is not a date is left to its row)."""
        dates = []
        for value in dataset[self.fields[field].column_name]:
            try:
                dates.append(parse(value))
            except ValueError:
                continue
        if not dates:
            return
        attribute = self.fields[field].attribute
        for chunk in chunks(client_ids):
            self.load_existing(
                self._meta.model.objects.filter(
                    client_id__in=chunk, **{f"{attribute}__gte": min(dates), f"{attribute}__lte": max(dates)}
                )
            )

    def key_label(self, row):
        return _("The row for %(key)s") % {"key": super().key_label(row)}
