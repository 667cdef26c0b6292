"""The transitions pages: the list, one transition (stages, schedule, cash flow, alternatives, its
letters' state), a client's transitions, and the directory of alternative providers (the letters
themselves: ``letter_views``).

Each view gets its object through one permission helper, validates a form, calls one service, then
redirects or renders.
"""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView

from audits.log import activity_for
from audits.models import AlternativeProvider, Letter, Transition
from audits.reports import charts
from audits.transitions import forms, selectors, services
from audits.transitions.filters import TransitionFilter
from audits.transitions.tables import ProviderTable, TransitionTable
from clients.selectors import client_get_for_user
from clients.tables import PagedExportMixin, PagedTableMixin

MANAGE = "audits.manage_transitions"


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def cashflow_chart(flow):
    """The expected and invoiced months of a transition (or of all), for the page's screens, drawn
    once for the same figures (``charts.drawn``)."""
    if not flow.months:
        return None
    return charts.drawn(
        "cashflow",
        charts.trend,
        labels=[charts.month_label(m.month) for m in flow.months],
        series=[
            (_("Average before"), [m.baseline for m in flow.months], charts.MUTED),
            (_("Expected"), [m.expected for m in flow.months], charts.ACCENT),
            (_("Invoiced"), [m.actual for m in flow.months], charts.GOOD),
        ],
        y_label=_("per month"),
        width=9,
    )


class Permitted(PermissionRequiredMixin):
    """A page of the transitions: a user without its permission is refused (403), not sent to the
    login page."""

    raise_exception = True


class ManageView(Permitted, View):
    """A page or an action of whoever manages the transitions."""

    permission_required = MANAGE

    def refuse(self, message, target):
        """Back to `target`, whose page says why nothing changed."""
        messages.error(self.request, message)
        return redirect(target)


class TransitionListView(Permitted, PagedExportMixin, FilterView):
    permission_required = "audits.view_transition"
    table_class = TransitionTable
    filterset_class = TransitionFilter
    template_name = "audits/transitions/transition_list.html"
    export_name = "transitions"
    export_title = gettext_lazy("Transitions")

    export_about = gettext_lazy("Transitions, exported on %(day)s.")

    def get_queryset(self):
        return selectors.transitions_for(user=self.request.user)


class TransitionCreateView(ManageView):
    template_name = "audits/transitions/transition_form.html"

    def get(self, request):
        # The letters' language follows the client's contact; without a client yet, the blank choice
        # ("the contact's language") lets the service find it once the client is known.
        initial = {"language": ""}
        if request.GET.get("client", "").isdigit():
            client = client_get_for_user(user=request.user, pk=int(request.GET["client"]))
            initial.update(client=client, language=selectors.letter_language(client=client))
        form = forms.TransitionCreateForm(user=request.user, initial=initial)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = forms.TransitionCreateForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                transition = services.transition_create(
                    client=data["client"],
                    user=request.user,
                    reason=data["reason"],
                    end_date=data["end_date"],
                    language=data["language"] or None,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, _("Transition of %(client)s planned.") % {"client": transition.client.name}
                )
                return redirect(transition)
        return render(request, self.template_name, {"form": form}, status=400)


def _add_errors(form, exc):
    """A service's ValidationError on the form: on its field when it names one, else on the whole."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class TransitionDetailView(Permitted, TemplateView):
    permission_required = "audits.view_transition"
    template_name = "audits/transitions/transition_detail.html"

    def get_context_data(self, **kwargs):
        transition = selectors.transition_get_for_user(user=self.request.user, pk=kwargs["pk"])
        flow = selectors.cashflow(transition=transition)
        letters = {letter.kind: letter for letter in transition.letters.select_related("sender")}
        return super().get_context_data(
            transition=transition,
            client=transition.client,
            addressee=selectors.primary_contact(transition.client),
            flow=flow,
            chart=cashflow_chart(flow),
            providers=transition.providers.all(),
            letters=[
                (kind, letters.get(kind), selectors.letter_refusal(transition=transition, kind=kind))
                for kind in selectors.LETTER_STAGES
            ],
            next_stages=[(stage, Transition.Stage(stage).label) for stage in transition.next_stages()],
            # Whether any letter has gone to the client: completing before one has is asked twice.
            told=any(letter.state == Letter.State.SENT for letter in letters.values()),
            can_manage=self.request.user.has_perm(MANAGE),
            history=_history(transition),
            **kwargs,
        )


def _history(transition):
    """The transition's activity, newest first, each with the stage it moved to (in words) if any."""
    labels = dict(Transition.Stage.choices)
    return [(entry, labels.get(entry.data.get("to"), "")) for entry in activity_for(transition)[:30]]


class StageView(ManageView):
    def post(self, request, pk):
        transition = selectors.transition_get_for_user(user=request.user, pk=pk)
        form = forms.StageForm(request.POST)
        if not form.is_valid():
            return self.refuse(_("Choose a stage."), transition)
        planned_end = transition.end_date
        try:
            transition = services.transition_advance(
                transition=transition, stage=form.cleaned_data["stage"], user=request.user
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request, _("The transition is now “%(stage)s”.") % {"stage": transition.get_stage_display()}
            )
            if transition.end_date != planned_end:
                messages.info(
                    request,
                    _(
                        "It ended before its planned end date: the end date is now %(end)s, where it was %(planned)s."
                    )
                    % {
                        "end": date_format(transition.end_date, "DATE_FORMAT"),
                        "planned": date_format(planned_end, "DATE_FORMAT"),
                    },
                )
        return redirect(transition)


class ScheduleView(ManageView):
    template_name = "audits/transitions/schedule_form.html"

    def get(self, request, pk):
        transition = selectors.transition_get_for_user(user=request.user, pk=pk)
        if not transition.is_open:
            messages.info(request, _("The schedule of a closed transition cannot change."))
            return redirect(transition)
        form = forms.ScheduleForm(transition=transition)
        return render(request, self.template_name, {"form": form, "transition": transition})

    def post(self, request, pk):
        transition = selectors.transition_get_for_user(user=request.user, pk=pk)
        form = forms.ScheduleForm(request.POST, transition=transition)
        if form.is_valid():
            try:
                told = services.schedule_update(
                    transition=transition,
                    user=request.user,
                    end_date=form.cleaned_data["end_date"],
                    amounts=form.amounts(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Phase-out schedule saved."))
                if told:
                    messages.warning(
                        request,
                        _(
                            "The letters already sent gave %(planned)s as the end date: tell the client"
                            " of the new one, %(end)s."
                        )
                        % {
                            "planned": date_format(told, "DATE_FORMAT"),
                            "end": date_format(form.cleaned_data["end_date"], "DATE_FORMAT"),
                        },
                    )
                return redirect(transition)
        return render(request, self.template_name, {"form": form, "transition": transition}, status=400)


class TransitionProvidersView(ManageView):
    template_name = "audits/transitions/providers_form.html"

    def get(self, request, pk):
        transition = selectors.transition_get_for_user(user=request.user, pk=pk)
        form = forms.ProvidersForm(initial={"providers": transition.providers.all()})
        return render(request, self.template_name, {"form": form, "transition": transition})

    def post(self, request, pk):
        transition = selectors.transition_get_for_user(user=request.user, pk=pk)
        form = forms.ProvidersForm(request.POST)
        if form.is_valid():
            services.transition_providers_set(
                transition=transition, providers=list(form.cleaned_data["providers"]), user=request.user
            )
            messages.success(request, _("Proposed alternatives saved."))
            return redirect(transition)
        return render(request, self.template_name, {"form": form, "transition": transition}, status=400)


class CashflowView(Permitted, TemplateView):
    """The cash flow of every transition the user sees, summed by month and one by one."""

    permission_required = "audits.view_transition"
    template_name = "audits/transitions/cashflow.html"

    def get_context_data(self, **kwargs):
        open_only = self.request.GET.get("all") != "1"
        total, each = selectors.cashflow_all(user=self.request.user, open_only=open_only)
        return super().get_context_data(
            flow=total, each=each, chart=cashflow_chart(total), open_only=open_only, **kwargs
        )


class ClientTransitionsView(Permitted, TemplateView):
    """A client's transitions and the letters sent to it (a tab of the client's pages)."""

    permission_required = "audits.view_transition"
    template_name = "audits/transitions/client_transitions.html"

    def get_context_data(self, **kwargs):
        client = client_get_for_user(user=self.request.user, pk=kwargs["pk"])
        transitions = (
            client.transitions.select_related("created_by")
            .prefetch_related("letters")
            .order_by("-planned_at")
        )
        return super().get_context_data(client=client, transitions=transitions, tab="transitions", **kwargs)


class ProviderListView(Permitted, PagedTableMixin, TemplateView):
    permission_required = "audits.view_alternativeprovider"
    table_class = ProviderTable
    template_name = "audits/transitions/provider_list.html"

    def get_table_data(self):
        return AlternativeProvider.objects.all()


class ProviderFormView(Permitted, View):
    permission_required = "audits.change_alternativeprovider"
    template_name = "audits/transitions/provider_form.html"

    def get(self, request, pk=None):
        provider = get_object_or_404(AlternativeProvider, pk=pk) if pk else AlternativeProvider()
        return render(
            request, self.template_name, {"form": forms.ProviderForm(instance=provider), "provider": provider}
        )

    def post(self, request, pk=None):
        provider = get_object_or_404(AlternativeProvider, pk=pk) if pk else AlternativeProvider()
        form = forms.ProviderForm(request.POST, instance=provider)
        if form.is_valid():
            services.provider_save(provider=form.instance, user=request.user)
            messages.success(request, _("Provider %(name)s saved.") % {"name": provider.name})
            return redirect("transitions:provider_list")
        return render(request, self.template_name, {"form": form, "provider": provider}, status=400)
