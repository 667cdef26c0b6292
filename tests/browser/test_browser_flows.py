"""What a person does, in a real browser: log in, find a client, log an interaction."""

import pytest
from playwright.sync_api import expect

from clients.models import Interaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_logs_an_interaction_from_a_client_page(log_in, live_server, manager, own_client, shot):
    page = log_in(manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    expect(page.get_by_role("heading", name="My clients")).to_be_visible()
    page.get_by_role("link", name="Own Client").click()
    expect(page.get_by_role("heading", name="Own Client")).to_be_visible()
    page.get_by_role("button", name="Log an interaction with this client").click()
    dialog = page.locator("dialog#quick-log")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Kind").select_option("support")
    dialog.get_by_label("Duration (minutes)").fill("45")
    dialog.get_by_label("Note").fill("Printer set-up, again")
    shot("manager-quick-log")
    dialog.get_by_role("button", name="Log it").click()
    expect(page.get_by_role("status")).to_contain_text("Own Client: logged 45 min support.")
    interaction = Interaction.objects.get()
    assert (interaction.client, interaction.duration_minutes, interaction.kind) == (own_client, 45, "support")
    expect(page.get_by_role("heading", name="Own Client")).to_be_visible()


@pytest.mark.parametrize("who", ["manager", "finance", "admin_user"])
def test_each_role_logs_in_and_sees_its_navigation(request, log_in, who, shot):
    user = request.getfixturevalue(who)
    page = log_in(user)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="Clients")).to_be_visible()
    nav.get_by_text("More").click()
    if who == "manager":
        expect(nav.get_by_role("link", name="Admin")).to_have_count(0)
        expect(nav.get_by_role("link", name="Imports")).to_have_count(0)
    else:
        expect(nav.get_by_role("link", name="Admin")).to_be_visible()
        expect(nav.get_by_role("link", name="Imports")).to_be_visible()
    shot(f"home-{who}")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_finance_finds_a_client_by_typing_part_of_its_name(log_in, live_server, finance, own_client, shot):
    page = log_in(finance)
    page.get_by_role("button", name="+ Log interaction").first.click()
    dialog = page.locator("dialog#quick-log")
    client_field = dialog.get_by_label("Client")
    client_field.press_sequentially("own cli")
    option = dialog.locator(f'datalist option[value="{own_client.external_ref}"]')
    expect(option).to_have_count(1)
    assert "Own Client" in option.get_attribute("label")
    shot("finance-quick-log-search")
    client_field.fill(own_client.external_ref)
    dialog.get_by_label("Duration (minutes)").fill("15")
    dialog.get_by_role("button", name="Log it").click()
    expect(page.get_by_role("status")).to_contain_text("logged 15 min")
    assert Interaction.objects.get().client == own_client
