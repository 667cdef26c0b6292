"""The cost settings page."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from audits import finance_selectors
from audits.finance_forms import CostSettingsForm
from audits.selectors import portfolio_latest
from clients import services
from clients.models import CostSettings


class CostSettingsView(PermissionRequiredMixin, View):
    """Finance and admins: the cost settings, a preview of the tiers proposed boundaries would make,
    and the change history."""

    permission_required = "clients.change_costsettings"
    raise_exception = True
    template_name = "audits/cost_settings.html"

    def get(self, request):
        form = CostSettingsForm(instance=CostSettings.load())
        return self.render(request, form)

    def post(self, request):
        form = CostSettingsForm(request.POST, instance=CostSettings.load())
        valid = form.is_valid()
        if "preview" in request.POST:
            # Nothing is saved: the proposed boundaries are only applied to the latest figures.
            latest = portfolio_latest()
            preview = None
            if latest is not None and form.proposed_tiers is not None:
                boundaries, trimmed = form.proposed_tiers
                preview = finance_selectors.tier_preview(
                    latest=latest, boundaries=boundaries, trimmed_share_percent=trimmed
                )
            return self.render(request, form, latest=latest, preview=preview, previewed=True)
        if valid:
            services.cost_settings_update(cost_settings=form.instance, user=request.user)
            messages.success(
                request, _("Cost settings saved. The figures will use them from the next recompute.")
            )
            return redirect("reports:cost_settings")
        return self.render(request, form)

    def render(self, request, form, *, latest=None, preview=None, previewed=False):
        if latest is None:
            latest = portfolio_latest()
        context = {
            "form": form,
            "preview": preview,
            "previewed": previewed,
            "latest": latest,
            "history": finance_selectors.cost_settings_history(),
            "can_recompute": request.user.has_perm("clients.change_costsettings"),
        }
        return render(request, self.template_name, context, status=200)
