"""The figures printed after a build, computed from the plan (not read back from the database)."""

from decimal import Decimal

from django.utils import timezone

from clients.demo.plan import Summary, top_share
from clients.models import CENT, CostSettings


def portfolio_summary(portfolio):
    """The summary of a planned ``PortfolioBuilder``."""
    start, end = portfolio.period_start, portfolio.period_end
    revenue, gross, service = {}, {}, {}
    margin_rate = CostSettings.load().default_margin_rate / 100
    for plan in portfolio.customers:
        in_period = [i for i in plan.invoices if start <= i.issued_on <= end]
        revenue[plan.index] = sum((i.amount for i in in_period), Decimal("0"))
        gross[plan.index] = sum(
            (
                i.amount - i.cost_of_sales if i.cost_of_sales is not None else i.amount * margin_rate
                for i in in_period
            ),
            Decimal("0"),
        )
    for client_index, username, _kind, started, minutes, _note in portfolio.interactions:
        day = timezone.localtime(started, portfolio.tz).date()
        if start <= day <= end:
            cost = Decimal(minutes) / 60 * portfolio.hourly_cost(username, day)
            service[client_index] = service.get(client_index, Decimal("0")) + cost
    for client_index, day, _category, amount, _note in portfolio.expenses:
        if start <= day <= end:
            service[client_index] = service.get(client_index, Decimal("0")) + amount
    share, top, with_revenue = top_share(revenue)
    total = sum(revenue.values(), Decimal("0"))
    overheads = Decimal(round(float(total) * 0.1 / 12 / 500) * 500).quantize(CENT)
    invoices = [invoice for plan in portfolio.customers for invoice in plan.invoices]
    return Summary(
        seed=portfolio.seed,
        months=portfolio.months,
        as_of=portfolio.today,
        clients=len(portfolio.customers),
        active=sum(1 for p in portfolio.customers if not p.left_on),
        former=sum(1 for p in portfolio.customers if p.left_on),
        prospects=sum(1 for p in portfolio.plans if p.prospect),
        managers=len({p.manager for p in portfolio.plans}),
        invoices=len(invoices),
        credit_notes=sum(1 for i in invoices if i.amount < 0),
        payments=sum(len(i.payments) for i in invoices),
        open_overdue=sum(
            1
            for i in invoices
            if i.amount > 0
            and not i.written_off
            and i.due_on < portfolio.today
            and sum((amount for _day, amount in i.payments), Decimal("0")) < i.amount
        ),
        interactions=len(portfolio.interactions),
        expenses=len(portfolio.expenses),
        revenue_12m=total,
        top_share=share,
        top_clients=top,
        clients_with_revenue=with_revenue,
        loss_makers=sum(1 for index in revenue if service.get(index, Decimal("0")) > gross[index]),
        overheads_per_month=overheads,
    )
