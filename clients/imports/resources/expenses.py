"""Files of expenses spent on a client (travel, commissions, discounts...)."""

from django.utils.translation import gettext_lazy
from import_export import fields

from clients.imports.cells import (
    ChoiceWidget,
    DateCellWidget,
    DecimalCellWidget,
    TextWidget,
    client_ref_widget,
    parse_date,
)
from clients.imports.resources.base import ClientLinkedResource, LedgerResource
from clients.models import Expense


class ExpenseResource(ClientLinkedResource):
    client = fields.Field(attribute="client_id", column_name="client_ref", widget=client_ref_widget())
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

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        self.load_existing_between(dataset, client_ids, field="spent_on", parse=parse_date)
