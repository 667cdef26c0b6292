"""The report pages: dashboard, ranking, client profitability, payments and prospects."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django_filters.views import FilterView

from audits.models import ClientSnapshot
from audits.profitability.client import client_profit
from audits.profitability.runs import portfolio_latest, run_context
from audits.reports import charts, prospects, ranking
from audits.reports.dashboard import dashboard_for
from audits.reports.payments import (
    AGEING_COLUMNS,
    AgeingTable,
    ageing_labels,
    ageing_rows,
    overdue_labels,
    payments_for,
)
from audits.reports.tables import snapshot_about
from audits.transitions import selectors as transition_selectors
from clients.models import CostSettings
from clients.selectors import client_get_for_user
from clients.tables import PagedExportMixin, PagedTableMixin


def _curve(points, x_label, y_label, reference, peak=None):
    """A cumulative curve's drawing function (None without points)."""
    return lambda narrow: (
        charts.cumulative_curve(
            points=points, x_label=x_label, y_label=y_label, reference=reference, peak=peak, narrow=narrow
        )
        if points
        else None
    )


def _dashboard_charts(board):
    """Each chart's drawing function (of ``narrow``, ``charts.for_screens``) and the figures it
    depends on."""
    tier_labels = [_("Tier %(n)s") % {"n": n} for n in range(1, len(board.tier_counts) + 1)]
    whale_peak = (board.whale_client_share, board.whale_profit_share)
    by_revenue = (_("share of clients (by revenue)"), _("cumulative share of revenue"))
    by_profit = (_("share of clients (by net profit)"), _("cumulative share of net profit"))
    return {
        "pareto": (_curve(board.pareto_points, *by_revenue, reference=0.8), board.pareto_points),
        "whale": (
            _curve(board.whale_points, *by_profit, reference=1, peak=whale_peak),
            (board.whale_points, whale_peak),
        ),
        "tiers": (
            lambda narrow: charts.bars(
                labels=tier_labels, values=board.tier_counts, y_label=_("clients"), narrow=narrow
            ),
            board.tier_counts,
        ),
        "trend": (
            lambda narrow: (
                charts.trend(
                    labels=[charts.month_label(month) for month, _r, _np in board.trend],
                    series=[
                        (_("Revenue"), [r for _m, r, _np in board.trend], charts.MUTED),
                        (_("Net profit"), [np_ for _m, _r, np_ in board.trend], charts.ACCENT),
                    ],
                    y_label=_("per month"),
                    to_date=board.latest.as_of,
                    narrow=narrow,
                )
                if board.trend
                else None
            ),
            (board.trend, board.latest.as_of),
        ),
    }


class DashboardView(TemplateView):
    template_name = "audits/reports/dashboard.html"

    def get_context_data(self, **kwargs):
        board = dashboard_for(user=self.request.user)
        context = {"board": board, **run_context(user=self.request.user)}
        context["transitions_watch"] = transition_selectors.dashboard_watch(user=self.request.user)
        if board is not None:
            context["charts"] = {
                name: charts.cached(
                    name, lambda build=build, name=name: charts.for_screens(build, name), inputs
                )
                for name, (build, inputs) in _dashboard_charts(board).items()
            }
        return super().get_context_data(**context, **kwargs)


class RankingView(PagedExportMixin, FilterView):
    table_class = ranking.RankingTable
    filterset_class = ranking.RankingFilter
    template_name = "audits/reports/ranking.html"
    export_name = "client-ranking"
    export_title = gettext_lazy("Client ranking")

    def get_export_about(self):
        title = _("Dormant clients") if self.dormant else self.export_title
        return snapshot_about(title, self.latest)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)  # reads the queryset, and the latest figures
        if self.latest is not None:
            kwargs["tiers"] = len(self.latest.tier_counts)
        return kwargs

    def get_queryset(self):
        self.latest = portfolio_latest()
        # ?dormant=1: the clients with no activity in the period, listed apart from the ranking.
        self.dormant = self.request.GET.get("dormant") == "1"
        if self.latest is None:
            return ClientSnapshot.objects.none()
        return ranking.ranking_rows(user=self.request.user, latest=self.latest, dormant=self.dormant)

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if self.dormant:
            kwargs.update(order_by=("client",), exclude=("rank_net_profit",))
        return kwargs

    def get_context_data(self, **kwargs):
        dormant_count = None
        if self.latest is not None:
            dormant_count = ranking.dormant_count(user=self.request.user, latest=self.latest)
        return super().get_context_data(
            latest=self.latest,
            dormant=self.dormant,
            dormant_count=dormant_count,
            **run_context(user=self.request.user),
            **kwargs,
        )


class ClientProfitView(TemplateView):
    template_name = "audits/reports/client_profit.html"

    def get_context_data(self, **kwargs):
        client = client_get_for_user(user=self.request.user, pk=kwargs["pk"])
        profit = client_profit(client=client, user=self.request.user)
        limits = CostSettings.load().ageing
        context = {
            "client": client,
            "profit": profit,
            "snap": profit.snapshot,
            "tab": "profit",
            "ageing_labels": overdue_labels(limits),
            **run_context(user=self.request.user),
        }
        snap = profit.snapshot
        if snap is not None:
            context["waterfall"] = charts.drawn(
                "client-waterfall",
                charts.waterfall,
                steps=[
                    (_("Revenue"), snap.revenue),
                    (_("Cost of sales"), -(snap.revenue - snap.gross_margin)),
                    (_("Cost to serve"), -snap.cost_to_serve),
                    (_("Expenses"), -snap.direct_expenses),
                    (_("Acquisition"), -snap.acquisition_share),
                    (_("Late payment"), -snap.late_payment_cost),
                    (_("Bad debt"), -snap.bad_debt),
                ],
                total_label=_("Net profit"),
            )
            if profit.trend:
                context["trend_chart"] = charts.drawn(
                    "client-trend",
                    charts.trend,
                    labels=[charts.month_label(row.month) for row in profit.trend],
                    series=[
                        (_("Revenue"), [row.revenue for row in profit.trend], charts.MUTED),
                        (_("Net profit"), [row.net_profit for row in profit.trend], charts.ACCENT),
                    ],
                    y_label=_("per month"),
                    width=12,
                    to_date=profit.snapshot.as_of,
                )
        return super().get_context_data(**context, **kwargs)


class PaymentsView(PagedExportMixin, TemplateView):
    """Finance and admins see every client; an account manager sees the same for their own."""

    template_name = "audits/reports/payments.html"
    table_class = AgeingTable
    export_name = "ageing"
    export_title = gettext_lazy("Receivables ageing")

    def get_export_about(self):
        return snapshot_about(self.export_title, self.payments.latest if self.payments else None)

    def get(self, request, *args, **kwargs):
        self.payments = payments_for(user=request.user)
        self.labels = ageing_labels(CostSettings.load().ageing)
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        if self.payments is None:
            return ClientSnapshot.objects.none()
        return ageing_rows(user=self.request.user, latest=self.payments.latest)

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
            context["ageing_chart"] = charts.drawn(
                "ageing",
                charts.bars,
                labels=[str(label) for label in self.labels],
                values=[payments.ageing_totals[name] for name in AGEING_COLUMNS],
                y_label=_("open amount"),
                colors=[charts.GOOD, charts.ACCENT, charts.AMBER, charts.AMBER, charts.BAD],
                money=True,
            )
            if any(month.paid for month in payments.trend):
                context["trend_chart"] = charts.drawn(
                    "payments-trend",
                    charts.trend,
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


class ProspectsView(PagedTableMixin, TemplateView):
    """Each prospect's estimated margin, tier, effort budget and effort spent; a manager's own only."""

    template_name = "audits/reports/prospects.html"
    table_class = prospects.ProspectTable

    def get(self, request, *args, **kwargs):
        self.latest = portfolio_latest()
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        if self.latest is None:
            return ClientSnapshot.objects.none()
        return prospects.prospect_rows(user=self.request.user, latest=self.latest)

    def get_table_kwargs(self):
        return {"day_cost": self.latest.day_cost if self.latest else None}

    def get_context_data(self, **kwargs):
        context = {"latest": self.latest, **run_context(user=self.request.user)}
        if self.latest is not None:
            context["summary"] = prospects.prospect_summary(user=self.request.user, latest=self.latest)
        return super().get_context_data(**context, **kwargs)
