"""Files of clients and of their contacts."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.imports import cells
from clients.imports.resources.base import ClientLinkedResource, Column, LedgerResource, chunks
from clients.keys import fold_key, key_matches
from clients.models import Client, Contact


class ClientResource(LedgerResource):
    external_ref = Column(
        cells.TextWidget(required=True, max_length=64),
        help=gettext_lazy("Required. The client's reference; a known reference updates that client."),
    )
    name = Column(cells.TextWidget(required=True, max_length=200), help=gettext_lazy("Required."))
    status = Column(
        cells.ChoiceWidget(choices=Client.Status, default=Client.Status.ACTIVE),
        help=gettext_lazy("prospect, active, transitioning or former; blank means active."),
    )
    account_manager = Column(
        cells.LookupWidget(unknown=gettext_lazy("Unknown username “%(value)s”.")),
        attribute="account_manager_id",
        help=gettext_lazy("Username of the account manager; may be blank."),
    )
    segment = Column(cells.TextWidget(max_length=100), help=gettext_lazy("Segment or industry."))
    acquired_on = Column(cells.DateCellWidget(), help=gettext_lazy("Date, YYYY-MM-DD."))
    acquisition_cost = Column(
        cells.DecimalCellWidget(minimum=Decimal("0")),
        help=gettext_lazy("Amount, 0 or more; blank means unknown, 0 means it cost nothing."),
    )
    referred_by = Column(
        cells.TextWidget(max_length=64),
        attribute="referred_by_id",
        readonly=True,
        help=gettext_lazy("Reference of the client who referred this one (known, or in this file)."),
    )
    is_strategic = Column(cells.BooleanCellWidget(), help=gettext_lazy("yes or no."))
    strategic_reason = Column(cells.TextWidget(), help=gettext_lazy("Required when strategic."))
    estimated_annual_margin = Column(
        cells.DecimalCellWidget(),
        help=gettext_lazy("Amount, for prospects; may be blank."),
    )
    notes = Column(cells.TextWidget())

    text_key = "external_ref"

    class Meta(LedgerResource.Meta):
        model = Client
        import_id_fields = ("external_ref",)
        fields = Client.RECORDED_FIELDS
        import_order = fields

    def key_label(self, row):
        return _("Client reference “%(ref)s”") % {"ref": cells.cell_text(row.get("external_ref"))}

    def hidden_message(self, row):
        return _("The client reference “%(ref)s” is already in use.") % {
            "ref": cells.cell_text(row.get("external_ref"))
        }

    def before_import(self, dataset, **kwargs):
        refs = self.column_values(dataset, "external_ref") - {""}
        referred = self.column_values(dataset, "referred_by") - {""}
        visible = self.visible_clients()
        self.file_refs = {fold_key(ref) for ref in refs}
        for chunk in chunks(refs):
            for client in Client.objects.filter(key_matches("external_ref", chunk)):
                self.existing[fold_key(client.external_ref)] = client
        visible_ids = set()
        for chunk in chunks(refs | referred):
            visible_ids.update(
                visible.filter(key_matches("external_ref", chunk)).values_list("pk", flat=True)
            )
        for key, client in list(self.existing.items()):
            if client.pk not in visible_ids:
                del self.existing[key]
                self.hidden_keys.add(key)
        self.referral_ids = {}
        for chunk in chunks(referred):
            rows = visible.filter(key_matches("external_ref", chunk)).values_list("external_ref", "pk")
            self.referral_ids.update((fold_key(ref), pk) for ref, pk in rows)
        self.load_usernames(dataset, field="account_manager")
        self.pending_referrals = {}

    def check_instance(self, instance, row, *, line):
        instance._import_referral = None
        if "referred_by" not in row:
            return  # the column is left out: the stored referral stays
        ref = cells.cell_text(row.get("referred_by"))
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
        for chunk in chunks(refs):
            rows = Client.objects.filter(key_matches("external_ref", chunk)).values_list("external_ref", "pk")
            ids.update((fold_key(ref), pk) for ref, pk in rows)
        updates = [
            Client(pk=ids[ref], referred_by_id=ids[referrer])
            for ref, referrer in self.pending_referrals.items()
        ]
        Client.objects.bulk_update(updates, ["referred_by"], batch_size=self._meta.batch_size)


class ContactResource(ClientLinkedResource):
    email = Column(
        cells.TextWidget(required=True, max_length=254),
        help=gettext_lazy("Required. With the client reference, identifies the contact."),
    )
    name = Column(cells.TextWidget(required=True, max_length=200), help=gettext_lazy("Required."))
    role = Column(cells.TextWidget(max_length=100))
    postal_address = Column(cells.TextWidget(), help=gettext_lazy("The address letters are sent to."))
    is_primary = Column(
        cells.BooleanCellWidget(),
        help=gettext_lazy("yes or no; one primary contact per client."),
    )
    language = Column(
        cells.LanguageWidget(),
        help=gettext_lazy(
            "The language letters are written in: en, fr, nl or ro, or the language's name; "
            "blank means the firm's default."
        ),
    )

    class Meta(LedgerResource.Meta):
        model = Contact
        import_id_fields = ("client", "email")
        fields = ("client", "email", "name", "role", "postal_address", "is_primary", "language")
        import_order = fields

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        self.primary = {}
        for chunk in chunks(client_ids):
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
