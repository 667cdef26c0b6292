"""Files of clients and of their contacts."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from clients.imports.cells import (
    BooleanCellWidget,
    ChoiceWidget,
    DateCellWidget,
    DecimalCellWidget,
    LookupWidget,
    TextWidget,
    cell_text,
    client_ref_widget,
)
from clients.imports.resources.base import ClientLinkedResource, LedgerResource, chunks
from clients.keys import fold_key, key_matches
from clients.models import Client, Contact

#: The fields of a client that a person sets (``clients.forms.ClientForm``) and that a file sets (the
#: columns of ``ClientResource``), in the order the form and the file's template show them.
CLIENT_FIELDS = (
    "external_ref",
    "name",
    "status",
    "account_manager",
    "segment",
    "acquired_on",
    "acquisition_cost",
    "referred_by",
    "is_strategic",
    "strategic_reason",
    "estimated_annual_margin",
    "notes",
)


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
        fields = CLIENT_FIELDS
        import_order = fields

    def key_label(self, row):
        return _("Client reference “%(ref)s”") % {"ref": cell_text(row.get("external_ref"))}

    def hidden_message(self, row):
        return _("The client reference “%(ref)s” is already in use.") % {
            "ref": cell_text(row.get("external_ref"))
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
        for chunk in chunks(refs):
            rows = Client.objects.filter(key_matches("external_ref", chunk)).values_list("external_ref", "pk")
            ids.update((fold_key(ref), pk) for ref, pk in rows)
        updates = [
            Client(pk=ids[ref], referred_by_id=ids[referrer])
            for ref, referrer in self.pending_referrals.items()
        ]
        Client.objects.bulk_update(updates, ["referred_by"], batch_size=self._meta.batch_size)


class ContactResource(ClientLinkedResource):
    client = fields.Field(attribute="client_id", column_name="client_ref", widget=client_ref_widget())
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
