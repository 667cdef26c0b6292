"""The language a user picks is kept with their account: it follows them to another browser."""

import pytest
from django.conf import settings
from django.test import Client as Browser

from clients.models import Preference

pytestmark = pytest.mark.django_db
COOKIE = settings.LANGUAGE_COOKIE_NAME


def _log_in(user) -> tuple[Browser, object]:
    browser = Browser()
    response = browser.post("/accounts/login/", {"username": user.username, "password": "pw-test-123"})
    assert response.status_code == 302
    return browser, response


def test_a_language_picked_opens_the_app_in_it_from_another_browser(finance):
    browser, response = _log_in(finance)
    assert COOKIE not in response.cookies  # nothing picked yet: the browser's language
    browser.post("/i18n/setlang/", {"language": "fr", "next": "/dashboard/"})
    assert Preference.objects.get(user=finance).language == "fr"
    elsewhere, response = _log_in(finance)
    assert response.cookies[COOKIE].value == "fr"
    assert '<html lang="fr">' in elsewhere.get("/dashboard/").content.decode()


def test_a_language_the_app_does_not_have_is_not_kept(finance):
    browser, _response = _log_in(finance)
    browser.post("/i18n/setlang/", {"language": "xx", "next": "/dashboard/"})
    assert not Preference.objects.filter(user=finance).exists()


def test_a_visitor_who_is_not_logged_in_picks_a_language_for_the_browser_only(finance):
    response = Browser().post("/i18n/setlang/", {"language": "nl", "next": "/accounts/login/"})
    assert response.cookies[COOKIE].value == "nl"
    assert not Preference.objects.exists()


def test_djangos_own_sentences_read_in_the_projects_romanian(finance):
    """Django's Romanian writes the old cedilla letters (ş, ţ); the project's catalogs mend them."""
    browser = Browser()
    browser.cookies[COOKIE] = "ro"
    body = browser.post(
        "/accounts/login/", {"username": finance.username, "password": "wrong"}
    ).content.decode()
    assert "Rețineți" in body and "ţ" not in body and "ş" not in body
    browser.force_login(finance)
    body = browser.get(
        "/profitability/seed-calculator/", {"effort": "1", "annual_income": "0"}
    ).content.decode()
    assert "Asigurați-vă că această valoare este mai mare sau egală cu 0,01." in body
