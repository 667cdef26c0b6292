import datetime as dt

import pytest
from django.utils import timezone

from clients.models import Interaction
from tests.factories import ClientFactory, InteractionFactory


def _post(http, client, **overrides):
    data = {
        "client": getattr(client, "pk", client),
        "kind": "call",
        "date": timezone.localdate().isoformat(),
        "duration_minutes": 25,
        "note": "Quarterly review",
        **overrides,
    }
    return http.post("/interactions/new/", data)


def test_it_logs_an_interaction_for_today_by_default(as_manager, manager, own_client):
    response = _post(as_manager, own_client, next="/clients/")
    assert response.status_code == 302
    assert response.url == "/clients/"
    interaction = Interaction.objects.get()
    assert interaction.staff == manager
    assert interaction.client == own_client
    assert timezone.localtime(interaction.started_at).date() == timezone.localdate()
    assert interaction.duration_minutes == 25


def test_the_quick_log_form_is_on_every_page(as_manager, own_client):
    page = as_manager.get(f"/clients/{own_client.pk}/").content.decode()
    assert 'id="quick-log"' in page
    assert own_client.name in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"duration_minutes": -5}, "at least one minute"),
        ({"duration_minutes": 0}, "at least one minute"),
        ({"duration_minutes": "abc"}, "Enter a whole number"),
        ({"date": "2026-13-45"}, "Enter a valid date"),
        ({"kind": "dance"}, "Select a valid choice"),
    ],
)
def test_it_refuses_bad_input_and_changes_nothing(as_manager, own_client, overrides, message):
    response = _post(as_manager, own_client, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Interaction.objects.exists()


def test_it_refuses_a_date_in_the_future(as_manager, own_client):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = _post(as_manager, own_client, date=tomorrow.isoformat())
    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_it_refuses_logging_on_another_managers_client(as_manager, foreign_client):
    response = _post(as_manager, foreign_client)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Interaction.objects.exists()


def test_it_refuses_an_offsite_next_url(as_manager, own_client):
    response = _post(as_manager, own_client, next="https://evil.example.com/")
    assert response.status_code == 302
    assert response.url == "/interactions/"


def test_own_entries_of_this_month_can_be_edited_and_deleted(as_manager, manager, own_client):
    interaction = InteractionFactory(client=own_client, staff=manager, duration_minutes=10)
    response = as_manager.post(
        f"/interactions/{interaction.pk}/edit/",
        {
            "client": own_client.pk,
            "kind": "meeting",
            "date": timezone.localdate().isoformat(),
            "time": "10:30",
            "duration_minutes": 45,
            "note": "",
        },
    )
    assert response.status_code == 302
    interaction.refresh_from_db()
    assert (interaction.kind, interaction.duration_minutes) == ("meeting", 45)
    assert as_manager.post(f"/interactions/{interaction.pk}/delete/").status_code == 302
    assert not Interaction.objects.exists()


def test_last_months_entries_are_locked(as_manager, manager, own_client):
    first_of_month = timezone.localdate().replace(day=1)
    last_month = timezone.make_aware(dt.datetime.combine(first_of_month - dt.timedelta(days=3), dt.time(10)))
    interaction = InteractionFactory(client=own_client, staff=manager, started_at=last_month)
    assert as_manager.get(f"/interactions/{interaction.pk}/edit/").status_code == 403
    assert as_manager.post(f"/interactions/{interaction.pk}/delete/").status_code == 403
    assert Interaction.objects.filter(pk=interaction.pk).exists()
    listing = as_manager.get("/interactions/").content.decode()
    assert f"/interactions/{interaction.pk}/edit/" not in listing


def test_another_users_entries_are_not_editable(as_manager, own_client, other_manager, as_finance, finance):
    interaction = InteractionFactory(client=own_client, staff=finance)
    assert as_manager.get(f"/interactions/{interaction.pk}/edit/").status_code == 403
    foreign = InteractionFactory(client=ClientFactory(account_manager=other_manager), staff=other_manager)
    assert as_manager.get(f"/interactions/{foreign.pk}/edit/").status_code == 404


def test_my_interactions_lists_only_mine_with_a_fixed_number_of_queries(
    as_manager, manager, other_manager, own_client, django_assert_max_num_queries
):
    for minutes in (5, 10, 15):
        InteractionFactory(client=own_client, staff=manager, duration_minutes=minutes)
    InteractionFactory(client=own_client, staff=other_manager)
    # 15 with the session's save after every request (idle expiry: a savepoint, the update, its release).
    with django_assert_max_num_queries(15):
        page = as_manager.get("/interactions/").content.decode()
    assert page.count("/edit/") == 3
    InteractionFactory.create_batch(20, client=own_client, staff=manager)
    with django_assert_max_num_queries(15):
        as_manager.get("/interactions/")


def test_finance_logs_by_external_reference_without_a_list_of_every_client(as_finance, finance, own_client):
    page = as_finance.get(f"/clients/{own_client.pk}/").content.decode()
    assert f'value="{own_client.external_ref}"' in page  # the client of the page is filled in
    assert f'<option value="{own_client.pk}"' not in page
    response = _post(as_finance, own_client.external_ref.replace("C", "X"))
    assert response.status_code == 400
    assert "No client has this external reference" in response.content.decode()
    response = _post(as_finance, own_client.external_ref)
    assert response.status_code == 302
    assert Interaction.objects.get().staff == finance


def test_a_manager_with_many_clients_types_a_reference(as_manager, manager, own_client, settings):
    from clients.forms import InteractionForm

    InteractionForm.LIST_AT_MOST, saved = 1, InteractionForm.LIST_AT_MOST
    try:
        ClientFactory(account_manager=manager)
        page = as_manager.get("/interactions/").content.decode()
        assert f'<option value="{own_client.pk}"' not in page
        assert _post(as_manager, own_client.external_ref).status_code == 302
    finally:
        InteractionForm.LIST_AT_MOST = saved


def test_my_interactions_name_a_client_moved_to_another_manager_without_a_link(
    as_manager, manager, own_client, other_manager
):
    moved = ClientFactory(account_manager=manager, name="Moved Client")
    kept = InteractionFactory(client=own_client, staff=manager)
    gone = InteractionFactory(client=moved, staff=manager)
    moved.account_manager = other_manager
    moved.save()

    page = as_manager.get("/interactions/").content.decode()

    assert f'href="{own_client.get_absolute_url()}"' in page
    assert "Moved Client" in page
    assert f'href="{moved.get_absolute_url()}"' not in page
    assert f"/interactions/{kept.pk}/edit/" in page
    assert f"/interactions/{gone.pk}/edit/" not in page
    assert as_manager.get(moved.get_absolute_url()).status_code == 404


def test_the_quick_log_searches_clients_as_you_type_own_first(as_finance, finance, manager, other_manager):
    ClientFactory(name="Acme Foreign", external_ref="ACM-2", account_manager=other_manager)
    ClientFactory(name="Acme Own", external_ref="ACM-1", account_manager=finance)
    ClientFactory(name="Bolt Acme", external_ref="BLT-1", account_manager=manager)
    ClientFactory(name="Acme Gone", external_ref="ACM-9", status="former")
    ClientFactory(name="Zed", external_ref="ZED-ACM")

    results = as_finance.get("/clients/search/", {"q": "acme"}).json()["results"]

    assert [row["name"] for row in results] == ["Acme Own", "Acme Foreign", "Bolt Acme"]
    # Former clients where a form asks for them (an audit's costs).
    with_former = as_finance.get("/clients/search/", {"q": "acme", "former": "1"}).json()["results"]
    assert [row["name"] for row in with_former] == ["Acme Own", "Acme Foreign", "Acme Gone", "Bolt Acme"]
    by_reference = as_finance.get("/clients/search/", {"q": "acm-"}).json()["results"]
    assert {row["ref"] for row in by_reference} == {"ACM-1", "ACM-2"}
    assert as_finance.get("/clients/search/", {"q": "a"}).json()["results"] == []
    page = as_finance.get("/interactions/").content.decode()
    assert 'data-client-search="/clients/search/"' in page


def test_the_client_search_finds_only_a_managers_own_clients(as_manager, own_client, foreign_client):
    names = {row["name"] for row in as_manager.get("/clients/search/", {"q": "client"}).json()["results"]}
    assert names == {"Own Client"}


def test_the_client_search_runs_one_query_whatever_the_matches(as_finance, django_assert_num_queries):
    ClientFactory(name="One Acme")
    # The session, the user, two for the permissions, the search, and the session's save after every
    # request (idle expiry: a savepoint, the update, its release).
    with django_assert_num_queries(8):
        as_finance.get("/clients/search/", {"q": "acme"})
    ClientFactory.create_batch(30, name="Many Acme")
    with django_assert_num_queries(8):
        assert len(as_finance.get("/clients/search/", {"q": "acme"}).json()["results"]) == 12


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0026-05-01", "more than ten years back"),
        ("0001-01-01", "more than ten years back"),
        ("2016-11-17", "more than ten years back"),
        ("2026-11-19", "in the future"),
    ],
)
def test_it_refuses_a_date_in_the_future_or_more_than_ten_years_back(as_manager, own_client, day, message):
    response = _post(as_manager, own_client, date=day, time="00:00")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Interaction.objects.exists()


def test_ten_years_back_to_the_day_is_still_accepted(as_manager, own_client):
    response = _post(as_manager, own_client, date="2016-11-18")
    assert response.status_code == 302
    assert Interaction.objects.get().started_at.year == 2016
    page = as_manager.get("/interactions/").content.decode()
    assert 'min="2016-11-18"' in page and 'max="2026-11-18"' in page


def test_the_admin_refuses_an_interaction_more_than_ten_years_back(as_admin, own_client, manager):
    response = as_admin.post(
        "/admin/clients/interaction/add/",
        {
            "client": own_client.pk,
            "staff": manager.pk,
            "kind": "call",
            "started_at_0": "0026-05-01",
            "started_at_1": "09:00",
            "duration_minutes": 30,
            "note": "",
        },
    )
    assert response.status_code == 200
    assert "more than ten years back" in response.content.decode()
    assert not Interaction.objects.exists()


def test_a_second_interaction_at_the_same_moment_is_asked_for_its_own_time(as_manager, manager, own_client):
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert _post(as_manager, own_client, date=yesterday).status_code == 302  # no time: nine o'clock
    response = _post(as_manager, own_client, date=yesterday)
    assert response.status_code == 400
    page = response.content.decode()
    assert "You already logged an interaction with this client at 09:00 on 17 Nov 2026" in page
    assert "give this one its own time" in page and "already exists" not in page
    assert Interaction.objects.count() == 1
    assert _post(as_manager, own_client, date=yesterday, time="14:30").status_code == 302
    assert _post(as_manager, ClientFactory(account_manager=manager), date=yesterday).status_code == 302
