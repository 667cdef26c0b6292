"""A transition from planned to completed in a real browser, with its three letters: the e-mails
captured by Django's test backend, the PDFs turned into PNG pages to look at."""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from audits.models import AlternativeProvider, Letter, Transition
from audits.transitions.services import letter_templates_install_defaults
from clients.models import Client
from tests.browser.conftest import SCREENSHOTS
from tests.factories import ContactFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(own_client):
    letter_templates_install_defaults()  # a transactional test starts from a flushed database
    ContactFactory(client=own_client, name="Ana Pop", email="ana@client.example", is_primary=True)
    for month in range(1, 11):
        InvoiceFactory(client=own_client, issued_on=dt.date(2026, month, 15), amount=Decimal("1200"))
    AlternativeProvider.objects.create(
        name="Nordic Books", services="Bookkeeping for small firms", website="https://nordic.example"
    )
    return own_client


def _pdf_pages(page, url, name):
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.pdf"
    path.write_bytes(response.body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(SCREENSHOTS / name)], check=True)
    return path


def test_finance_takes_a_transition_from_planned_to_completed_with_its_letters(
    log_in, live_server, finance, setup, shot, confirms
):
    page = log_in(finance)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("More").click()
    nav.get_by_role("link", name="Transitions").click()
    page.get_by_role("link", name="New transition").click()
    page.locator("#id_client").fill(setup.external_ref)
    page.get_by_label("Reason").fill("Unprofitable for two years despite a price rise")
    page.get_by_label("End date").fill("2027-03-31")
    shot("transition-new")
    page.get_by_role("button", name="Plan the transition").click()
    expect(page.get_by_role("heading", name="Transition of Own Client")).to_be_visible()
    transition = Transition.objects.get()
    assert transition.monthly_baseline == Decimal("1000.00")
    shot("transition-planned")
    page.get_by_role("link", name="Edit the schedule").click()
    page.get_by_label("Dec 2026").fill("900.00")
    shot("transition-schedule")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.get_by_role("status").first).to_contain_text("Phase-out schedule saved")
    assert transition.months.get(month=dt.date(2026, 12, 1)).expected_revenue == Decimal("900.00")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Transitions: cash-flow watch")).to_be_visible()
    shot("dashboard-transitions-watch")
    page.goto(f"{live_server.url}/transitions/{transition.pk}/")

    page.get_by_role("link", name="Choose alternatives").click()
    page.get_by_label("Nordic Books").check()
    page.get_by_role("button", name="Save").click()

    for kind, stage, title in [
        ("announcement", "announced", "Announcement"),
        ("alternatives", "alternatives_offered", "Alternatives"),
        ("thank_you", "completed", "Final thank-you"),
    ]:
        page.locator("#id_stage").select_option(stage)
        page.get_by_role("button", name="Move").click()
        expect(page.get_by_role("status").first).to_contain_text("The transition is now")
        page.locator(f"form[action$='/letters/{kind}/'] button").click()
        expect(page.get_by_role("heading", name=f"{title}: Own Client")).to_be_visible()
        shot(f"letter-{kind}-draft")
        page.get_by_role("button", name="Send by e-mail").click()
        expect(page.get_by_role("status").first).to_contain_text("Letter sent to ana@client.example")
        shot(f"letter-{kind}-sent")
        letter = Letter.objects.get(kind=kind)
        _pdf_pages(page, f"{live_server.url}/letters/{letter.pk}/pdf/", f"letter-{kind}")
        page.get_by_role("link", name="Back to the transition").click()

    assert len(mail.outbox) == 3
    # Each letter and the completion were confirmed first; moving to the other stages asks nothing.
    assert confirms == [
        "Send this letter to ana@client.example now? A letter is sent once; it cannot be changed afterwards.",
        "Send this letter to ana@client.example now? A letter is sent once; it cannot be changed afterwards.",
        "Complete the transition now? The client becomes a former client; a completed transition cannot be moved again.",
        "Send this letter to ana@client.example now? A letter is sent once; it cannot be changed afterwards.",
    ]
    assert {m.to[0] for m in mail.outbox} == {"ana@client.example"}
    assert "Nordic Books" in mail.outbox[1].body
    assert all(m.attachments[0][1][:5] == b"%PDF-" for m in mail.outbox)
    transition.refresh_from_db()
    setup.refresh_from_db()
    assert transition.stage == Transition.Stage.COMPLETED and setup.status == Client.Status.FORMER
    expect(page.locator(".stage-track li.current")).to_contain_text("Completed")
    shot("transition-completed")
    page.goto(f"{live_server.url}/transitions/cash-flow/?all=1")
    shot("transitions-cashflow")
    page.goto(f"{live_server.url}/clients/{setup.pk}/transitions/")
    expect(page.get_by_role("cell", name="Sent").first).to_be_visible()
    shot("client-transitions")
    page.goto(f"{live_server.url}/transitions/")
    shot("transitions-list")


def test_an_admin_edits_a_template_beside_its_placeholders_and_previews_it(
    log_in, live_server, admin_user, setup, shot
):
    page = log_in(admin_user)
    page.goto(f"{live_server.url}/letters/templates/")
    shot("letter-templates")
    page.get_by_role("row", name="Alternatives").get_by_role("link", name="Edit").first.click()
    body = page.get_by_label("Body (Markdown)")
    body.fill(body.input_value() + "\n\n{client.__class__}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("is not a placeholder letters know")
    shot("letter-template-refused")
    body.fill("{contact_salutation}\n\nWe end on **{end_date}**.\n\n{alternatives}")
    page.get_by_label("Preview for the client with reference").fill(setup.external_ref)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview for Own Client")).to_be_visible()
    expect(page.locator(".letter-sheet li")).to_contain_text("Nordic Books")
    shot("letter-template-preview")
    page.goto(f"{live_server.url}/providers/")
    shot("providers")
    page.get_by_role("link", name="New provider").click()
    page.get_by_label("Name").fill("Second Firm")
    page.get_by_label("Services").fill("Payroll")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Second Firm")).to_be_visible()
    page.goto(f"{live_server.url}/letters/letterhead/")
    page.get_by_label("Company name").fill("Acme Advisers")
    page.get_by_label("Address").fill("1 Main Street\n1000 Brussels")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Letterhead saved")
    shot("letterhead")


def test_a_letter_declined_at_the_question_is_not_sent_and_can_be_sent_after(
    page, log_in, live_server, finance, setup, confirms
):
    from audits.transitions import services

    transition = services.transition_create(
        client=setup, user=finance, reason="Loss maker", end_date=dt.date(2027, 3, 31)
    )
    letter = services.letter_draft(transition=transition, kind="announcement", user=finance)
    log_in(finance)
    confirms.declined = 1
    page.goto(f"{live_server.url}/letters/{letter.pk}/")
    page.get_by_role("button", name="Send by e-mail").click()
    page.wait_for_timeout(300)
    letter.refresh_from_db()
    assert letter.state == Letter.State.DRAFT and len(mail.outbox) == 0
    page.get_by_role("button", name="Send by e-mail").click()  # the button is still usable
    expect(page.get_by_role("status").first).to_contain_text("Letter sent to ana@client.example")
    letter.refresh_from_db()
    assert letter.state == Letter.State.SENT and len(mail.outbox) == 1
    assert len(confirms) == 2
