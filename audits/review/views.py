"""The client audit's pages. Each view gets the audit, checks the role, validates a form, calls one
service, then redirects or renders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from audits.models import Audit
from audits.review import computation, decisions, figures, forms, history, selectors, services
from audits.review.filters import AuditFilter
from audits.review.pdf import audit_report_filename, audit_report_pdf
from audits.review.report import audit_report_xlsx
from audits.review.tables import AuditTable, step_totals, table_for_step
from audits.transitions.selectors import phase_out_refusals
from clients.access import sees_all
from clients.exports import LocalisedExportMixin
from clients.tables import FilteredTableMixin, Pages

if TYPE_CHECKING:
    pass

RUN = "audits.run_audit"
COMMENT = "audits.comment_audit"
PER_PAGE = 50
FLAGS_PER_PAGE = 25


def may_run(user) -> bool:
    return user.has_perm(RUN)


class AuditAccess:
    """Finance and admins (run) and account managers (comment) may open audits; ``run_only`` pages
    are finance's alone."""

    run_only = False

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        allowed = may_run(user) if self.run_only else (may_run(user) or user.has_perm(COMMENT))
        if not allowed:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_audit(self):
        if not hasattr(self, "_audit"):
            self._audit = selectors.audit_get(pk=self.kwargs["pk"], user=self.request.user)
        return self._audit


# What was typed in the form an action refused (``AuditAction.keep_typed``), kept in the session for
# the page the action goes back to, which fills that form with it once (``AuditPage.typed``).
TYPED = "audit_typed"


class AuditListView(AuditAccess, LocalisedExportMixin, FilteredTableMixin, SingleTableMixin, FilterView):
    table_class = AuditTable
    filterset_class = AuditFilter
    template_name = "audits/review/audit_list.html"
    paginator_class = Pages
    table_pagination = {"per_page": PER_PAGE}
    export_formats = ("csv", "xlsx")
    export_name = "audits"
    export_title = gettext_lazy("Client audits")

    export_about = gettext_lazy("Client audits, exported on %(day)s.")

    def get_queryset(self):
        return selectors.audit_list(user=self.request.user)

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if not may_run(self.request.user):
            # The outcome speaks of the whole scope's figures: finance's, not an account manager's.
            kwargs["exclude"] = ("outcome",)
        return kwargs


class AuditStartView(AuditAccess, FormView):
    run_only = True
    form_class = forms.AuditStartForm
    template_name = "audits/review/audit_start.html"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            audit = computation.audit_start(
                user=self.request.user,
                title=data["title"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                scope=data["scope"],
                scope_manager=data.get("manager"),
                scope_segment=(data.get("segment") or "").strip(),
            )
        except services.AuditError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        if audit.computation == Audit.Computation.FAILED:
            messages.error(
                self.request,
                _(
                    "The task queue cannot be reached: the figures will not be computed until you refresh them."
                ),
            )
            return redirect("review:detail", pk=audit.pk)
        messages.success(self.request, _("Audit started; its figures are being computed."))
        return redirect("review:detail", pk=audit.pk)


class AuditStatusView(AuditAccess, View):
    """JSON progress of the audit's computation, polled by its pages."""

    def get(self, request, pk):
        audit = self.get_audit()
        return JsonResponse(
            {
                "id": audit.pk,
                "status": audit.computation,
                "label": audit.get_computation_display(),
                "progress": audit.progress,
                "active": audit.is_computing,
                "failed": audit.computation == Audit.Computation.FAILED,
                "summary": _computation_summary(audit),
            }
        )


def _computation_summary(audit: Audit) -> str:
    if audit.is_computing:
        return _("%(state)s: %(progress)s %%") % {
            "state": audit.get_computation_display(),
            "progress": audit.progress,
        }
    if audit.computation == Audit.Computation.FAILED:
        return _("The computation failed: refresh the figures to try again.")
    if audit.as_of is None:  # not reached: a done computation stores its figures' date
        return ""
    return _("Figures computed %(when)s, as of %(as_of)s.") % {
        "when": date_format(timezone.localtime(audit.computed_at), "DATETIME_FORMAT"),
        "as_of": date_format(audit.as_of, "DATE_FORMAT"),
    }


class AuditPage(AuditAccess, TemplateView):
    """What every audit page shows: the header, the steps and the computation's progress."""

    step: int | None = None

    def blockers(self, audit):
        return selectors.step_blockers(audit, audit.step)

    def take_typed(self) -> None:
        """Takes from the session what the last refused action kept: it is for this page alone."""
        self._typed = self.request.session.pop(TYPED, None) or {}

    def initial(self, form: str, **values) -> dict:
        """``values``, with over them what was typed in ``form`` ("expense", "review:12"…) of this
        audit where the last action refused it, so that the user does not type it twice."""
        kept = self._typed
        if kept.get("audit") == self.get_audit().pk and kept.get("form") == form:
            return {**values, **kept.get("data", {})}
        return values

    def base_context(self):
        audit = self.get_audit()
        user = self.request.user
        self.take_typed()
        editable = may_run(user) and not audit.is_completed
        step = self.step or audit.step
        return {
            "audit": audit,
            "page_step": self.step,
            "steps": Audit.Step.choices,
            "may_run": may_run(user),
            "editable": editable,
            "here": editable and self.step == audit.step,
            "reached": step <= audit.step or audit.is_completed,
            "blockers": self.blockers(audit) if may_run(user) else [],
            "summary": _computation_summary(audit),
            "sees_all": sees_all(user),
        }


class AuditDetailView(AuditPage):
    template_name = "audits/review/audit_detail.html"

    def get_context_data(self, **kwargs):
        context = self.base_context()
        audit = context["audit"]
        # The portfolio's totals are finance's: an account manager sees their own clients only.
        info = getattr(audit, "portfolio", None) if audit.is_computed and may_run(self.request.user) else None
        context.update(
            activity=history.worded(selectors.audit_history(audit, user=self.request.user)[:100]),
            figures=info.figures if info else None,
            unflagged=selectors.unprofitable_unflagged(audit) if info else 0,
            complete_form=forms.CompleteForm(initial=self.initial("complete", version=audit.version)),
        )
        if audit.is_completed and may_run(self.request.user):
            context["transitions"] = audit.transitions.select_related("client").order_by("client__name")
        if not may_run(self.request.user) and audit.is_computed:
            # An account manager's part: their flagged clients, at step 4.
            context["own_flagged"] = selectors.flagged_clients(audit, user=self.request.user).count()
        return super().get_context_data(**context, **kwargs)


class ClientStepView(AuditPage):
    """Steps 1 to 3: the audit's clients, paginated, in the step's columns."""

    template_name = "audits/review/step_clients.html"
    run_only = True

    def blockers(self, audit):
        if self.step == 1 and audit.step == 1 and audit.is_computed:
            self.checks = selectors.audit_checks(audit)
            return selectors.step_blockers(audit, 1, checks=self.checks)
        return super().blockers(audit)

    def get_context_data(self, **kwargs):
        context = self.base_context()
        audit = context["audit"]
        rows = selectors.audit_clients(audit)
        # Step 1 lists every client in scope, or those active in the period; steps 2 and 3 the latter.
        context["active_only"] = self.step != 1 or self.request.GET.get("active") == "1"
        if context["active_only"]:
            rows = rows.filter(in_portfolio=True)
        table = table_for_step(self.step)(rows)
        table.totals = step_totals(self.step, rows)
        RequestConfig(self.request, paginate={"per_page": PER_PAGE, "paginator_class": Pages}).configure(
            table
        )
        context["table"] = table
        getattr(self, f"step_{self.step}")(context)
        return super().get_context_data(**context, **kwargs)

    def step_1(self, context):
        audit = context["audit"]
        checks = getattr(self, "checks", None)
        if checks is None:
            checks = selectors.audit_checks(audit) if audit.is_computed else []
        for check in checks:
            check.form = forms.CheckForm(
                initial=self.initial(f"check:{check.code}", version=audit.version, code=check.code)
            )
        context["checks"] = checks

    def step_2(self, context):
        audit = context["audit"]
        context["expense_form"] = forms.ExpenseForm(
            initial=self.initial("expense", version=audit.version), auto_id="exp_%s"
        )
        context["staff_cost_form"] = forms.StaffCostForm(
            initial=self.initial("staff_cost", version=audit.version), auto_id="sc_%s"
        )

    def step_3(self, context):
        audit = context["audit"]
        info = getattr(audit, "portfolio", None) if audit.is_computed else None
        if info is None:
            return
        f = info.figures
        context["figures"] = f
        context["charts"] = figures.step_charts(f, key=f"{audit.pk}:{audit.computed_at.timestamp()}")


class CheckRowsView(AuditPage):
    """Every row one of step 1's checks finds, as the ledger is now, paginated (step 1 lists the
    first ones), each with its link to fix it."""

    step = 1
    run_only = True
    template_name = "audits/review/check_rows.html"

    def get_context_data(self, **kwargs):
        context = self.base_context()
        code = self.kwargs["code"]
        rows = selectors.check_rows(context["audit"], code)
        if rows is None:
            raise Http404(_("There is no such check."))
        page = _page(self.request, rows, PER_PAGE)
        title, explanation = selectors.CHECKS[code]
        context.update(
            title=title,
            explanation=explanation,
            page=page,
            rows=[selectors.check_row(code, item) for item in page.object_list],
        )
        return super().get_context_data(**context, **kwargs)


class FlagStepView(AuditPage):
    """Step 4: the flagged clients, with their reviews; an account manager sees their own only."""

    step = 4
    template_name = "audits/review/step_flags.html"

    def get_context_data(self, **kwargs):
        context = self.base_context()
        audit = context["audit"]
        page = _page(
            self.request,
            selectors.flagged_clients(audit, user=self.request.user).order_by(
                "-rank_net_profit", "client_id"
            ),
            FLAGS_PER_PAGE,
        )
        rows = selectors.attach_reviews(audit, list(page.object_list))
        for row in rows:
            row.review_form = forms.ReviewForm(
                initial=self.initial(
                    f"review:{row.client_id}",
                    version=audit.version,
                    verdict=row.review.verdict if row.review else "confirm",
                    reason=row.review.reason if row.review else "",
                ),
                auto_id=f"rv{row.client_id}_%s",
            )
            row.comment_form = forms.CommentForm(
                initial=self.initial(f"comment:{row.client_id}"), auto_id=f"cm{row.client_id}_%s"
            )
        context.update(
            rows=rows,
            page=page,
            undecided=audit.flags_undecided if may_run(self.request.user) else None,
            may_comment=self.request.user.has_perm(COMMENT) and not audit.is_completed,
        )
        return super().get_context_data(**context, **kwargs)


class StrategyStepView(AuditPage):
    step = 5
    run_only = True
    template_name = "audits/review/step_strategy.html"

    def get_context_data(self, **kwargs):
        context = self.base_context()
        audit = context["audit"]
        flagged = selectors.flagged_clients(audit).order_by("-rank_net_profit", "client_id")
        page = _page(self.request, flagged, FLAGS_PER_PAGE)
        rows = selectors.attach_reviews(audit, list(page.object_list))
        months = selectors.period_month_count(audit)
        refusals = phase_out_refusals([row.client for row in rows])
        for row in rows:
            row.decision_form = forms.DecisionForm.for_row(
                row, version=audit.version, months=months, phase_out_refusal=refusals.get(row.client_id)
            )
            row.decision_form.initial.update(self.initial(f"decision:{row.client_id}"))
        risks = [
            {
                "code": value,
                "label": label,
                "ack": ack,
                "form": forms.RiskForm(
                    initial=self.initial(
                        f"risk:{value}", version=audit.version, risk=value, note=ack.note if ack else ""
                    ),
                    auto_id=f"rk{value}_%s",
                ),
            }
            for value, label, ack in selectors.risk_checklist(audit)
        ]
        context.update(
            invest_form=forms.InvestForm(
                initial=self.initial("invest", version=audit.version), auto_id="inv_%s"
            ),
            invested=selectors.invested_decisions(audit),
            rows=rows,
            page=page,
            months=months,
            what_if=decisions.what_if_kept(audit) if audit.is_computed else None,
            risks=risks,
            missing=audit.decisions_missing if audit.is_computed else 0,
            complete_form=forms.CompleteForm(initial=self.initial("complete", version=audit.version)),
        )
        return super().get_context_data(**context, **kwargs)


def _page(request, queryset, per_page):
    paginator = Pages(queryset, per_page)
    number = request.GET.get("page", "1")
    try:
        number = int(number)
    except ValueError:
        number = 1  # as every table does with a page that is not a number
    return paginator.page(max(1, number))


class ReportView(AuditAccess, View):
    """The audit report as XLSX, downloadable at any step; final once the audit is completed."""

    run_only = True

    def get(self, request, pk):
        audit = self.get_audit()
        return FileResponse(
            audit_report_xlsx(audit),
            as_attachment=True,
            filename=audit_report_filename(audit, "xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


class ReportPdfView(AuditAccess, View):
    """The audit report as PDF, in the user's language, downloadable at any step: marked as a draft
    until the audit is completed, final afterwards. Finance's and admins', as the XLSX report."""

    run_only = True

    def get(self, request, pk):
        audit = self.get_audit()
        response = HttpResponse(audit_report_pdf(audit), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{audit_report_filename(audit)}"'
        return response


STEP_URLS = {
    1: "review:identify",
    2: "review:costs",
    3: "review:rank",
    4: "review:flags",
    5: "review:strategy",
}
