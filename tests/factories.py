import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from clients import models
from clients.roles import ACCOUNT_MANAGERS, roles_sync


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-test-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            if not Group.objects.filter(name=extracted).exists():
                roles_sync()  # a transactional test flushed the groups of the data migration
            self.groups.add(Group.objects.get(name=extracted))


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Client

    name = factory.Sequence(lambda n: f"Client {n:04d}")
    external_ref = factory.Sequence(lambda n: f"C{n:05d}")
    status = models.Client.Status.ACTIVE
    account_manager = factory.SubFactory(UserFactory, role=ACCOUNT_MANAGERS)
    acquired_on = dt.date(2024, 1, 1)
    acquisition_cost = None  # unknown, as a client entered without one


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contact

    client = factory.SubFactory(ClientFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    is_primary = False


class StaffCostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StaffCost

    user = factory.SubFactory(UserFactory)
    effective_from = dt.date(2020, 1, 1)
    hourly_cost = Decimal("60.00")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Interaction

    client = factory.SubFactory(ClientFactory)
    staff = factory.LazyAttribute(lambda o: o.client.account_manager)
    kind = models.Interaction.Kind.CALL
    started_at = factory.LazyFunction(timezone.now)
    duration_minutes = 30


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Invoice

    client = factory.SubFactory(ClientFactory)
    number = factory.Sequence(lambda n: f"INV-{n:06d}")
    issued_on = dt.date(2025, 1, 10)
    due_on = factory.LazyAttribute(lambda o: o.issued_on + dt.timedelta(days=30))
    amount = Decimal("1000.00")
    cost_of_sales = None
    written_off = Decimal("0.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Payment

    invoice = factory.SubFactory(InvoiceFactory)
    paid_on = factory.LazyAttribute(lambda o: o.invoice.due_on)
    amount = factory.LazyAttribute(lambda o: o.invoice.amount)


class ExpenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Expense

    client = factory.SubFactory(ClientFactory)
    spent_on = dt.date(2025, 2, 1)
    category = models.Expense.Category.TRAVEL
    amount = Decimal("100.00")
