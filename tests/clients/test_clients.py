from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from clients.models import Client, Contact
from tests.factories import ClientFactory, ContactFactory, InvoiceFactory, PaymentFactory


def test_money_follows_the_users_locale():
    template = Template("{% load money %}{{ value|money }}|{{ share|percent }}")
    context = Context({"value": Decimal("1234.56"), "share": Decimal("0.8")})
    with translation.override("fr"):
        assert template.render(context) == "1\u00a0234,56\u00a0EUR|80,0\u00a0%"
    with translation.override("en"):
        assert template.render(context) == "1,234.56\u00a0EUR|80.0\u00a0%"


def test_finance_creates_a_client(as_finance, manager):
    response = as_finance.post(
        "/clients/new/",
        {
            "name": "Brouwerij De Gouden Leeuw",
            "external_ref": "BGL-01",
            "status": "active",
            "account_manager": manager.pk,
            "acquisition_cost": "1500.00",
        },
    )
    assert response.status_code == 302
    client = Client.objects.get(external_ref="BGL-01")
    assert client.account_manager == manager
    assert client.acquisition_cost == Decimal("1500.00")


def test_a_blank_acquisition_cost_is_unknown_and_a_zero_is_free(as_finance, as_admin):
    for ref, cost in (("BLANK", ""), ("FREE", "0")):
        response = as_finance.post(
            "/clients/new/", {"name": ref, "external_ref": ref, "status": "active", "acquisition_cost": cost}
        )
        assert response.status_code == 302
    assert Client.objects.get(external_ref="BLANK").acquisition_cost is None
    assert Client.objects.get(external_ref="FREE").acquisition_cost == Decimal("0.00")
    page = as_finance.get(Client.objects.get(external_ref="BLANK").get_absolute_url()).content.decode()
    assert "<dt>Acquisition cost</dt><dd>unknown</dd>" in page
    page = as_finance.get(Client.objects.get(external_ref="FREE").get_absolute_url()).content.decode()
    assert "<dt>Acquisition cost</dt><dd>0.00\xa0EUR</dd>" in page
    # The admin's form gives the same: blank is unknown.
    response = as_admin.post(
        "/admin/clients/client/add/",
        {
            "name": "Admin",
            "external_ref": "ADMIN",
            "status": "active",
            "acquisition_cost": "",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Client.objects.get(external_ref="ADMIN").acquisition_cost is None


def test_a_strategic_client_needs_a_reason(as_finance):
    response = as_finance.post(
        "/clients/new/",
        {
            "name": "X",
            "external_ref": "X1",
            "status": "active",
            "acquisition_cost": "0",
            "is_strategic": "on",
        },
    )
    assert response.status_code == 200
    assert "Say why this client is strategic" in response.content.decode()
    assert not Client.objects.exists()


def test_a_manager_edits_their_client_but_cannot_hand_it_over(as_manager, own_client, other_manager):
    response = as_manager.post(
        f"/clients/{own_client.pk}/edit/",
        {
            "name": "Renamed",
            "status": "active",
            "segment": "Retail",
            "account_manager": other_manager.pk,
            "external_ref": "HACKED",
            "acquisition_cost": "99999",
        },
    )
    assert response.status_code == 302
    own_client.refresh_from_db()
    assert own_client.name == "Renamed"
    assert own_client.account_manager.username == "manager"
    assert own_client.external_ref != "HACKED"
    assert own_client.acquisition_cost is None  # still unknown


def test_the_client_page_shows_invoices_and_payments_in_fixed_queries(
    as_finance, own_client, django_assert_max_num_queries
):
    invoice = InvoiceFactory(client=own_client, amount=Decimal("1500.00"))
    PaymentFactory(invoice=invoice, amount=Decimal("500.00"))
    with django_assert_max_num_queries(20) as first:
        page = as_finance.get(f"/clients/{own_client.pk}/").content.decode()
    assert invoice.number in page and "1,500.00" in page and "500.00" in page
    for _ in range(10):
        PaymentFactory(invoice=InvoiceFactory(client=own_client))
    with django_assert_max_num_queries(len(first.captured_queries)):
        as_finance.get(f"/clients/{own_client.pk}/")


def test_the_client_page_shows_each_contacts_language(as_finance, own_client):
    ContactFactory(client=own_client, name="Ana Pop", is_primary=True, language="ro")
    ContactFactory(client=own_client, name="Bob Brown", language="")
    page = as_finance.get(f"/clients/{own_client.pk}/").content.decode()
    assert '<span title="Language of the letters">Romanian</span>' in page
    assert "the firm's default language (English)" in page


def test_the_admin_edits_a_contacts_language(as_admin, own_client):
    contact = ContactFactory(client=own_client, name="Ana Pop", email="ana@client.example")
    url = f"/admin/clients/contact/{contact.pk}/change/"
    assert 'name="language"' in as_admin.get(url).content.decode()
    response = as_admin.post(
        url, {"client": own_client.pk, "name": "Ana Pop", "email": "ana@client.example", "language": "nl"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Contact.objects.get().language == "nl"
    page = as_admin.get(f"/admin/clients/client/{own_client.pk}/change/").content.decode()
    assert 'name="contacts-0-language"' in page


def test_the_client_list_filters_and_exports_safely(as_finance, manager):
    ClientFactory(name="=HYPERLINK(1)", account_manager=manager, segment="Retail")
    ClientFactory(name="Plain SRL", account_manager=manager, segment="Industry")
    page = as_finance.get("/clients/?segment=retail").content.decode()
    assert "=HYPERLINK(1)</a>" in page and "Plain SRL</a>" not in page
    export = as_finance.get("/clients/?segment=retail&_export=csv").content.decode()
    assert "'=HYPERLINK(1)" in export
    assert "Plain SRL" not in export


def test_no_choice_list_or_page_names_another_managers_client(
    as_manager, as_finance, own_client, foreign_client
):
    import datetime as dt

    from audits.profitability import runs

    own_client.referred_by = foreign_client
    own_client.save()
    referred = ClientFactory(account_manager=foreign_client.account_manager, name="Referred Elsewhere")
    referred.referred_by = own_client
    referred.save()
    runs.profitability_recompute(as_of=dt.date(2025, 12, 31))

    for url in (
        f"/clients/{own_client.pk}/edit/",
        f"/clients/{own_client.pk}/",
        f"/clients/{own_client.pk}/profitability/",
    ):
        page = as_manager.get(url).content.decode()
        assert "Foreign Client" not in page, url
        assert "Referred Elsewhere" not in page, url
        assert foreign_client.external_ref not in page, url
    assert (
        "A client of another account manager" in as_manager.get(f"/clients/{own_client.pk}/").content.decode()
    )
    # Saving the form keeps the referrer the manager cannot see.
    response = as_manager.post(
        f"/clients/{own_client.pk}/edit/", {"name": "Own Client renamed", "status": "active", "segment": ""}
    )
    assert response.status_code == 302
    own_client.refresh_from_db()
    assert (own_client.name, own_client.referred_by) == ("Own Client renamed", foreign_client)
    # Finance sees and may choose every client.
    page = as_finance.get(f"/clients/{own_client.pk}/edit/").content.decode()
    assert "Foreign Client" in page


def test_a_transition_alone_moves_a_client_to_and_from_transitioning(as_finance, finance, own_client):
    """The client form (and a file) may not give a client the status its transition gives it, nor
    take it away: "transitioning" while, and only while, a transition is open."""
    import datetime as dt

    from audits.transitions.services import transition_create

    form = {"name": own_client.name, "external_ref": own_client.external_ref, "segment": ""}
    response = as_finance.post(f"/clients/{own_client.pk}/edit/", {**form, "status": "transitioning"})
    assert response.status_code == 200
    assert "A client becomes “transitioning” when a transition is planned for it" in response.content.decode()
    transition_create(client=own_client, user=finance, reason="Loss maker", end_date=dt.date(2027, 6, 30))
    response = as_finance.post(f"/clients/{own_client.pk}/edit/", {**form, "status": "former"})
    assert "its status follows its transition" in response.content.decode()
    own_client.refresh_from_db()
    assert own_client.status == Client.Status.TRANSITIONING
    renamed = as_finance.post(
        f"/clients/{own_client.pk}/edit/", {**form, "name": "Renamed", "status": "transitioning"}
    )
    assert renamed.status_code == 302
