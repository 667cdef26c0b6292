"""Writing the planned portfolio: the extra account managers, then every row in bulk inserts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clients.demo.data import EXTRA_MANAGERS, STAFF
from clients.models import Client, Contact, CostSettings, Expense, Interaction, Invoice, Payment, StaffCost
from clients.roles import ACCOUNT_MANAGERS


def _staff_users():
    """The demo users exist already (`demo_users`); the extra account managers are created here."""
    User = get_user_model()
    managers = Group.objects.get(name=ACCOUNT_MANAGERS)
    for username, first, last in EXTRA_MANAGERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(managers)
    return {user.username: user for user in User.objects.filter(username__in=STAFF)}


def portfolio_write(portfolio):
    """Write the planned portfolio (a planned ``PortfolioBuilder``); returns its summary."""
    users = _staff_users()
    StaffCost.objects.filter(user__username__in=STAFF).delete()
    StaffCost.objects.bulk_create(
        StaffCost(user=users[username], effective_from=since, hourly_cost=hourly)
        for username, rows in portfolio.staff_costs.items()
        for since, hourly in rows
    )
    clients = [
        Client(
            name=plan.name,
            external_ref=plan.ref,
            status=plan.status,
            account_manager=users[plan.manager],
            segment=plan.segment,
            acquired_on=plan.acquired_on,
            acquisition_cost=plan.acquisition_cost,
            is_strategic=bool(plan.strategic_reason),
            strategic_reason=plan.strategic_reason,
            estimated_annual_margin=plan.estimated_margin,
            notes="\n".join(plan.notes),
        )
        for plan in portfolio.plans
    ]
    Client.objects.bulk_create(clients)
    referred = []
    for plan, client in zip(portfolio.plans, clients, strict=True):
        if plan.referred_by is not None:
            client.referred_by = clients[plan.referred_by]
            referred.append(client)
    Client.objects.bulk_update(referred, ["referred_by"])
    Contact.objects.bulk_create(
        Contact(
            client=clients[plan.index],
            name=name,
            email=email,
            role=role,
            postal_address=address,
            is_primary=primary,
            language=language,
        )
        for plan in portfolio.plans
        for name, email, role, address, primary, language in plan.contacts
    )
    invoice_plans = [invoice for plan in portfolio.customers for invoice in plan.invoices]
    invoices = [
        Invoice(
            client=clients[invoice.client],
            number=invoice.number,
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            amount=invoice.amount,
            cost_of_sales=invoice.cost_of_sales,
            written_off=invoice.written_off,
        )
        for invoice in invoice_plans
    ]
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    Payment.objects.bulk_create(
        (
            Payment(invoice=invoice, paid_on=paid_on, amount=amount)
            for plan, invoice in zip(invoice_plans, invoices, strict=True)
            for paid_on, amount in plan.payments
        ),
        batch_size=1000,
    )
    Interaction.objects.bulk_create(
        (
            Interaction(
                client=clients[client_index],
                staff=users[username],
                kind=kind,
                started_at=started,
                duration_minutes=minutes,
                note=note,
            )
            for client_index, username, kind, started, minutes, note in portfolio.interactions
        ),
        batch_size=1000,
    )
    Expense.objects.bulk_create(
        (
            Expense(client=clients[client_index], spent_on=day, category=category, amount=amount, note=note)
            for client_index, day, category, amount, note in portfolio.expenses
        ),
        batch_size=1000,
    )
    summary = portfolio.summary()
    cost_settings = CostSettings.load()
    if cost_settings.overheads_per_month != summary.overheads_per_month:
        cost_settings.overheads_per_month = summary.overheads_per_month
        cost_settings.save()
    return summary
