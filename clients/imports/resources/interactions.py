"""Files of interactions: who spent how long with which client, and when."""

from django.utils.translation import gettext_lazy
from import_export import fields

from clients.imports.cells import (
    ChoiceWidget,
    DateTimeCellWidget,
    DurationWidget,
    LookupWidget,
    TextWidget,
    client_ref_widget,
    parse_datetime,
)
from clients.imports.resources.base import ClientLinkedResource, LedgerResource
from clients.models import Interaction


class InteractionResource(ClientLinkedResource):
    client = fields.Field(attribute="client_id", column_name="client_ref", widget=client_ref_widget())
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

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        self.load_usernames(dataset, field="staff")
        self.load_existing_between(dataset, client_ids, field="started_at", parse=parse_datetime)
