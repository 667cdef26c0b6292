"""Reads for the client profitability page.

Everything here reads the latest snapshots; nothing recomputes from the ledger on a request.
Each function runs a fixed number of queries whatever the number of clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Prefetch, Subquery
from django.db.models.functions import TruncDate

from audits import engine, portfolio
from audits.models import ClientSnapshot, PortfolioSnapshot
from audits.selectors import client_month_trend, portfolio_latest
from clients.models import Client, CostSettings, Interaction, Invoice, Payment, StaffCost

ZERO = Decimal("0")


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


def _hourly_cost_in_force():
    """The staff member's hourly cost in force on the interaction's day (a correlated subquery)."""
    return Subquery(
        StaffCost.objects.filter(user=OuterRef("staff"), effective_from__lte=OuterRef("day"))
        .order_by("-effective_from")
        .values("hourly_cost")[:1],
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def client_profit(*, client: Client, user) -> ClientProfit:
    latest = portfolio_latest()
    snapshot = ClientSnapshot.objects.filter(client=client, as_of=latest.as_of).first() if latest else None
    settings = CostSettings.load()
    interactions, invoices, referrals, trend = [], [], [], []
    levers = None
    if snapshot is not None:
        start, end = snapshot.run.period_start, snapshot.run.period_end
        interactions = list(
            Interaction.objects.filter(client=client, started_at__gte=engine.local_midnight(start))
            .select_related("staff")
            .annotate(day=TruncDate("started_at"))
            .annotate(hourly_cost=_hourly_cost_in_force())
            .order_by("-started_at")[:50]
        )
        for item in interactions:
            item.cost = (
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
                payment.days_late = max(0, (payment.paid_on - invoice.due_on).days)
                paid += payment.amount
            invoice.paid = paid
            invoice.open = max(invoice.amount - paid - invoice.written_off, ZERO)
            invoice.days_overdue = max(0, (snapshot.as_of - invoice.due_on).days) if invoice.open > 0 else 0
        referrals = list(
            ClientSnapshot.objects.filter(as_of=snapshot.as_of, client__referred_by=client)
            .select_related("client")
            .only("client__name", "client__external_ref", "client__id", "gross_margin")
            # The credit counts every referred client; a name is shown only to who may see it.
            .annotate(client_visible=Exists(Client.objects.visible_to(user).filter(pk=OuterRef("client_id"))))
        )
        for row in referrals:
            row.credit = portfolio.money(row.gross_margin * settings.referral_share / 100)
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
