from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Sum
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView

from clients import selectors, services
from clients.filters import ClientFilter
from clients.forms import ClientForm, InteractionForm
from clients.models import Client, Interaction, Invoice, Payment
from clients.selectors import client_get_for_user, interaction_get_for_user
from clients.tables import ClientTable, InteractionTable, PagedExportMixin, PagedTableMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _safe_next(request, fallback):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


class ClientListView(PagedExportMixin, FilterView):
    table_class = ClientTable
    filterset_class = ClientFilter
    template_name = "clients/client_list.html"
    export_name = "clients"
    export_title = gettext_lazy("Clients")

    export_about = gettext_lazy("Clients, exported on %(day)s.")

    def get_queryset(self):
        return Client.objects.visible_to(self.request.user).select_related("account_manager")


class ClientSearchView(View):
    """Search as you type for a client field: JSON of the clients the user may see (own first),
    former clients too with ``former=1``."""

    def get(self, request):
        rows = selectors.client_search(
            user=request.user, query=request.GET.get("q", ""), former=request.GET.get("former") == "1"
        )
        return JsonResponse(
            {"results": [{"ref": row["external_ref"], "name": row["name"]} for row in rows]},
            json_dumps_params={"ensure_ascii": False},
        )


class ClientDetailView(TemplateView):
    template_name = "clients/client_detail.html"

    def get_context_data(self, **kwargs):
        client = client_get_for_user(user=self.request.user, pk=kwargs["pk"])
        invoices = (
            Invoice.objects.filter(client=client)
            .annotate(paid=Sum("payments__amount"))
            .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on")))
            .order_by("-issued_on")[:24]
        )
        return super().get_context_data(
            client=client,
            contacts=client.contacts.all(),
            interactions=client.interactions.select_related("staff").order_by("-started_at")[:20],
            interaction_totals=client.interactions.aggregate(
                count=Count("pk"), minutes=Sum("duration_minutes")
            ),
            invoices=invoices,
            expenses=client.expenses.order_by("-spent_on")[:20],
            referrals=client.referrals.visible_to(self.request.user).only("pk", "name", "external_ref"),
            hidden_referrals=client.referrals.exclude(
                pk__in=Client.objects.visible_to(self.request.user).values("pk")
            ).count(),
            referrer_visible=client.referred_by_id is not None
            and Client.objects.visible_to(self.request.user).filter(pk=client.referred_by_id).exists(),
            **kwargs,
        )


class ClientFormView(View):
    """Create (finance, admins) or edit (also an account manager, their own) a client."""

    template_name = "clients/client_form.html"

    def get_client(self, request, pk):
        if pk is None:
            if not request.user.has_perm("clients.add_client"):
                raise PermissionDenied
            return Client()
        if not request.user.has_perm("clients.change_client"):
            raise PermissionDenied
        return client_get_for_user(user=request.user, pk=pk)

    def get(self, request, pk=None):
        client = self.get_client(request, pk)
        form = ClientForm(instance=client, user=request.user)
        return render(request, self.template_name, {"form": form, "client": client})

    def post(self, request, pk=None):
        client = self.get_client(request, pk)
        form = ClientForm(request.POST, instance=client, user=request.user)
        if form.is_valid():
            services.client_save(client=form.instance)
            messages.success(request, _("Client %(name)s saved.") % {"name": client.name})
            return redirect(client)
        return render(request, self.template_name, {"form": form, "client": client})


class InteractionListView(PagedTableMixin, TemplateView):
    """The user's own interactions, newest first, with edit/delete for this month's."""

    table_class = InteractionTable
    template_name = "clients/interaction_list.html"

    def get_table_data(self):
        visible = Client.objects.visible_to(self.request.user).filter(pk=OuterRef("client_id"))
        return (
            Interaction.objects.filter(staff=self.request.user)
            .select_related("client")
            .annotate(client_visible=Exists(visible))
        )


class InteractionCreateView(PermissionRequiredMixin, View):
    permission_required = "clients.add_interaction"
    template_name = "clients/interaction_form.html"

    def get(self, request):
        initial = {"kind": "call"}
        client_pk = request.GET.get("client", "").strip()
        if client_pk.isdigit():
            initial["client"] = client_get_for_user(user=request.user, pk=int(client_pk))
        form = InteractionForm(user=request.user, initial=initial)
        return render(request, self.template_name, {"form": form, "next": _safe_next(request, "")})

    def post(self, request):
        form = InteractionForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                interaction = services.interaction_log(staff=request.user, **form.interaction_fields())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(client)s: logged %(minutes)s min %(kind)s.")
                    % {
                        "minutes": interaction.duration_minutes,
                        "kind": interaction.get_kind_display().lower(),
                        "client": interaction.client.name,
                    },
                )
                return redirect(_safe_next(request, reverse("interactions:list")))
        return render(
            request, self.template_name, {"form": form, "next": _safe_next(request, "")}, status=400
        )


class OwnInteractionMixin(PermissionRequiredMixin):
    """An interaction the user may see and still change: their own, of the current month."""

    refusal: StrOrPromise = ""

    def get_interaction(self, request, pk):
        interaction = interaction_get_for_user(user=request.user, pk=pk)
        if not services.interaction_editable(interaction=interaction, user=request.user):
            raise PermissionDenied(str(self.refusal))
        return interaction


class InteractionEditView(OwnInteractionMixin, View):
    permission_required = "clients.change_interaction"
    template_name = "clients/interaction_form.html"

    refusal = gettext_lazy("Only your own entries of the current month can be changed.")

    def get(self, request, pk):
        interaction = self.get_interaction(request, pk)
        form = InteractionForm(instance=interaction, user=request.user)
        return render(request, self.template_name, {"form": form, "interaction": interaction})

    def post(self, request, pk):
        interaction = self.get_interaction(request, pk)
        form = InteractionForm(request.POST, instance=interaction, user=request.user)
        if form.is_valid():
            services.interaction_update(
                interaction=interaction, user=request.user, **form.interaction_fields()
            )
            messages.success(request, _("Interaction updated."))
            return redirect("interactions:list")
        return render(request, self.template_name, {"form": form, "interaction": interaction}, status=400)


class InteractionDeleteView(OwnInteractionMixin, View):
    permission_required = "clients.delete_interaction"
    template_name = "clients/interaction_confirm_delete.html"

    refusal = gettext_lazy("Only your own entries of the current month can be deleted.")

    def get(self, request, pk):
        return render(request, self.template_name, {"interaction": self.get_interaction(request, pk)})

    def post(self, request, pk):
        interaction = self.get_interaction(request, pk)
        services.interaction_delete(interaction=interaction, user=request.user)
        messages.success(request, _("Interaction deleted."))
        return redirect("interactions:list")
