"""The finance screens: payments (ageing, worst payers, DSO, trend), prospects and cost settings."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from audits import charts, finance_selectors
from audits.finance_tables import AGEING_COLUMNS, AgeingTable, ProspectTable
from audits.models import ClientSnapshot
from audits.profitability.runs import run_context
from audits.selectors import portfolio_latest
from audits.tables import snapshot_about
from clients.exports import LocalisedExportMixin
from clients.models import CostSettings
from clients.tables import Pages


def ageing_labels(limits):
    """'Current', '1-30 d', '31-60 d', '61-90 d', 'over 90 d' from the three ageing limits."""
    labels, low = [_("Current")], 1
    for limit in limits:
        labels.append(_("%(low)s-%(high)s d") % {"low": low, "high": limit})
        low = limit + 1
    labels.append(_("over %(days)s d") % {"days": limits[-1]})
    return labels


class PaymentsView(LocalisedExportMixin, SingleTableMixin, TemplateView):
    """Finance and admins see every client; an account manager sees the same for their own."""

    template_name = "audits/payments.html"
    table_class = AgeingTable
    paginator_class = Pages
    table_pagination = {"per_page": 50}
    export_formats = ("csv", "xlsx")
    export_name = "ageing"
    export_title = gettext_lazy("Receivables ageing")

    def get_export_about(self):
        return snapshot_about(self.export_title, self.payments.latest if self.payments else None)

    def get(self, request, *args, **kwargs):
        self.payments = finance_selectors.payments_for(user=request.user)
        self.labels = ageing_labels(CostSettings.load().ageing)
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        if self.payments is None:
            return ClientSnapshot.objects.none()
        return finance_selectors.ageing_rows(user=self.request.user, latest=self.payments.latest)

    def get_table_kwargs(self):
        totals = {}
        if self.payments is not None:
            totals = {
                **self.payments.ageing_totals,
                "open_receivables": self.payments.open_receivables,
                "open_overdue": self.payments.open_overdue,
            }
        return {"labels": self.labels, "totals": totals}

    def get_context_data(self, **kwargs):
        payments = self.payments
        context = {"payments": payments, **run_context(user=self.request.user)}
        if payments is not None:
            context["ageing_buckets"] = [
                (label, payments.ageing_totals[name])
                for label, name in zip(self.labels, AGEING_COLUMNS, strict=True)
            ]
            context["ageing_chart"] = charts.bars(
                labels=self.labels,
                values=[payments.ageing_totals[name] for name in AGEING_COLUMNS],
                y_label=_("open amount"),
                colors=[charts.GOOD, charts.ACCENT, charts.AMBER, charts.AMBER, charts.BAD],
                money=True,
            )
            if any(month.paid for month in payments.trend):
                context["trend_chart"] = charts.trend(
                    labels=[charts.month_label(month.month) for month in payments.trend],
                    series=[
                        (
                            _("Average days late (amount-weighted)"),
                            [month.average_days_late for month in payments.trend],
                            charts.BAD,
                        ),
                        (
                            _("Average days to pay (amount-weighted)"),
                            [month.average_days_to_pay for month in payments.trend],
                            charts.ACCENT,
                        ),
                    ],
                    y_label=_("days"),
                    to_date=payments.latest.as_of,
                )
        return super().get_context_data(**context, **kwargs)


class ProspectsView(SingleTableMixin, TemplateView):
    """Each prospect's estimated margin, tier, effort budget and effort spent; a manager's own only."""

    template_name = "audits/prospects.html"
    table_class = ProspectTable
    paginator_class = Pages
    table_pagination = {"per_page": 50}

    def get(self, request, *args, **kwargs):
        self.latest = portfolio_latest()
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        if self.latest is None:
            return ClientSnapshot.objects.none()
        return finance_selectors.prospect_rows(user=self.request.user, latest=self.latest)

    def get_table_kwargs(self):
        return {"day_cost": self.latest.day_cost if self.latest else None}

    def get_context_data(self, **kwargs):
        context = {"latest": self.latest, **run_context(user=self.request.user)}
        if self.latest is not None:
            context["summary"] = finance_selectors.prospect_summary(
                user=self.request.user, latest=self.latest
            )
        return super().get_context_data(**context, **kwargs)
