"""The letters of the transitions: writing one from its template, reading, editing and sending it,
its PDF, and the admin pages of the templates and the letterhead.

Each view gets its object through one permission helper, validates a form, calls one service, then
redirects or renders.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from audits.log import activity_for
from audits.models import Letter, Letterhead, LetterTemplate
from audits.transitions import forms, pdf, placeholders, selectors, services
from audits.transitions.views import MANAGE, ManageView, Permitted, _add_errors, _errors
from config.celery import QueueUnavailable


class LetterDraftView(ManageView):
    def post(self, request, pk, kind):
        transition = selectors.transition_get_for_user(user=request.user, pk=pk)
        if kind not in LetterTemplate.Kind.values:
            raise Http404
        try:
            letter = services.letter_draft(transition=transition, kind=kind, user=request.user)
        except ValidationError as exc:
            return self.refuse(_errors(exc), transition)
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
        # The form wrote what was typed on its instance: the page reads the letter as it is saved,
        # so that "how it reads" and the send button speak of the text that would be sent.
        saved = selectors.letter_get_for_user(user=request.user, pk=pk)
        return self.render(request, saved, form, status=400)

    def render(self, request, letter, form, status=200):
        email, postal = selectors.letter_recipient(transition=letter.transition)
        can_manage = request.user.has_perm(MANAGE)
        letterhead = Letterhead.load()
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
            "letterhead": letterhead,
            "old_name": selectors.letter_old_company_name(letter, letterhead) if letter.editable else None,
        }
        return render(request, self.template_name, context, status=status)


class LetterSendView(ManageView):
    def post(self, request, pk):
        letter = selectors.letter_get_for_user(user=request.user, pk=pk)
        form = forms.SendForm(request.POST)
        if not form.is_valid():
            return self.refuse(_("The form was incomplete; nothing was sent."), letter)
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
