"""The back-office screens that read profitability snapshots: dashboard, ranking, client P&L."""

import hashlib

from django.core.cache import cache
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from audits import charts, report_selectors
from audits.filters import RankingFilter
from audits.models import ClientSnapshot
from audits.selectors import portfolio_latest, run_context
from audits.tables import RankingTable, snapshot_about
from audits.transitions import selectors as transition_selectors
from clients.access import client_get_for_user
from clients.exports import LocalisedExportMixin
from clients.models import CostSettings
from clients.tables import Pages


def ageing_labels(limits):
    """'1-30 d', '31-60 d', '61-90 d', 'over 90 d' from the ageing limits."""
    labels, low = [], 1
    for limit in limits:
        labels.append(_("%(low)s-%(high)s d") % {"low": low, "high": limit})
        low = limit + 1
    labels.append(_("over %(days)s d") % {"days": limits[-1]})
    return labels


def _chart_cached(name, build, inputs):
    """A chart's SVG, cached under a digest of the figures it draws (and the language of its labels).

    Drawing takes tens of milliseconds per chart; the finance dashboard draws the same four charts
    for everyone until the next recompute, so later requests read them."""
    digest = hashlib.sha256(repr(inputs).encode()).hexdigest()
    return cache.get_or_set(f"chart:{name}:{get_language()}:{digest}", build, timeout=24 * 3600)


def _dashboard_charts(board):
    """Each chart's drawing function and the figures it depends on."""
    tier_labels = [_("Tier %(n)s") % {"n": n} for n in range(1, len(board.tier_counts) + 1)]
    whale_peak = (board.whale_client_share, board.whale_profit_share)
    return {
        "pareto": (
            lambda: (
                charts.cumulative_curve(
                    points=board.pareto_points,
                    x_label=_("share of clients (by revenue)"),
                    y_label=_("cumulative share of revenue"),
                    reference=0.8,
                )
                if board.pareto_points
                else None
            ),
            board.pareto_points,
        ),
        "whale": (
            lambda: (
                charts.cumulative_curve(
                    points=board.whale_points,
                    x_label=_("share of clients (by net profit)"),
                    y_label=_("cumulative share of net profit"),
                    reference=1,
                    peak=whale_peak,
                )
                if board.whale_points
                else None
            ),
            (board.whale_points, whale_peak),
        ),
        "tiers": (
            lambda: charts.bars(labels=tier_labels, values=board.tier_counts, y_label=_("clients")),
            board.tier_counts,
        ),
        "trend": (
            lambda: (
                charts.trend(
                    labels=[charts.month_label(month) for month, _r, _np in board.trend],
                    series=[
                        (_("Revenue"), [r for _m, r, _np in board.trend], charts.MUTED),
                        (_("Net profit"), [np_ for _m, _r, np_ in board.trend], charts.ACCENT),
                    ],
                    y_label=_("per month"),
                    to_date=board.latest.as_of,
                )
                if board.trend
                else None
            ),
            (board.trend, board.latest.as_of),
        ),
    }


class DashboardView(TemplateView):
    template_name = "audits/dashboard.html"

    def get_context_data(self, **kwargs):
        board = report_selectors.dashboard_for(user=self.request.user)
        context = {"board": board, **run_context(user=self.request.user)}
        context["transitions_watch"] = transition_selectors.dashboard_watch(user=self.request.user)
        if board is not None:
            context["charts"] = {
                name: _chart_cached(name, build, inputs)
                for name, (build, inputs) in _dashboard_charts(board).items()
            }
        return super().get_context_data(**context, **kwargs)


class RankingView(LocalisedExportMixin, SingleTableMixin, FilterView):
    table_class = RankingTable
    filterset_class = RankingFilter
    template_name = "audits/ranking.html"
    paginator_class = Pages
    table_pagination = {"per_page": 50}
    export_formats = ("csv", "xlsx")
    export_name = "client-ranking"
    export_title = gettext_lazy("Client ranking")

    def get_export_about(self):
        title = _("Dormant clients") if self.dormant else self.export_title
        return snapshot_about(title, self.latest)

    def get_queryset(self):
        self.latest = portfolio_latest()
        # ?dormant=1: the clients with no activity in the period, listed apart from the ranking.
        self.dormant = self.request.GET.get("dormant") == "1"
        if self.latest is None:
            return ClientSnapshot.objects.none()
        return report_selectors.ranking_rows(user=self.request.user, latest=self.latest, dormant=self.dormant)

    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        if self.dormant:
            kwargs.update(order_by=("client",), exclude=("rank_net_profit",))
        return kwargs

    def get_context_data(self, **kwargs):
        dormant_count = None
        if self.latest is not None:
            dormant_count = report_selectors.dormant_count(user=self.request.user, latest=self.latest)
        return super().get_context_data(
            latest=self.latest,
            dormant=self.dormant,
            dormant_count=dormant_count,
            **run_context(user=self.request.user),
            **kwargs,
        )


class ClientProfitView(TemplateView):
    template_name = "audits/client_profit.html"

    def get_context_data(self, **kwargs):
        client = client_get_for_user(user=self.request.user, pk=kwargs["pk"])
        profit = report_selectors.client_profit(client=client, user=self.request.user)
        limits = CostSettings.load().ageing
        context = {
            "client": client,
            "profit": profit,
            "snap": profit.snapshot,
            "tab": "profit",
            "ageing_labels": ageing_labels(limits),
            **run_context(user=self.request.user),
        }
        snap = profit.snapshot
        if snap is not None:
            context["waterfall"] = charts.waterfall(
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
                context["trend_chart"] = charts.trend(
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
