"""Files of interactions: who spent how long with which client, and when."""

from django.utils.translation import gettext_lazy

from clients.imports import cells
from clients.imports.resources.base import ClientLinkedResource, Column, LedgerResource
from clients.models import Interaction


class InteractionResource(ClientLinkedResource):
    staff = Column(
        cells.LookupWidget(required=True, unknown=gettext_lazy("Unknown username “%(value)s”.")),
        attribute="staff_id",
        help=gettext_lazy("Required. Username of the staff member."),
    )
    started_at = Column(
        cells.DateTimeCellWidget(required=True),
        help=gettext_lazy("Required. Date and time, YYYY-MM-DD HH:MM (local time)."),
    )
    kind = Column(
        cells.ChoiceWidget(choices=Interaction.Kind, required=True),
        help=gettext_lazy("Required. call, email, meeting, support, demo, visit or proposal."),
    )
    duration_minutes = Column(
        cells.DurationWidget(required=True),
        help=gettext_lazy("Required. Whole minutes, above zero."),
    )
    note = Column(cells.TextWidget())

    class Meta(LedgerResource.Meta):
        model = Interaction
        import_id_fields = ("client", "staff", "started_at")
        fields = ("client", "staff", "started_at", "kind", "duration_minutes", "note")
        import_order = fields

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        self.load_usernames(dataset, field="staff")
        self.load_existing_between(dataset, client_ids, field="started_at", parse=cells.parse_datetime)
