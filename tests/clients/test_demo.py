import datetime as dt
import hashlib
import io
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from clients.models import (
    Client,
    Contact,
    CostSettings,
    Expense,
    Interaction,
    Invoice,
    Payment,
    StaffCost,
)
from clients.periods import rolling_period
from clients.roles import ACCOUNT_MANAGERS

SMALL = ["--clients", "60", "--months", "12"]

pytestmark = pytest.mark.django_db


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def digest():
    """A fingerprint of the demo rows by natural keys (never by database ids)."""
    queries = [
        Client.objects.order_by("external_ref").values_list(
            "external_ref",
            "name",
            "status",
            "account_manager__username",
            "referred_by__external_ref",
            "acquired_on",
            "acquisition_cost",
            "strategic_reason",
            "estimated_annual_margin",
        ),
        Contact.objects.order_by("client__external_ref", "email").values_list(
            "client__external_ref", "name", "email", "role", "is_primary", "language"
        ),
        Invoice.objects.order_by("number").values_list(
            "number", "client__external_ref", "issued_on", "due_on", "amount", "cost_of_sales", "written_off"
        ),
        Payment.objects.order_by("invoice__number", "paid_on").values_list(
            "invoice__number", "paid_on", "amount"
        ),
        Interaction.objects.order_by("client__external_ref", "staff__username", "started_at").values_list(
            "client__external_ref", "staff__username", "kind", "started_at", "duration_minutes", "note"
        ),
        Expense.objects.order_by("client__external_ref", "spent_on", "category").values_list(
            "client__external_ref", "spent_on", "category", "amount"
        ),
        StaffCost.objects.order_by("user__username", "effective_from").values_list(
            "user__username", "effective_from", "hourly_cost"
        ),
    ]
    sha = hashlib.sha256()
    for query in queries:
        for row in query:
            sha.update(repr(row).encode())
    return sha.hexdigest()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Client, Contact, Invoice, Payment, Interaction, Expense, StaffCost)
    }


def last_twelve_months():
    """The 12 months ending today (docs/figures.md, The period)."""
    return rolling_period(timezone.localdate())


def revenue_by_client(start, end):
    revenue = defaultdict(Decimal)
    for client_id, amount in Invoice.objects.filter(issued_on__range=(start, end)).values_list(
        "client_id", "amount"
    ):
        revenue[client_id] += amount
    return revenue


def top_fifth_share(revenue):
    values = sorted((value for value in revenue.values() if value > 0), reverse=True)
    top = max(1, int(len(values) * 0.2 + 0.5))
    return sum(values[:top]) / sum(values)


def test_it_gives_the_same_data_for_the_same_seed():
    seed(*SMALL, "--seed", "7")
    first = digest()
    seed(*SMALL, "--seed", "7", "--reset")
    assert digest() == first
    seed(*SMALL, "--seed", "8", "--reset")
    assert digest() != first


def test_a_second_run_adds_nothing():
    seed(*SMALL)
    overheads = CostSettings.load().overheads_per_month
    before = counts()
    assert before["Client"] > 60

    out = seed(*SMALL, "--seed", "99")

    assert "already there" in out
    assert counts() == before
    assert CostSettings.load().overheads_per_month == overheads


def test_it_refuses_a_portfolio_too_small_to_show_anything():
    with pytest.raises(CommandError):
        seed("--clients", "5")
    assert not Client.objects.exists()


def _check_the_top_fifth(out):
    """The top fifth bring 70 to 85 % of the last 12 months' revenue, and the printout says so, rounded
    half-up to the one place it shows."""
    start, end = last_twelve_months()
    share = top_fifth_share(revenue_by_client(start, end))
    assert Decimal("0.70") <= share <= Decimal("0.85")
    printed = re.search(r"top 20 % of clients \(\d+ of \d+\) bring ([\d.]+) %", out)
    assert printed.group(1) == str((share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("size", [SMALL, []], ids=["60-clients-12-months", "default"])
def test_the_top_fifth_of_clients_bring_70_to_85_percent_of_revenue(size):
    _check_the_top_fifth(seed(*size))


def _check_the_default_portfolio():
    today = timezone.localdate()
    customers = Client.objects.exclude(status=Client.Status.PROSPECT)

    assert customers.count() == 150
    assert Client.objects.filter(status=Client.Status.PROSPECT).count() == 15
    first = Invoice.objects.order_by("issued_on").first().issued_on
    assert today - dt.timedelta(days=745) <= first <= today - dt.timedelta(days=700)
    assert Invoice.objects.order_by("issued_on").last().issued_on <= today
    assert Interaction.objects.filter(started_at__date__gte=today).count() == 0


def test_the_default_portfolio_has_150_clients_over_24_months_ending_today():
    seed()
    _check_the_default_portfolio()


def test_the_demo_holds_on_each_chosen_day(chosen_day):
    """The demo ends on the day it is built: a month end, a leap day, the days after the daylight-saving
    changes and New Year's Day each give the same shape of portfolio."""
    out = seed()
    assert f"months to {chosen_day.isoformat()}" in out
    _check_the_default_portfolio()
    _check_the_top_fifth(out)


def test_some_clients_cost_more_to_serve_than_their_gross_margin():
    seed(*SMALL)
    default_rate = CostSettings.load().default_margin_rate / 100
    costs = defaultdict(list)
    for user_id, since, hourly in StaffCost.objects.order_by("effective_from").values_list(
        "user_id", "effective_from", "hourly_cost"
    ):
        costs[user_id].append((since, hourly))

    def hourly(user_id, day):
        return [cost for since, cost in costs[user_id] if since <= day][-1]

    margin, spent = defaultdict(Decimal), defaultdict(Decimal)
    for client_id, amount, cost_of_sales in Invoice.objects.values_list(
        "client_id", "amount", "cost_of_sales"
    ):
        margin[client_id] += amount - cost_of_sales if cost_of_sales is not None else amount * default_rate
    for client_id, user_id, started, minutes in Interaction.objects.values_list(
        "client_id", "staff_id", "started_at", "duration_minutes"
    ):
        spent[client_id] += Decimal(minutes) / 60 * hourly(user_id, timezone.localtime(started).date())
    for client_id, amount in Expense.objects.values_list("client_id", "amount"):
        spent[client_id] += amount

    losers = [client_id for client_id in margin if spent[client_id] > margin[client_id]]
    assert len(losers) >= 3
    assert len(losers) < len(margin) / 3


def test_chronic_late_payers_pay_40_to_120_days_late():
    seed(*SMALL)
    delays = defaultdict(list)
    for client_id, paid_on, due_on in Payment.objects.values_list(
        "invoice__client_id", "paid_on", "invoice__due_on"
    ):
        delays[client_id].append((paid_on - due_on).days)

    chronic = [days for days in delays.values() if len(days) >= 3 and min(days) >= 40]

    assert len(chronic) >= 3
    assert all(max(days) <= 120 for days in chronic)
    on_time = sum(1 for days in delays.values() for day in days if day <= 0)
    assert on_time > Payment.objects.count() / 2


def test_payments_never_exceed_their_invoice_and_some_are_open_past_due():
    seed(*SMALL)
    today = timezone.localdate()
    paid = defaultdict(Decimal)
    for invoice_id, amount in Payment.objects.values_list("invoice_id", "amount"):
        paid[invoice_id] += amount
    overdue = 0
    for invoice in Invoice.objects.filter(amount__gt=0):
        assert paid[invoice.pk] <= invoice.amount
        assert invoice.due_on == invoice.issued_on + dt.timedelta(days=30)
        if invoice.due_on < today and not invoice.written_off and paid[invoice.pk] < invoice.amount:
            overdue += 1
    assert overdue >= 2


def test_exactly_one_invoice_is_written_off_in_full():
    seed(*SMALL)
    start, end = last_twelve_months()

    (invoice,) = Invoice.objects.filter(written_off__gt=0)

    assert invoice.written_off == invoice.amount
    assert not invoice.payments.exists()
    assert start <= invoice.issued_on <= end
    assert invoice.client.status == Client.Status.FORMER


def test_credit_notes_and_blank_costs_of_sales_are_there():
    seed(*SMALL)
    invoices = Invoice.objects.all()

    assert invoices.filter(amount__lt=0).count() >= 2
    blank = invoices.filter(cost_of_sales__isnull=True).count()
    assert 0 < blank < invoices.count() / 4


def test_a_referral_chain_links_at_least_three_clients():
    seed(*SMALL)
    referrer = dict(Client.objects.values_list("pk", "referred_by_id"))
    acquired = dict(Client.objects.values_list("pk", "acquired_on"))

    def chain_length(pk):
        length = 1
        while referrer[pk] is not None:
            assert acquired[referrer[pk]] < acquired[pk]
            pk, length = referrer[pk], length + 1
        return length

    assert max(chain_length(pk) for pk in referrer) >= 3


def test_strategic_clients_say_why():
    seed(*SMALL)
    strategic = Client.objects.filter(is_strategic=True)

    assert strategic.count() >= 2
    assert all(client.strategic_reason.strip() for client in strategic)


def test_prospects_have_an_estimated_annual_margin_and_no_invoices():
    seed(*SMALL)
    prospects = Client.objects.filter(status=Client.Status.PROSPECT)

    assert prospects.count() >= 3
    assert all(prospect.estimated_annual_margin > 0 for prospect in prospects)
    assert not Invoice.objects.filter(client__in=prospects).exists()
    assert Interaction.objects.filter(client__in=prospects).exists()


def test_every_client_has_exactly_one_primary_contact():
    seed(*SMALL)
    primaries = defaultdict(int)
    for client_id in Contact.objects.filter(is_primary=True).values_list("client_id", flat=True):
        primaries[client_id] += 1

    assert set(primaries.values()) == {1}
    assert len(primaries) == Client.objects.count()


def test_demo_contacts_read_the_language_of_their_country():
    seed(*SMALL)
    by_domain = {".fr": {"fr"}, ".nl": {"nl"}, ".ro": {"ro"}, ".co.uk": {"en"}, ".be": {"nl", "fr"}}
    seen = defaultdict(set)
    for email, address, language in Contact.objects.values_list("email", "postal_address", "language"):
        domain = next(end for end in by_domain if email.endswith(end))
        assert language in by_domain[domain], email
        if domain == ".be":
            assert (language == "fr") == ("Bruxelles" in address), email
        seen[domain].add(language)
    assert set(seen) == set(by_domain)  # the small portfolio has contacts in every country
    assert not Contact.objects.filter(language="").exists()


def test_clients_are_shared_among_the_demo_and_extra_account_managers():
    seed(*SMALL)
    managers = set(Client.objects.values_list("account_manager__username", flat=True))

    assert {"alice", "bruno"} <= managers
    assert 4 <= len(managers) <= 5
    User = get_user_model()
    for user in User.objects.filter(username__in=managers - {"alice", "bruno"}):
        assert user.groups.filter(name=ACCOUNT_MANAGERS).exists()


def test_everyone_who_logs_interactions_has_an_hourly_cost_and_one_cost_changes():
    seed(*SMALL)
    start = timezone.localdate() - dt.timedelta(days=366)
    loggers = set(Interaction.objects.values_list("staff__username", flat=True))
    assert "fiona" in loggers
    assert Interaction.objects.filter(staff__username="fiona", kind=Interaction.Kind.SUPPORT).exists()

    for username in loggers:
        first = Interaction.objects.filter(staff__username=username).earliest("started_at").started_at
        assert StaffCost.objects.filter(
            user__username=username, effective_from__lte=timezone.localtime(first).date()
        ).exists()
    assert StaffCost.objects.filter(effective_from__gt=start).exists()


def test_overheads_are_set():
    seed(*SMALL)

    assert CostSettings.load().overheads_per_month > 0


def test_every_demo_account_manager_can_log_in_and_the_printout_says_where():
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    from clients.management.commands.demo_users import DEMO_PASSWORD

    # The log-in throttle (django-axes) needs the request a log-in comes with.
    login = RequestFactory().post("/accounts/login/")

    seed(*SMALL)
    User = get_user_model()
    kept = User.objects.get(username="claire")
    kept.set_password("changed-by-claire")
    kept.save()
    out = io.StringIO()
    call_command("demo_users", stdout=out)
    printed = out.getvalue()

    assert "http://127.0.0.1:8000/" in printed
    managers = set(Client.objects.values_list("account_manager__username", flat=True)) - {"claire"}
    for username in managers:
        assert re.search(rf"^  {username} .*{ACCOUNT_MANAGERS}$", printed, re.MULTILINE)
        assert authenticate(login, username=username, password=DEMO_PASSWORD) is not None
    assert authenticate(login, username="claire", password="changed-by-claire") is not None
    assert re.search(r"^  fiona .*Finance$", printed, re.MULTILINE)
    assert re.search(r"^  adam .*Admins$", printed, re.MULTILINE)
