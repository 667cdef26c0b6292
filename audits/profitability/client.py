"""The client profitability page's reads: one client's snapshot, its interactions with their cost,
its invoices with what is open and how late, its referrals with their credit, its trend and its
break-even levers (``client_profit``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.functions import TruncDate

from audits.models import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot
from audits.profitability import portfolio
from audits.profitability.figures import ZERO, acquisition_share, hourly_cost_in_force, money, referral_credit
from audits.profitability.runs import portfolio_latest
from audits.profitability.sql.fragments import local_midnight
from clients.models import Client, CostSettings, Interaction, Invoice, Payment
from clients.periods import month_index, trend_months
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
        trend = client_month_trend(client, as_of=snapshot.as_of)
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
            aq = money(acquisition_share(client.acquisition_cost, client.acquired_on, months, index, index))
            row = ClientMonthSnapshot(
                client=client, as_of=as_of, month=month, acquisition_share=aq, net_profit=-aq
            )
        trend.append(row)
    return trend
