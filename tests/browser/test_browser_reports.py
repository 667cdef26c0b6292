"""In a real browser: the dashboard, the ranking's filters and sorting, a client's P&L, and the cost
to serve moving after an interaction is logged and the figures are recomputed."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits.profitability import runs
from clients.models import StaffCost
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portfolio(manager, other_manager, finance):
    today = timezone.localdate()
    for user in (manager, other_manager, finance):
        StaffCost.objects.create(user=user, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    clients = []
    for n, (owner, amount) in enumerate(
        [(manager, "9000"), (manager, "800"), (other_manager, "4000"), (other_manager, "2500")]
    ):
        client = ClientFactory(name=f"Firm {n} {owner.username}", account_manager=owner)
        InvoiceFactory(
            client=client,
            issued_on=today - dt.timedelta(days=60),
            due_on=today - dt.timedelta(days=30),
            amount=D(amount),
        )
        clients.append(client)
    InteractionFactory(
        client=clients[1],
        staff=manager,
        started_at=timezone.now() - dt.timedelta(days=20),
        duration_minutes=900,
    )
    runs.profitability_recompute()
    return clients


@pytest.mark.parametrize("who", ["manager", "finance", "admin_user"])
def test_each_role_opens_the_dashboard(request, log_in, live_server, portfolio, who, shot):
    page = log_in(request.getfixturevalue(who))
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator(".kpi").first).to_be_visible()
    expect(page.get_by_text("What the loss makers cost")).to_be_visible()
    if who == "manager":
        expect(page.get_by_role("heading", name="My clients at a glance")).to_be_visible()
    else:
        expect(page.get_by_role("heading", name="Portfolio at a glance")).to_be_visible()
    shot(f"dashboard-{who}")


def test_filter_sort_open_log_and_recompute(log_in, live_server, finance, portfolio, shot):
    page = log_in(finance)
    page.goto(f"{live_server.url}/ranking/")
    rows = page.locator("table.ranking tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_label("Flag").select_option("unprofitable")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Firm 1 manager")
    page.get_by_role("link", name="Clear").click()
    page.locator("table.ranking thead").get_by_role("link", name="R", exact=True).click()
    expect(rows.first).to_contain_text("Firm 1 manager")  # lowest revenue first
    shot("ranking-sorted")
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Firm 1 manager")).to_be_visible()
    cost_to_serve = page.locator("tr", has_text="Cost to serve").locator("td")
    expect(cost_to_serve).to_have_text("900.00")  # 15 h at 60
    page.get_by_role("button", name="Log an interaction with this client").click()
    dialog = page.locator("dialog#quick-log")
    dialog.get_by_label("Kind").select_option("support")
    dialog.get_by_label("Duration (minutes)").fill("120")
    dialog.get_by_role("button", name="Log it").click()
    expect(page.get_by_role("status")).to_contain_text("logged 120 min support")
    page.get_by_role("button", name="Recompute now").first.click()
    page.goto(f"{live_server.url}/clients/{portfolio[1].pk}/profitability/")
    expect(cost_to_serve).to_have_text("1,020.00")  # 17 h at 60
    shot("client-after-recompute")


def test_a_clients_pages_fit_a_phone_in_every_language(log_in, live_server, finance, portfolio):
    """At 390 px nothing scrolls sideways: the tabs wrap, the P&L's labels wrap, a chart and the
    table of letters scroll in their card."""
    from audits.models import Letter
    from audits.transitions.services import transition_create

    page = log_in(finance)
    page.set_viewport_size({"width": 390, "height": 844})
    client = portfolio[1]
    transition = transition_create(
        client=client, user=finance, reason="Costs more than it brings", end_date=dt.date(2027, 6, 30)
    )
    Letter.objects.create(
        transition=transition,
        kind="announcement",
        language="fr",
        subject="Un changement dans notre façon de travailler ensemble",
        body="…",
        state=Letter.State.SENT,
        channel=Letter.Channel.EMAIL,
        recipient="responsable.comptabilite@client-au-nom-long.example",
        sent_at=timezone.now(),
    )
    for language in ("en", "fr", "nl", "ro"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for path in (
            f"/clients/{client.pk}/transitions/",
            f"/clients/{client.pk}/",
            f"/clients/{client.pk}/profitability/",
        ):
            page.goto(f"{live_server.url}{path}")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow == 0, (language, path, overflow)
        table = page.locator(".pnl table").first.bounding_box()
        assert table["x"] + table["width"] <= 390, language
