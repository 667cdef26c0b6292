"""The client profitability page's reads: one client's snapshot, its interactions with their cost,
its invoices with what is open and how late, its referrals with their credit, its trend and its
break-even levers (``client_profit``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.functions import TruncDate

from audits.models import ClientSnapshot, PortfolioSnapshot
from audits.profitability import engine, portfolio
from audits.profitability.cost_settings import Settings
from audits.profitability.figures import (
    MONEY_FIGURES,
    ZERO,
    ClientFigures,
    acquisition_share,
    hourly_cost_in_force,
    money,
    ratio,
    referral_credit,
)
from audits.profitability.runs import portfolio_latest
from audits.profitability.sql.months import MONTH_FIGURE_COLUMNS, month_figures_sql
from audits.profitability.sql.passes import components_with
from clients.models import Client, CostSettings, Interaction, Invoice, Payment
from clients.periods import local_midnight, month_index, rolling_period, trend_months
from clients.receivables import days_late, days_overdue, open_amount


@dataclass
class ClientProfit:
    client: Client
    snapshot: ClientSnapshot | None
    latest: PortfolioSnapshot | None
    trend: list
    interactions: list
    invoices: list
    referrals: list
    referral_share: Decimal
    effort_days: Decimal | None
    levers: portfolio.Levers | None


def client_profit(*, client: Client, user) -> ClientProfit:
    latest = portfolio_latest()
    snapshot = ClientSnapshot.objects.filter(client=client, as_of=latest.as_of).first() if latest else None
    settings = CostSettings.load()
    interactions, invoices, referrals, trend = [], [], [], []
    levers = None
    if snapshot is not None:
        start, end = snapshot.run.period_start, snapshot.run.period_end
        interactions = list(
            Interaction.objects.filter(client=client, started_at__gte=local_midnight(start))
            .select_related("staff")
            .annotate(day=TruncDate("started_at"))
            .annotate(hourly_cost=hourly_cost_in_force())
            .order_by("-started_at")[:50]
        )
        for item in interactions:
            item.cost = (  # type: ignore[attr-defined]  # for the page: not a field of the annotated row
                portfolio.money(Decimal(item.duration_minutes) / 60 * item.hourly_cost)
                if item.hourly_cost is not None
                else None
            )
        invoices = list(
            Invoice.objects.filter(client=client, issued_on__gte=start, issued_on__lte=end)
            .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("paid_on")))
            .order_by("-issued_on")
        )
        for invoice in invoices:
            paid = ZERO
            for payment in invoice.payments.all():
                payment.days_late = days_late(paid_on=payment.paid_on, due_on=invoice.due_on)
                paid += payment.amount
            invoice.paid = paid
            invoice.open = open_amount(amount=invoice.amount, written_off=invoice.written_off, paid=paid)
            invoice.days_overdue = days_overdue(
                as_of=snapshot.as_of, due_on=invoice.due_on, open_amount=invoice.open
            )
        referrals = list(
            ClientSnapshot.objects.filter(as_of=snapshot.as_of, client__referred_by=client)
            .select_related("client")
            .only("client__name", "client__external_ref", "client__id", "gross_margin")
            # The credit counts every referred client; a name is shown only to who may see it.
            .annotate(client_visible=Exists(Client.objects.visible_to(user).filter(pk=OuterRef("client_id"))))
        )
        for row in referrals:
            row.credit = referral_credit(  # type: ignore[attr-defined]  # for the page: not a field of the annotated row
                row.gross_margin, settings.referral_share / 100
            )
        trend = client_month_trend(client, as_of=snapshot.as_of, cost_settings=settings)
        levers = portfolio.break_even(portfolio.ClientFigures.of(snapshot))
    effort_days = None
    if snapshot is not None and snapshot.effort_budget is not None and latest and latest.day_cost:
        effort_days = portfolio.effort_days(snapshot.effort_budget, latest.day_cost)
    return ClientProfit(
        client=client,
        snapshot=snapshot,
        latest=latest,
        trend=trend,
        interactions=interactions,
        invoices=invoices,
        referrals=referrals,
        referral_share=settings.referral_share,
        effort_days=effort_days,
        levers=levers,
    )


@dataclass(frozen=True)
class ClientMonth(ClientFigures):
    """One calendar month of a client's trend: its figures over the month (docs/figures.md), with
    what it was paid in the month and how late, amount-weighted."""

    month: dt.date = dt.date.min
    paid_amount: Decimal = ZERO
    average_days_late: Decimal | None = None
    average_days_to_pay: Decimal | None = None


def _month_of(row) -> ClientMonth:
    """A row of ``month_figures_sql`` (SQLite gives text dates and floats). Its net profit is not
    read: ``ClientFigures`` makes it again, the same difference of the same rounded figures."""
    values = dict(zip(MONTH_FIGURE_COLUMNS, row, strict=True))
    month, late, to_pay = values["month"], values["average_days_late"], values["average_days_to_pay"]
    return ClientMonth(
        client_id=values["client_id"],
        month=month if isinstance(month, dt.date) else dt.date.fromisoformat(month),
        **{name: money(values[name]) for name in (*MONEY_FIGURES, "paid_amount")},
        service_minutes=int(values["service_minutes"]),
        average_days_late=None if late is None else ratio(Decimal(str(late))),
        average_days_to_pay=None if to_pay is None else ratio(Decimal(str(to_pay))),
    )


def client_months(
    client: Client, *, as_of: dt.date, cost_settings: CostSettings | None = None
) -> list[ClientMonth]:
    """A client's months of the trend to ``as_of`` that have ledger activity, oldest first: the
    ledger pass's SQL over this client alone (its components as a WITH clause, then
    ``month_figures_sql``), one read-only statement, for the ledger and the cost settings as they
    stand now: the figures the night's month totals summed, until the ledger or the settings
    change (then the next run's)."""
    settings = Settings.from_model(cost_settings or CostSettings.load())
    start, end = rolling_period(as_of)
    window = engine.window_for(as_of=as_of, start=start, end=end, settings=settings)
    one = (client.pk, client.pk + 1)
    components, component_params = components_with(window=window, client_range=one)
    sql, params = month_figures_sql(
        late_rate=settings.late_rate, amortisation_months=settings.amortisation_months, client_range=one
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{components} SELECT * FROM ({sql}) m ORDER BY m.month", [*component_params, *params])
        return [_month_of(row) for row in cursor.fetchall()]


def client_month_trend(
    client: Client, *, as_of: dt.date | None = None, cost_settings: CostSettings | None = None
) -> list[ClientMonth]:
    """A client's months over the trend's months to ``as_of`` (by default its latest snapshot's
    day), oldest first, with the cost settings given (by default those in force).

    Months without ledger activity are filled in here (zero activity, and the acquisition share
    when the month falls inside the amortisation window)."""
    if as_of is None:
        as_of = (
            ClientSnapshot.objects.filter(client=client)
            .order_by("-as_of")
            .values_list("as_of", flat=True)
            .first()
        )
        if as_of is None:
            return []
    cost_settings = cost_settings or CostSettings.load()
    computed = {row.month: row for row in client_months(client, as_of=as_of, cost_settings=cost_settings)}
    months = cost_settings.amortisation_months
    trend = []
    for month in trend_months(as_of):
        row = computed.get(month)
        if row is None:
            index = month_index(month)
            aq = money(acquisition_share(client.acquisition_cost, client.acquired_on, months, index, index))
            row = ClientMonth(client_id=client.pk, month=month, acquisition_share=aq)
        trend.append(row)
    return trend
