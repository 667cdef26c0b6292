"""The transitions list and the providers directory as tables (django-tables2, exported)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audits.models import AlternativeProvider, Transition
from audits.reports.tables import ClientCellsMixin, client_cell
from clients.tables import BooleanColumn, DateColumn, MoneyColumn, SafeExportTable


class TransitionTable(ClientCellsMixin, SafeExportTable):
    client = tables.Column(verbose_name=_("Client"), order_by=("client__name",))
    external_ref = tables.Column(verbose_name=_("Reference"), accessor="client__external_ref", visible=False)
    account_manager = tables.Column(
        verbose_name=_("Account manager"),
        accessor="client__account_manager",
        order_by=("client__account_manager__first_name", "client__account_manager__username"),
        default="—",
    )
    stage = tables.Column(verbose_name=_("Stage"))
    end_date = DateColumn(verbose_name=_("End date"), format="DATE_FORMAT")
    monthly_baseline = MoneyColumn(verbose_name=_("Monthly revenue before"))
    reason = tables.Column(verbose_name=_("Reason"), orderable=False)
    planned_at = DateColumn(verbose_name=_("Planned"), format="DATE_FORMAT")

    class Meta:
        model = Transition
        fields = ()
        order_by = ("end_date",)
        attrs = {"class": "table transitions"}
        empty_text = _("No transition matches these filters.")

    empty_unfiltered = _("No transition yet: they start from the decisions of a completed audit.")

    def render_client(self, record):
        """The client's name links to the transition (not to the client's profitability page)."""
        return client_cell(record.client, record.get_absolute_url())

    def render_stage(self, record):
        return format_html('<span class="badge stage-{}">{}</span>', record.stage, record.get_stage_display())

    def value_stage(self, record):
        return record.get_stage_display()

    def render_reason(self, value):
        return value if len(value) <= 80 else value[:79] + "…"


class ProviderTable(SafeExportTable):
    name = tables.Column(
        verbose_name=_("Name"), linkify=("transitions:provider_edit", {"pk": tables.A("pk")})
    )
    services = tables.Column(verbose_name=_("Services"), orderable=False)
    segments = tables.Column(verbose_name=_("Segments served"))
    contact = tables.Column(verbose_name=_("Contact"), orderable=False)
    website = tables.Column(verbose_name=_("Website"), orderable=False)
    active = BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = AlternativeProvider
        fields = ()
        attrs = {"class": "table providers"}
        empty_text = _("No alternative provider yet.")
