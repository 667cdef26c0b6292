"""Files of expenses spent on a client (travel, commissions, discounts...)."""

from django.utils.translation import gettext_lazy

from clients.imports import cells
from clients.imports.resources.base import ClientLinkedResource, Column, LedgerResource
from clients.models import Expense


class ExpenseResource(ClientLinkedResource):
    spent_on = Column(cells.DateCellWidget(required=True), help=gettext_lazy("Required. Date, YYYY-MM-DD."))
    category = Column(
        cells.ChoiceWidget(choices=Expense.Category, required=True),
        help=gettext_lazy("Required. commission, travel, equipment, tooling, discount or other."),
    )
    amount = Column(cells.DecimalCellWidget(required=True), help=gettext_lazy("Required. Amount."))
    note = Column(cells.TextWidget())

    class Meta(LedgerResource.Meta):
        model = Expense
        import_id_fields = ("client", "spent_on", "category")
        fields = ("client", "spent_on", "category", "amount", "note")
        import_order = fields

    def before_import(self, dataset, **kwargs):
        client_ids = self.load_clients(dataset)
        self.load_existing_between(dataset, client_ids, field="spent_on", parse=cells.parse_date)
