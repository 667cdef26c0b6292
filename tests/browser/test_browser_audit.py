"""In a real browser: a whole client audit on the demo portfolio, as finance, with an account
manager's comment on one of her flagged clients; a screenshot of every step."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from audits.models import Audit, AuditClient
from clients.management.commands.demo_users import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo():
    call_command("seed_demo", "--clients", "60", "--months", "18", stdout=None)
    users = get_user_model().objects
    return users.get(username="fiona"), users.get(username="alice")


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def test_a_whole_audit_on_the_demo_data(browser, page, log_in, live_server, demo, shot, confirms):
    fiona, alice = demo
    finance = log_in(fiona, password=DEMO_PASSWORD)

    finance.goto(f"{live_server.url}/audits/new/")
    shot("audit-start")
    finance.fill("#id_title", "Demo audit")
    click_and_wait(finance, finance.get_by_role("button", name="Start the audit"))
    expect(finance.get_by_text("Figures computed")).to_be_visible()
    audit = Audit.objects.get(title="Demo audit")
    base = f"{live_server.url}/audits/{audit.pk}"

    # Step 1: acknowledge every check that has affected rows.
    finance.goto(f"{base}/identify/")
    shot("audit-step-1")
    while finance.get_by_role("button", name="Acknowledge").count():
        form = finance.locator("form[action$='/checks/']").first
        form.locator("input[name=reason]").fill("Known: the demo ledger is incomplete on purpose.")
        click_and_wait(finance, form.get_by_role("button", name="Acknowledge"))
    click_and_wait(finance, finance.get_by_role("button", name="Go on to step 2"))
    expect(finance.get_by_role("heading", name="Step 2: calculate the costs")).to_be_visible()
    shot("audit-step-2")
    click_and_wait(finance, finance.get_by_role("button", name="Go on to step 3"))
    expect(finance.locator("svg").first).to_be_visible()
    shot("audit-step-3")
    click_and_wait(finance, finance.get_by_role("button", name="Go on to step 4"))

    # The account manager comments on a flag of one of her clients.
    mine = (
        AuditClient.objects.filter(audit=audit, is_flagged=True, client__account_manager=alice)
        .select_related("client")
        .first()
    )
    assert mine is not None
    manager = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB").new_page()
    manager.goto(f"{live_server.url}/accounts/login/")
    manager.fill("#id_username", "alice")
    manager.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(manager, manager.locator("button[type=submit]"))
    manager.goto(f"{base}/flags/")
    card = manager.locator(f"#client-{mine.client_id}")
    card.locator("textarea[name=text]").fill("They signed a larger contract last week.")
    click_and_wait(manager, card.get_by_role("button", name="Comment"))
    expect(manager.get_by_text("They signed a larger contract last week.")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    manager.screenshot(path=str(SCREENSHOTS / "audit-step-4-manager.png"), full_page=True)

    # Step 4: finance reviews every flag.
    finance.goto(f"{base}/flags/")
    expect(finance.get_by_text("They signed a larger contract last week.")).to_be_visible()
    shot("audit-step-4")
    while finance.get_by_role("button", name="Save the review").count():
        form = (
            finance.locator("form[action$='/review/']")
            .filter(has=finance.get_by_role("button", name="Save the review"))
            .first
        )
        form.locator("input[name=reason]").fill("Confirmed from the figures.")
        click_and_wait(finance, form.get_by_role("button", name="Save the review"))
    click_and_wait(finance, finance.get_by_role("button", name="Go on to step 5"))

    # Step 5 on a phone: every form fits the screen, nothing scrolls sideways.
    desk = finance.viewport_size
    finance.set_viewport_size({"width": 390, "height": 844})
    finance.goto(f"{base}/strategy/")
    assert (
        finance.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        == 0
    )
    finance.set_viewport_size(desk)

    # Step 5: a decision for each flagged client, the risks, then completion.
    kinds = ["transition", "reprice", "reduce", "keep"]
    n = 0
    while True:
        finance.goto(f"{base}/strategy/")
        pending = finance.locator("article.flag").filter(has_not=finance.locator(".badge.strategic"))
        if not pending.count():
            break
        form = pending.first.locator("form.decision-form")
        kind = kinds[n % len(kinds)]
        form.locator("select[name=kind]").select_option(kind)
        # Only the field the chosen kind takes shows.
        taken = {"transition": "months", "reprice": "uplift", "reduce": "hours_per_month"}.get(kind)
        for name in ("months", "uplift", "hours_per_month"):
            if name == taken:
                expect(form.locator(f"input[name={name}]")).to_be_visible()
            else:
                expect(form.locator(f"input[name={name}]")).to_be_hidden()
        form.locator("input[name=reason]").fill("Decided in the audit meeting.")
        if kind == "reduce" and not form.locator("input[name=hours_per_month]").input_value():
            form.locator("select[name=kind]").select_option("keep")
        if kind == "reprice" and not form.locator("input[name=uplift]").input_value():
            form.locator("select[name=kind]").select_option("keep")
        click_and_wait(finance, form.get_by_role("button", name="Save the decision"))
        n += 1
    while (
        finance.locator("form[action$='/risks/']")
        .filter(has=finance.get_by_role("button", name="Acknowledge"))
        .count()
    ):
        form = (
            finance.locator("form[action$='/risks/']")
            .filter(has=finance.get_by_role("button", name="Acknowledge"))
            .first
        )
        form.locator("input[name=note]").fill("Discussed with the partners.")
        click_and_wait(finance, form.get_by_role("button", name="Acknowledge"))
    shot("audit-step-5")
    click_and_wait(finance, finance.get_by_role("button", name="Complete and freeze"))
    expect(finance.get_by_text("figures frozen")).to_be_visible()
    assert confirms == [
        "Complete the audit now? Its figures and decisions are frozen; nobody can change it afterwards."
    ]
    shot("audit-completed")
    audit.refresh_from_db()
    assert audit.is_completed
