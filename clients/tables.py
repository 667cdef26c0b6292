import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clients.exports import spreadsheet_safe
from clients.models import Client, Interaction
from clients.services import interaction_editable


class SafeExportTable(tables.Table):
    """A table whose CSV/XLSX export never carries a live formula."""

    def as_values(self, exclude_columns=None):
        for row in super().as_values(exclude_columns):
            yield [spreadsheet_safe(value) for value in row]


class ClientTable(SafeExportTable):
    name = tables.Column(linkify=True, verbose_name=_("Client"))
    account_manager = tables.Column(
        verbose_name=_("Account manager"), order_by=("account_manager__first_name",)
    )

    class Meta:
        model = Client
        fields = (
            "name",
            "external_ref",
            "status",
            "segment",
            "account_manager",
            "acquired_on",
            "is_strategic",
        )
        attrs = {"class": "table"}
        empty_text = _("No client matches these filters.")

    def render_account_manager(self, value):
        return value.get_full_name() or value.username

    def value_account_manager(self, value):
        return value.get_full_name() or value.username


class InteractionTable(SafeExportTable):
    started_at = tables.DateTimeColumn(verbose_name=_("When"), format="SHORT_DATETIME_FORMAT")
    client = tables.Column(linkify=True)
    actions = tables.Column(verbose_name="", orderable=False, empty_values=(), exclude_from_export=True)

    class Meta:
        model = Interaction
        fields = ("started_at", "client", "kind", "duration_minutes", "note")
        attrs = {"class": "table"}
        empty_text = _("You have not logged any interaction yet.")

    def render_actions(self, record):
        if not interaction_editable(interaction=record, user=self.request.user):
            return ""
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("interactions:edit", args=[record.pk]),
            _("Edit"),
            reverse("interactions:delete", args=[record.pk]),
            _("Delete"),
        )
