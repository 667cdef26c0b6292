"""The client audit's writes: each a POST that validates one form, calls one service (which checks
the audit's version and logs the change), then goes back to the step page with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from audits.models import Decision
from audits.review import computation, costs, forms, selectors, services
from audits.review.views import COMMENT, STEP_URLS, TYPED, AuditAccess, may_run
from clients import display
from config.celery import QueueUnavailable

if TYPE_CHECKING:
    from django import forms as django_forms


class AuditAction(AuditAccess, View):
    """A POST that validates one form and calls one service, then goes back to the step page."""

    run_only = True
    form_class: type[django_forms.Form] = forms.VersionForm
    back_step: int | None = None
    success = gettext_lazy("Saved.")
    # The form's name on the page, which a refusal fills again with what was typed (``keep_typed``),
    # and the field that tells one such form from another where the URL names no client.
    typed_as: str | None = None
    typed_by: str | None = None

    def back(self, audit):
        step = self.back_step or audit.step
        return reverse(STEP_URLS[step], args=[audit.pk])

    def back_to_client(self, audit):
        """The step page, at the card of the client the URL names: what changed, or the refused
        form filled again, is there; the message stands at the top of the screen."""
        url = self.back(audit)
        client_id = self.kwargs.get("client_id")
        return url if client_id is None else f"{url}#client-{client_id}"

    def post(self, request, pk, **kwargs):
        audit = self.get_audit()
        form = self.make_form()
        if not form.is_valid():
            messages.error(request, self.about(audit, forms.validation_message(form)))
            self.keep_typed(audit)
            return redirect(self.back_to_client(audit))
        try:
            self.act(audit, form)
        except services.AuditError as exc:
            messages.error(request, self.about(audit, str(exc)))
            self.keep_typed(audit)
        except QueueUnavailable:
            messages.error(
                request, _("The task queue cannot be reached: nothing was started. Try again later.")
            )
            self.keep_typed(audit)
        else:
            messages.success(request, str(self.success))
        audit.refresh_from_db()
        return redirect(self.back_to_client(audit))

    def make_form(self):
        return self.form_class(self.request.POST)

    def keep_typed(self, audit):
        """Keep what was typed in the refused form for the page it goes back to."""
        if self.typed_as is None:
            return
        name = self.typed_as
        which = self.kwargs.get("client_id") or (
            self.request.POST.get(self.typed_by) if self.typed_by else None
        )
        if which is not None:
            name = f"{name}:{which}"
        typed = {k: v for k, v in self.request.POST.items() if k not in ("csrfmiddlewaretoken", "version")}
        self.request.session[TYPED] = {"audit": audit.pk, "form": name, "data": typed}

    def about(self, audit, problem: str) -> str:
        """A refusal as the step page shows it: after the name of the client the URL names, where
        it is one the user sees in the audit, since the message stands apart from the client's card."""
        client_id = self.kwargs.get("client_id")
        if client_id is None:
            return problem
        name = (
            selectors.audit_clients(audit, user=self.request.user)
            .filter(client_id=client_id)
            .values_list("client__name", flat=True)
            .first()
        )
        if not name or problem.startswith(name):
            return problem
        return _("%(client)s: %(problem)s") % {"client": name, "problem": problem}

    # The service the action calls, the form fields it passes on by name, and (``client_id``) whether
    # the URL names the client.
    service: Callable[..., object]
    fields: tuple[str, ...] = ()
    client_in_url = False

    def act(self, audit, form):
        """Call the service with the form's fields; returns what it returns."""
        data = form.cleaned_data
        arguments = {name: data.get(name) for name in self.fields}
        if self.client_in_url:
            arguments["client_id"] = self.kwargs["client_id"]
        return type(self).service(audit=audit, user=self.request.user, version=data["version"], **arguments)


class MoveView(AuditAction):
    form_class = forms.MoveForm
    success = gettext_lazy("Step changed.")

    service = staticmethod(services.audit_move)
    fields = ("step",)


class RefreshView(AuditAction):
    success = gettext_lazy("The figures are being computed again.")

    def back(self, audit):
        """The step the refresh was asked from, or the audit's page (a step it does not know)."""
        step = self.request.POST.get("next_step", "")
        if step.isdigit() and int(step) in STEP_URLS:
            return reverse(STEP_URLS[int(step)], args=[audit.pk])
        return reverse("review:detail", args=[audit.pk])

    service = staticmethod(computation.audit_refresh)


class CheckView(AuditAction):
    form_class = forms.CheckForm
    typed_as = "check"
    typed_by = "code"
    back_step = 1
    success = gettext_lazy("Check acknowledged.")

    service = staticmethod(services.check_acknowledge)
    fields = ("code", "reason")


class ExpenseView(AuditAction):
    form_class = forms.ExpenseForm
    typed_as = "expense"
    back_step = 2
    success = gettext_lazy("Expense added: refresh the figures to see it counted.")

    service = staticmethod(costs.expense_add)
    fields = ("client", "spent_on", "category", "amount", "note")

    def act(self, audit, form):
        expense = super().act(audit, form)
        if expense.amount != form.cleaned_data["amount"]:  # added to the client's expense of that day
            self.success = _(
                "Added to the expense of %(client)s on %(day)s (%(category)s), now %(amount)s: refresh "
                "the figures to see it counted."
            ) % {
                "category": expense.get_category_display(),
                "client": expense.client.name,
                "day": date_format(expense.spent_on, "DATE_FORMAT"),
                "amount": display.money(expense.amount),
            }


class StaffCostView(AuditAction):
    form_class = forms.StaffCostForm
    typed_as = "staff_cost"
    back_step = 2
    success = gettext_lazy("Hourly cost added: refresh the figures to see it counted.")

    service = staticmethod(costs.staff_cost_add)
    fields = ("staff", "effective_from", "hourly_cost")


class ReviewView(AuditAction):
    form_class = forms.ReviewForm
    typed_as = "review"
    back_step = 4
    success = gettext_lazy("Flag reviewed.")

    service = staticmethod(services.flag_review)
    fields = ("verdict", "reason")
    client_in_url = True

    def back(self, audit):
        return _with_page(reverse("review:flags", args=[audit.pk]), self.request)


class CommentView(AuditAction):
    run_only = False
    form_class = forms.CommentForm
    typed_as = "comment"
    back_step = 4
    success = gettext_lazy("Comment added.")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(COMMENT) and not may_run(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def act(self, audit, form):
        if not self.request.user.has_perm(COMMENT):
            raise PermissionDenied
        services.flag_comment(
            audit=audit,
            user=self.request.user,
            client_id=self.kwargs["client_id"],
            text=form.cleaned_data["text"],
        )

    def back(self, audit):
        return _with_page(reverse("review:flags", args=[audit.pk]), self.request)


class DecisionView(AuditAction):
    form_class = forms.DecisionForm
    typed_as = "decision"
    back_step = 5
    success = gettext_lazy("Decision recorded.")

    def make_form(self):
        return self.form_class(self.request.POST, top_tier=True)

    service = staticmethod(services.decision_record)
    fields = ("kind", "uplift", "hours_per_month", "months", "reason")
    client_in_url = True

    def back(self, audit):
        return _with_page(reverse("review:strategy", args=[audit.pk]), self.request)


class InvestView(AuditAction):
    """ "Invest" in a top-tier client that no flag brought to step 5."""

    form_class = forms.InvestForm
    typed_as = "invest"
    back_step = 5
    success = gettext_lazy("Decision recorded.")

    def act(self, audit, form):
        data = form.cleaned_data
        services.decision_record(
            audit=audit,
            user=self.request.user,
            version=data["version"],
            client_id=data["client"].pk,
            kind=Decision.Kind.INVEST,
            reason=data["reason"],
        )


class RiskView(AuditAction):
    form_class = forms.RiskForm
    typed_as = "risk"
    typed_by = "risk"
    back_step = 5
    success = gettext_lazy("Risk acknowledged.")

    service = staticmethod(services.risk_acknowledge)
    fields = ("risk", "note")


class CompleteView(AuditAction):
    form_class = forms.CompleteForm
    typed_as = "complete"
    success = gettext_lazy("Audit completed: its figures are frozen.")

    def back(self, audit):
        return (
            reverse("review:detail", args=[audit.pk])
            if audit.is_completed
            else reverse("review:strategy", args=[audit.pk])
        )

    service = staticmethod(services.audit_complete)
    fields = ("outcome",)


def _with_page(url, request):
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() else url
