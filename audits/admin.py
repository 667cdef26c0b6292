from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audits.models import ActivityLog, ClientSnapshot, PortfolioSnapshot, ProfitabilityRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Computed records: looked at, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ComputedAdmin(ReadOnlyAdmin):
    """A computed record shown whole: every field of the model, those never edited included."""

    leading: tuple[str, ...] = ()  # shown first (the fields a model inherits come before its own)

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields]
        return [*self.leading, *(name for name in names if name not in self.leading)]


@admin.register(ProfitabilityRun)
class ProfitabilityRunAdmin(ComputedAdmin):
    list_display = [
        "pk",
        "as_of",
        "status",
        "trigger",
        "requested_by",
        "started_at",
        "finished_at",
        "client_count",
        "duration",
        "attempts",
    ]
    list_filter = ["status", "trigger"]
    date_hierarchy = "created_at"
    list_select_related = ["requested_by"]


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(ComputedAdmin):
    list_display = [
        "as_of",
        "clients",
        "revenue",
        "net_profit",
        "top20_share_revenue",
        "whale_peak_profit_share",
        "hhi",
        "unprofitable",
    ]


@admin.register(ClientSnapshot)
class ClientSnapshotAdmin(ComputedAdmin):
    leading = ("id", "run", "as_of", "client", "status", "in_portfolio")
    list_display = [
        "as_of",
        "client",
        "revenue",
        "gross_margin",
        "net_profit",
        "rank_net_profit",
        "abc_class",
        "tier",
        "is_unprofitable",
    ]
    list_filter = ["as_of", "abc_class", "tier", "is_unprofitable", "is_marginal", "is_declining"]
    search_fields = ["client__name", "client__external_ref"]
    list_select_related = ["client"]


@admin.register(ActivityLog)
class ActivityLogAdmin(ReadOnlyAdmin):
    """The activity log is written by the changes it records, never by hand, and never deleted."""

    list_display = ["created_at", "user", "description", "object_repr"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "user__username"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("action"))
    def description(self, obj):
        return obj.description
