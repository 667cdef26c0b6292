"""The profitability pages: recompute and run status, the seed calculator, the cost settings."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from audits.models import ProfitabilityRun
from audits.profitability import cost_settings, portfolio
from audits.profitability.forms import CostSettingsForm, SeedCalculatorForm
from audits.profitability.runs import portfolio_latest, profitability_run_request, run_latest
from clients import display, services
from clients.models import CostSettings
from config.celery import QueueUnavailable


class SeedCalculatorView(TemplateView):
    """Anyone logged in: an effort in money read as days of work (see docs/figures.md, Tiers)."""

    template_name = "audits/profitability/seed_calculator.html"

    def get_context_data(self, **kwargs):
        settings = CostSettings.load()
        initial = {
            "margin_rate": settings.default_margin_rate,
            "working_days": settings.working_days,
            "charge_coefficient": settings.charge_coefficient,
        }
        form = SeedCalculatorForm(self.request.GET or None, initial=initial)
        result = None
        if form.is_valid():
            # The days come from the day cost as shown, rounded to the cent (the form's clean).
            cost = form.cleaned_data["day_cost"]
            result = {"day_cost": cost, "days": portfolio.effort_days(form.cleaned_data["effort"], cost)}
        return super().get_context_data(form=form, result=result, **kwargs)


class RecomputeView(PermissionRequiredMixin, TemplateView):
    """Finance: when the figures were computed, the last runs, and a button to recompute now."""

    # Those who keep the cost settings (finance, admins) may recompute the figures they drive.
    permission_required = "clients.change_costsettings"
    raise_exception = True
    template_name = "audits/profitability/recompute.html"

    def get_context_data(self, **kwargs):
        runs = ProfitabilityRun.objects.select_related("requested_by")[:10]
        pk = self.request.GET.get("run", "")
        watched = ProfitabilityRun.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        back = _safe_next(self.request)
        return super().get_context_data(
            runs=runs,
            latest=run_latest(),
            watched=watched,
            watched_summary=_run_summary(watched) if watched else "",
            back=back or reverse("profitability:recompute"),
            back_elsewhere=bool(back),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        try:
            run, created = profitability_run_request(user=request.user)
        except QueueUnavailable:
            messages.error(
                request, _("The task queue cannot be reached: nothing was started. Try again later.")
            )
            return redirect(_safe_next(request) or reverse("profitability:recompute"))
        if created:
            messages.success(request, _("Recompute requested; the figures will refresh when it finishes."))
        else:
            messages.info(request, _("A recompute is already under way."))
        back = _safe_next(request)
        if back:
            # The page the button was on shows the progress itself and refreshes when the run ends.
            return redirect(back)
        return redirect(f"{reverse('profitability:recompute')}?run={run.pk}")


class RunStatusView(PermissionRequiredMixin, View):
    """JSON progress of one run, polled by the recompute page."""

    permission_required = "clients.change_costsettings"
    raise_exception = True

    def get(self, request, pk):
        run = get_object_or_404(ProfitabilityRun, pk=pk)
        return JsonResponse(
            {
                "id": run.pk,
                "status": run.status,
                "label": run.get_status_display(),
                "active": run.is_active,
                "as_of": run.as_of.isoformat(),
                "started_at": run.started_at.isoformat() if run.started_at else None,
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "clients": run.client_count,
                "seconds": run.duration.total_seconds() if run.duration else None,
                "summary": _run_summary(run),
                "attempts": run.attempts,
                "failed": run.status == ProfitabilityRun.Status.FAILED,
            }
        )


def _safe_next(request):
    """The page a form was sent from (a path on this site), or ''."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _run_summary(run):
    """What the progress line says of a run: its status, and once it ended, its duration and size."""
    if run.is_active or run.duration is None:
        return run.get_status_display()
    seconds = run.duration.total_seconds()
    return ngettext(
        "%(status)s in %(seconds)s s, %(clients)s client",
        "%(status)s in %(seconds)s s, %(clients)s clients",
        run.client_count or 0,
    ) % {
        "status": run.get_status_display(),
        "seconds": display.number(seconds, 1),
        "clients": display.number(run.client_count or 0, 0),
    }


class CostSettingsView(PermissionRequiredMixin, View):
    """Finance and admins: the cost settings, a preview of the tiers proposed boundaries would make,
    and the change history."""

    permission_required = "clients.change_costsettings"
    raise_exception = True
    template_name = "audits/profitability/cost_settings.html"

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
                preview = cost_settings.tier_preview(
                    latest=latest, boundaries=boundaries, trimmed_share_percent=trimmed
                )
            return self.render(request, form, latest=latest, preview=preview, previewed=True)
        if valid:
            services.cost_settings_update(cost_settings=form.instance, user=request.user)
            messages.success(
                request, _("Cost settings saved. The figures will use them from the next recompute.")
            )
            return redirect("profitability:cost_settings")
        return self.render(request, form)

    def render(self, request, form, *, latest=None, preview=None, previewed=False):
        if latest is None:
            latest = portfolio_latest()
        context = {
            "form": form,
            "preview": preview,
            "previewed": previewed,
            "latest": latest,
            "history": cost_settings.cost_settings_history(),
            "can_recompute": request.user.has_perm("clients.change_costsettings"),
        }
        return render(request, self.template_name, context, status=200)
