from typing import ClassVar

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clients import services
from clients.models import (
    Client,
    Contact,
    CostSettings,
    Expense,
    Interaction,
    Invoice,
    Payment,
    StaffCost,
)


class ClientRowAdmin(admin.ModelAdmin):
    """A row recorded on a client: the client is picked by search and loaded with the list."""

    list_select_related: ClassVar[tuple[str, ...]] = ("client",)
    autocomplete_fields = ("client",)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "external_ref", "status", "account_manager", "segment", "is_strategic")
    list_filter = ("status", "is_strategic", "segment")
    search_fields = ("name", "external_ref")
    autocomplete_fields = ("referred_by",)
    list_select_related = ("account_manager",)
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(ClientRowAdmin):
    list_display = ("name", "email", "client", "role", "is_primary", "language")
    list_filter = ("language",)
    search_fields = ("name", "email", "client__name")


@admin.register(StaffCost)
class StaffCostAdmin(admin.ModelAdmin):
    list_display = ("user", "effective_from", "hourly_cost")
    list_filter = ("user",)
    date_hierarchy = "effective_from"


@admin.register(Interaction)
class InteractionAdmin(ClientRowAdmin):
    list_display = ("started_at", "client", "staff", "kind", "duration_minutes")
    list_filter = ("kind", "staff")
    search_fields = ("client__name", "note")
    list_select_related = ("client", "staff")
    date_hierarchy = "started_at"


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    readonly_fields = ("paid_on", "amount")
    can_delete = True

    def has_add_permission(self, request, obj=None):
        # New payments go through the Payment page, which checks the total under a row lock.
        return False


@admin.register(Invoice)
class InvoiceAdmin(ClientRowAdmin):
    list_display = ("number", "client", "issued_on", "due_on", "amount", "cost_of_sales", "written_off")
    search_fields = ("number", "client__name", "client__external_ref")
    date_hierarchy = "issued_on"
    inlines = [PaymentInline]

    def save_model(self, request, obj, form, change):
        # The form checked the rules; the service checks them again under the invoice's row lock.
        services.invoice_save(invoice=obj)


class PaymentAdminForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ("invoice", "paid_on", "amount")

    def clean(self):
        data = super().clean()
        invoice, paid_on, amount = data.get("invoice"), data.get("paid_on"), data.get("amount")
        if not self.instance.pk and invoice and paid_on and amount is not None:
            services.payment_check(
                invoice=invoice,
                paid_on=paid_on,
                amount=amount,
                already_paid=services.invoice_paid_total(invoice=invoice),
            )
        return data


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("invoice", "paid_on", "amount")
    search_fields = ("invoice__number",)
    list_select_related = ("invoice",)
    autocomplete_fields = ("invoice",)
    date_hierarchy = "paid_on"

    def get_readonly_fields(self, request, obj=None):
        return ("invoice", "paid_on", "amount") if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        # The form checked the rules; the service checks them again under a row lock.
        payment = services.payment_record(invoice=obj.invoice, paid_on=obj.paid_on, amount=obj.amount)
        obj.pk = payment.pk

    def get_form(self, request, obj=None, **kwargs):
        kwargs.setdefault("form", PaymentAdminForm)
        return super().get_form(request, obj, **kwargs)


@admin.register(Expense)
class ExpenseAdmin(ClientRowAdmin):
    list_display = ("spent_on", "client", "category", "amount")
    list_filter = ("category",)
    search_fields = ("client__name", "note")
    date_hierarchy = "spent_on"


@admin.register(CostSettings)
class CostSettingsAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return not CostSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
