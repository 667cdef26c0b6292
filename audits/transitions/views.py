"""The transitions pages: the list, one transition (stages, schedule, cash flow, alternatives,
letters), the letters themselves, and the admin pages for templates, providers and the letterhead.

Each view gets its object through one permission helper, validates a form, calls one service, then
redirects or renders.
"""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView

from audits.log import activity_for
from audits.models import AlternativeProvider, Letter, Letterhead, LetterTemplate, Transition
from audits.reports import charts
from audits.transitions import forms, pdf, placeholders, selectors, services
from audits.transitions.filters import TransitionFilter
from audits.transitions.tables import ProviderTable, TransitionTable
from clients.selectors import client_get_for_user
from clients.tables import PagedExportMixin, PagedTableMixin
from config.celery import QueueUnavailable

MANAGE = "audits.manage_transitions"


# The letter that goes with each stage, in the order they are written.
def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def cashflow_chart(flow):
    if not flow.months:
        return None
    return charts.trend(
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


class TransitionListView(Permitted, PagedExportMixin, FilterView):
    permission_required = "audits.view_transition"
    table_class = TransitionTable
    filterset_class = TransitionFilter
    template_name = "audits/transitions/transition_list.html"
    export_name = "transitions"
    export_title = gettext_lazy("Transitions")

    def get_export_about(self):
        return _("Transitions, exported on %(day)s.") % {
            "day": date_format(timezone.localdate(), "DATE_FORMAT")
        }

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
            messages.error(request, _("Choose a stage."))
            return redirect(transition)
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
        planned_end = transition.end_date
        if form.is_valid():
            try:
                services.schedule_update(
                    transition=transition,
                    user=request.user,
                    end_date=form.cleaned_data["end_date"],
                    amounts=form.amounts(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Phase-out schedule saved."))
                sent = transition.letters.exclude(state__in=[Letter.State.DRAFT, Letter.State.FAILED])
                if form.cleaned_data["end_date"] != planned_end and sent.exists():
                    messages.warning(
                        request,
                        _(
                            "The letters already sent gave %(planned)s as the end date: tell the client"
                            " of the new one, %(end)s."
                        )
                        % {
                            "planned": date_format(planned_end, "DATE_FORMAT"),
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


class LetterDraftView(ManageView):
    def post(self, request, pk, kind):
        transition = selectors.transition_get_for_user(user=request.user, pk=pk)
        if kind not in LetterTemplate.Kind.values:
            raise Http404
        try:
            letter = services.letter_draft(transition=transition, kind=kind, user=request.user)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect(transition)
        return redirect(letter)


class LetterView(Permitted, View):
    """A letter: its text (edited while a draft), how it reads, its state, and sending it."""

    permission_required = "audits.view_letter"
    template_name = "audits/transitions/letter_detail.html"

    def get(self, request, pk):
        letter = selectors.letter_get_for_user(user=request.user, pk=pk)
        return self.render(request, letter, forms.LetterForm(instance=letter))

    def post(self, request, pk):
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied
        letter = selectors.letter_get_for_user(user=request.user, pk=pk)
        form = forms.LetterForm(request.POST, instance=letter)
        if form.is_valid():
            try:
                services.letter_update(
                    letter=letter,
                    user=request.user,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, _("Letter saved."))
            return redirect(letter)
        return self.render(request, letter, form, status=400)

    def render(self, request, letter, form, status=200):
        email, postal = selectors.letter_recipient(transition=letter.transition)
        can_manage = request.user.has_perm(MANAGE)
        context = {
            "letter": letter,
            "transition": letter.transition,
            "form": form,
            "body": placeholders.body_html(letter.body),
            "email": email,
            "postal": postal,
            "can_manage": can_manage,
            "refusal": selectors.letter_refusal(transition=letter.transition, kind=letter.kind),
            "send_form": forms.SendForm(initial={"key": Letter.new_key()}) if can_manage else None,
            "activity": activity_for(letter)[:20],
            "letterhead": Letterhead.load(),
        }
        return render(request, self.template_name, context, status=status)


class LetterSendView(ManageView):
    def post(self, request, pk):
        letter = selectors.letter_get_for_user(user=request.user, pk=pk)
        form = forms.SendForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The form was incomplete; nothing was sent."))
            return redirect(letter)
        channel = form.cleaned_data["channel"]
        try:
            claimed = services.letter_send_request(
                letter=letter, user=request.user, key=form.cleaned_data["key"], channel=channel
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        except QueueUnavailable:
            messages.error(
                request, _("The task queue could not be reached: the letter was not sent. Try again later.")
            )
        else:
            letter.refresh_from_db()
            if not claimed:
                messages.info(
                    request, _("This letter was already sent or is on its way; it is sent only once.")
                )
            elif channel == Letter.Channel.PDF:
                messages.success(request, _("Letter recorded as sent by post."))
            elif letter.state == Letter.State.SENT:
                messages.success(request, _("Letter sent to %(to)s.") % {"to": letter.recipient})
            elif letter.state == Letter.State.FAILED:
                messages.error(
                    request, _("The letter could not be sent: %(reason)s") % {"reason": letter.failure_reason}
                )
            else:
                messages.success(request, _("Letter queued for %(to)s.") % {"to": letter.recipient})
        return redirect(letter)


class LetterPdfView(Permitted, View):
    permission_required = "audits.view_letter"

    def get(self, request, pk):
        letter = selectors.letter_get_for_user(user=request.user, pk=pk)
        content = pdf.letter_pdf(letter=letter, letterhead=Letterhead.load())
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{pdf.letter_filename(letter)}"'
        return response


class TemplateListView(Permitted, TemplateView):
    permission_required = "audits.change_lettertemplate"
    template_name = "audits/transitions/template_list.html"

    def get_context_data(self, **kwargs):
        rows = {(t.kind, t.language): t for t in LetterTemplate.objects.all()}
        languages = LetterTemplate._meta.get_field("language").choices
        table = [
            (label, [(code, rows.get((kind, code))) for code, _name in languages])
            for kind, label in LetterTemplate.Kind.choices
        ]
        return super().get_context_data(table=table, template_languages=languages, **kwargs)


class TemplateEditView(Permitted, View):
    """Edit a template beside the list of placeholders; preview it for a real client."""

    permission_required = "audits.change_lettertemplate"
    template_name = "audits/transitions/template_form.html"

    def get(self, request, pk):
        template = get_object_or_404(LetterTemplate, pk=pk)
        preview_form = forms.PreviewForm(request.GET or None, user=request.user)
        return self.render(request, template, forms.LetterTemplateForm(instance=template), preview_form)

    def post(self, request, pk):
        template = get_object_or_404(LetterTemplate, pk=pk)
        form = forms.LetterTemplateForm(request.POST, instance=template)
        preview_form = forms.PreviewForm(request.POST, user=request.user)
        if form.is_valid():
            if "preview" in request.POST:
                return self.render(request, form.instance, form, preview_form)
            try:
                services.template_save(template=form.instance, user=request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Letter template saved."))
                return redirect("transitions:template_edit", pk=template.pk)
        return self.render(request, template, form, preview_form, status=400)

    def render(self, request, template, form, preview_form, status=200):
        preview = None
        if not form.is_bound:
            texts = (template.subject, template.body)
        else:
            texts = (form.cleaned_data["subject"], form.cleaned_data["body"]) if form.is_valid() else None
        client = preview_form.cleaned_data.get("client") if preview_form.is_valid() else None
        if texts and client is not None:
            values, real = selectors.preview_values(client=client, language=template.language)
            subject_text, body_text = texts
            preview = {
                "client": client,
                "real": real,
                "subject": placeholders.render(subject_text, values, markdown_body=False),
                "body": placeholders.body_html(placeholders.render(body_text, values, markdown_body=True)),
            }
        context = {
            "template": template,
            "form": form,
            "preview_form": preview_form,
            "preview": preview,
            "placeholders": list(placeholders.PLACEHOLDERS.items()),
        }
        return render(request, self.template_name, context, status=status)


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


class LetterheadView(Permitted, View):
    permission_required = "audits.change_letterhead"
    template_name = "audits/transitions/letterhead_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": forms.LetterheadForm(instance=Letterhead.load())})

    def post(self, request):
        form = forms.LetterheadForm(request.POST, instance=Letterhead.load())
        if form.is_valid():
            services.letterhead_save(letterhead=form.instance, user=request.user)
            messages.success(request, _("Letterhead saved."))
            return redirect("transitions:letterhead")
        return render(request, self.template_name, {"form": form}, status=400)
