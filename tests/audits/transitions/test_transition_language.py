"""The letters' language: the language of the client's contact they are addressed to, else the firm's
default; finance may choose another when planning the transition."""

import datetime as dt

import pytest
from django.test import override_settings

from audits.models import Transition
from audits.transitions import selectors, services
from tests.factories import ClientFactory, ContactFactory

END = dt.date(2027, 3, 31)


@pytest.fixture(autouse=True)
def _default_letters(db):
    services.letter_templates_install_defaults()


def _create(client, user, **kwargs):
    return services.transition_create(client=client, user=user, reason="Loss maker", end_date=END, **kwargs)


def test_the_letters_default_to_the_primary_contacts_language(own_client, finance):
    ContactFactory(client=own_client, name="Aaron Adams", language="fr")  # first by name, not primary
    ContactFactory(client=own_client, name="Ana Pop", is_primary=True, language="ro")
    transition = _create(own_client, finance)
    assert transition.language == "ro"
    letter = services.letter_draft(transition=transition, kind="announcement", user=finance)
    assert letter.language == "ro"
    assert letter.subject == "O schimbare în colaborarea noastră"  # the Romanian template


@pytest.mark.parametrize(
    "language, written",
    [("en", "31 March 2027"), ("fr", "31 mars 2027"), ("nl", "31 maart 2027"), ("ro", "31 martie 2027")],
)
def test_a_letter_writes_its_dates_as_its_language_does(language, written):
    """The month in full and, but in English, in lower case (Django's Romanian names have a capital)."""
    assert selectors.letter_date(dt.date(2027, 3, 31), language) == written


def test_without_a_primary_contact_the_letters_follow_the_contact_they_are_addressed_to(own_client, finance):
    ContactFactory(client=own_client, name="Pieter Peeters", language="nl")
    assert selectors.primary_contact(own_client).name == "Pieter Peeters"
    assert _create(own_client, finance).language == "nl"


@override_settings(LANGUAGE_CODE="fr")
def test_a_contact_without_a_language_and_a_client_without_contacts_get_the_firms_default(finance):
    with_contact = ClientFactory()
    ContactFactory(client=with_contact, is_primary=True, language="")
    assert _create(with_contact, finance).language == "fr"
    assert _create(ClientFactory(), finance).language == "fr"


def test_a_language_given_wins_over_the_contacts(own_client, finance):
    ContactFactory(client=own_client, is_primary=True, language="ro")
    transition = _create(own_client, finance, language="nl")
    assert transition.language == "nl"
    assert services.letter_draft(transition=transition, kind="announcement", user=finance).language == "nl"


def test_the_form_is_prefilled_with_the_contacts_language_and_finance_may_change_it(as_finance, own_client):
    ContactFactory(client=own_client, is_primary=True, language="nl")
    page = as_finance.get(f"/transitions/new/?client={own_client.pk}").content.decode()
    assert '<option value="nl" selected>' in page
    blank = as_finance.get("/transitions/new/").content.decode()
    assert '<option value="" selected>The contact&#x27;s language</option>' in blank

    data = {"client": own_client.external_ref, "reason": "Too costly", "end_date": "2027-06-30"}
    assert as_finance.post("/transitions/new/", {**data, "language": ""}).status_code == 302
    assert Transition.objects.get().language == "nl"
    Transition.objects.all().delete()
    assert as_finance.post("/transitions/new/", {**data, "language": "fr"}).status_code == 302
    assert Transition.objects.get().language == "fr"


def test_the_transition_page_names_the_addressee_and_the_language(as_finance, own_client, finance):
    ContactFactory(
        client=own_client, name="Ana Pop", email="ana@client.example", is_primary=True, language="ro"
    )
    transition = _create(own_client, finance, language="fr")
    page = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    assert "Ana Pop &lt;ana@client.example&gt; · primary contact" in page
    assert '<dt>Letters in</dt><dd>French <span class="muted">(the contact\'s language is Romanian)' in page
    transition.language = "ro"
    transition.save(update_fields=["language"])
    page = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    assert "<dt>Letters in</dt><dd>Romanian</dd>" in page


def test_the_transition_page_says_when_there_is_no_contact(as_finance, own_client, finance):
    transition = _create(own_client, finance)
    assert "No contact yet" in as_finance.get(f"/transitions/{transition.pk}/").content.decode()
