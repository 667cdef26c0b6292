import django_tables2 as tables
from django.core.paginator import EmptyPage
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2 import SingleTableMixin
from django_tables2.columns import library
from django_tables2.paginators import LazyPaginator

from clients import display
from clients.exports import MONEY, PERCENT, TEXT, LocalisedExportMixin, spreadsheet_safe
from clients.models import Client, Interaction
from clients.services import interaction_editable
from clients.templatetags.money import amount, percent


class Pages(LazyPaginator):
    """Pages without a COUNT (LazyPaginator). A page past the end, or beyond what any table can hold,
    answers 404 (LazyPaginator cannot name the last page, and a huge offset is a database error); a
    page below 1 shows the first. A page size asked in the address (``per_page``, which
    django-tables2 reads) is held between 1 and MAX_PER_PAGE rows."""

    MAX_PAGE = 1_000_000
    MAX_PER_PAGE = 500

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, min(max(int(per_page), 1), self.MAX_PER_PAGE), *args, **kwargs)

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > self.MAX_PAGE:
            raise Http404(_("There is no such page."))
        return number

    def page(self, number):
        try:
            return super().page(number)
        except EmptyPage as exc:
            if self.validate_number(number or 1) > 1:
                raise Http404(_("There is no such page.")) from exc
            raise


def filtering(filterset) -> bool:
    """Whether any of the list's filters holds a value."""
    return any(filterset.form.data.get(name) not in (None, "") for name in filterset.form.fields)


class FilteredTableMixin:
    """A table under a list's filters (django-filter's FilterView). Its empty text says why it is
    empty: a filter that was not understood lists nothing (the page names it, above the table);
    without any filter set, the table's ``empty_unfiltered`` says there is nothing yet; otherwise
    the table's own text, that nothing matches the filters."""

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        filterset = getattr(self, "filterset", None)
        if filterset is None:
            return kwargs
        if filterset.is_bound and not filterset.is_valid():
            kwargs["empty_text"] = _("Nothing is listed: a filter was not understood (see above).")
        elif not filtering(filterset) and getattr(self.table_class, "empty_unfiltered", None):
            kwargs["empty_text"] = self.table_class.empty_unfiltered
        return kwargs


class PagedTableMixin(FilteredTableMixin, SingleTableMixin):
    """A page's table, 50 rows a page, without a COUNT (``Pages``)."""

    paginator_class = Pages
    table_pagination = {"per_page": 50}


class PagedExportMixin(LocalisedExportMixin, PagedTableMixin):
    """A paged table that also exports as CSV or XLSX (``?_export=csv``)."""

    export_formats = ("csv", "xlsx")


class Column(tables.Column):
    """A column that may name itself in full in exports (`export_header`) and say what it holds
    (`export_kind`: money, percent, number, integer or text; see clients.exports)."""

    def __init__(self, *args, export_header=None, export_kind=TEXT, **kwargs):
        super().__init__(*args, **kwargs)
        self.export_header = export_header
        self.export_kind = export_kind


class MoneyColumn(Column):
    """An amount in the user's locale; exports keep the number."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        kwargs.setdefault("export_kind", MONEY)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return amount(value)

    def value(self, value):
        return value


class ShareColumn(MoneyColumn):
    """A share shown as a percentage; exports keep the number."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("export_kind", PERCENT)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return percent(value)


# Dates, moments and yes/no export as what they are, for clients.exports to write as a date cell
# (a moment in local time) or yes/no in the user's language: django-tables2's own columns export
# ISO text (a moment in UTC) and True/False. Registered, so that a model's date, date-time and
# boolean fields get them too (``Meta.fields``).


@library.register
class DateColumn(tables.DateColumn):
    def value(self, value, **kwargs):
        return value


@library.register
class DateTimeColumn(tables.DateTimeColumn):
    def value(self, value, **kwargs):
        return value


@library.register
class BooleanColumn(tables.BooleanColumn):
    def value(self, record, value, bound_column):
        return self._get_bool_value(record, value, bound_column)


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
        empty_text = _("No client matches these filters.")

    empty_unfiltered = _("No client yet.")

    def render_account_manager(self, value):
        return display.person(value)

    value_account_manager = render_account_manager


class InteractionTable(SafeExportTable):
    started_at = DateTimeColumn(verbose_name=_("When"), format="SHORT_DATETIME_FORMAT")
    client = tables.Column()
    actions = tables.Column(verbose_name="", orderable=False, empty_values=(), exclude_from_export=True)

    class Meta:
        model = Interaction
        fields = ("started_at", "client", "kind", "duration_minutes", "note")
        empty_text = _("You have not logged any interaction yet.")

    def render_client(self, record):
        """Linked while the user may still open the client; a client since moved to another account
        manager is named without a link (its page would answer 404)."""
        if not getattr(record, "client_visible", True):
            return record.client.name
        return format_html('<a href="{}">{}</a>', record.client.get_absolute_url(), record.client.name)

    def value_client(self, record):
        return record.client.name

    def render_actions(self, record):
        if not getattr(record, "client_visible", True):
            return ""
        if not interaction_editable(interaction=record, user=self.request.user):
            return ""
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("interactions:edit", args=[record.pk]),
            _("Edit"),
            reverse("interactions:delete", args=[record.pk]),
            _("Delete"),
        )
