"""Reads of the profitability side. Pages read snapshots here; nothing recomputes on a request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from audits import engine
from audits.models import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot, ProfitabilityRun
from clients.models import CostSettings
from clients.periods import month_index, trend_months


def run_latest(*, succeeded: bool = True) -> ProfitabilityRun | None:
    """The last finished run (or the last run of any status): 'figures computed on ...'."""
    runs = ProfitabilityRun.objects.all()
    if succeeded:
        runs = runs.filter(status=ProfitabilityRun.Status.SUCCEEDED).order_by("-finished_at", "-pk")
    return runs.first()


# The nightly run is late when its last success is older than this: a day, and two hours of slack
# for a slow night or a retry.
RUN_LATE_AFTER = dt.timedelta(hours=26)


@dataclass(frozen=True)
class RunHealth:
    """How the nightly recompute is doing, read by the dashboard warning and by /healthz."""

    last_success: ProfitabilityRun | None
    # The latest finished run, when it failed (a later success clears it).
    failure: ProfitabilityRun | None
    now: dt.datetime

    @property
    def age(self) -> dt.timedelta | None:
        """Time since the last successful run finished."""
        return self.now - self.last_success.finished_at if self.last_success else None

    @property
    def late(self) -> bool:
        return self.last_success is None or self.age > RUN_LATE_AFTER


def run_health() -> RunHealth:
    """The last successful run and whether the latest finished run failed (two queries)."""
    finished = ProfitabilityRun.objects.filter(
        status__in=[ProfitabilityRun.Status.SUCCEEDED, ProfitabilityRun.Status.FAILED],
        finished_at__isnull=False,
    ).order_by("-finished_at", "-pk")
    latest = finished.first()
    failed = latest is not None and latest.status == ProfitabilityRun.Status.FAILED
    return RunHealth(
        last_success=run_latest() if failed or latest is None else latest,
        failure=latest if failed else None,
        now=timezone.now(),
    )


def run_context(*, user) -> dict:
    """When the figures were computed, whether the nightly run failed or is late, the run in progress
    if any, and whether the user may recompute (what the shared run-status and empty-state partials
    read)."""
    health = run_health()
    active = ProfitabilityRun.objects.filter(status__in=ProfitabilityRun.ACTIVE).order_by("-pk").first()
    return {
        "last_run": health.last_success,
        "run_health": health,
        "active_run": active,
        "can_recompute": user.has_perm("clients.change_costsettings"),
    }


def portfolio_latest() -> PortfolioSnapshot | None:
    return PortfolioSnapshot.objects.select_related("run").order_by("-as_of").first()


def client_month_trend(client, *, as_of=None) -> list[ClientMonthSnapshot]:
    """The monthly figures of a client's latest snapshot, oldest month first, over the trend's months.

    Months without ledger activity have no stored row; they are filled in here (zero activity,
    and the acquisition share when the month falls inside the amortisation window)."""
    if as_of is None:
        as_of = (
            ClientSnapshot.objects.filter(client=client)
            .order_by("-as_of")
            .values_list("as_of", flat=True)
            .first()
        )
        if as_of is None:
            return []
    stored = {row.month: row for row in ClientMonthSnapshot.objects.filter(client=client, as_of=as_of)}
    months = CostSettings.load().amortisation_months
    trend = []
    for month in trend_months(as_of):
        row = stored.get(month)
        if row is None:
            index = month_index(month)
            share = engine.amortised_months(client.acquired_on, months, index, index)
            aq = engine.money((client.acquisition_cost or 0) * share / months)  # unknown: nothing to amortise
            row = ClientMonthSnapshot(
                client=client, as_of=as_of, month=month, acquisition_share=aq, net_profit=-aq
            )
        trend.append(row)
    return trend
