"""In a real browser under the Content-Security-Policy: nothing refused, the scripts still work."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audits.profitability import runs
from tests.factories import ClientFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def figures(manager):
    today = timezone.localdate()
    client = ClientFactory(name="Charted Firm", account_manager=manager)
    for months in (1, 2, 3):
        InvoiceFactory(
            client=client,
            issued_on=today - dt.timedelta(days=30 * months),
            due_on=today - dt.timedelta(days=30 * months - 20),
            amount=D("1200"),
        )
    runs.profitability_recompute()
    return client


def test_no_page_breaks_the_policy_and_the_scripts_still_run(log_in, live_server, finance, figures, shot):
    page = log_in(finance)
    refused = []
    page.on("console", lambda message: refused.append((page.url, message.text)))
    for url in (
        "/dashboard/",
        "/ranking/",
        f"/clients/{figures.pk}/profitability/",
        f"/clients/{figures.pk}/",
        "/payments/",
        "/prospects/",
        "/interactions/",
        "/imports/",
        "/profitability/recompute/",
        "/settings/costs/",
    ):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
    shot("csp-client-profit")
    assert not [entry for entry in refused if "Content Security Policy" in entry[1]], refused

    page.goto(f"{live_server.url}/ranking/")
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("l")
    expect(page.locator("dialog#quick-log")).to_be_visible()
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.get_by_label("Language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_five_wrong_passwords_in_the_form_show_the_lock_out_page(page, live_server, manager, shot):
    for _attempt in range(5):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", manager.username)
        page.fill("#id_password", "not-the-password")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Log-in paused")).to_be_visible()
    shot("lock-out")
