"""The transitions pages read a fixed number of queries, whatever the number of transitions."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import AlternativeProvider, Transition
from audits.transitions import services
from tests.conftest import morning_of
from tests.factories import ClientFactory, InvoiceFactory


@pytest.fixture(autouse=True)
def _default_letters(db):
    services.letter_templates_install_defaults()


def _transitions(count, finance):
    for _n in range(count):
        client = ClientFactory()
        InvoiceFactory(client=client, issued_on=dt.date(2026, 11, 2))
        transition = services.transition_create(
            client=client, user=finance, reason="x", end_date=dt.date(2027, 6, 30)
        )
        services.letter_draft(transition=transition, kind="announcement", user=finance)


def _queries(http, url):
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/transitions/", "/transitions/cash-flow/", "/dashboard/"])
def test_list_pages_do_not_query_per_transition(as_finance, finance, url):
    _transitions(2, finance)
    few = _queries(as_finance, url)
    _transitions(6, finance)
    assert _queries(as_finance, url) == few


def test_the_transition_page_does_not_query_per_month_or_letter(as_finance, finance):
    client = ClientFactory()
    short = services.transition_create(client=client, user=finance, reason="x", end_date=dt.date(2027, 1, 31))
    other = ClientFactory()
    long = services.transition_create(client=other, user=finance, reason="x", end_date=dt.date(2029, 12, 31))
    provider = AlternativeProvider.objects.create(name="Nordic Books")
    for transition in (short, long):  # the alternatives letter lists them
        transition.providers.add(provider)
    for kind in ("announcement", "alternatives"):
        services.letter_draft(transition=long, kind=kind, user=finance)
    assert _queries(as_finance, f"/transitions/{short.pk}/") == _queries(
        as_finance, f"/transitions/{long.pk}/"
    )


def test_the_cash_flow_page_marks_the_month_in_progress(as_finance, finance, clock):
    client = ClientFactory()
    InvoiceFactory(client=client, issued_on=dt.date(2026, 10, 5))
    transition = services.transition_create(
        client=client, user=finance, reason="x", end_date=dt.date(2027, 3, 31)
    )
    InvoiceFactory(client=client, issued_on=dt.date(2026, 11, 4))
    page = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    assert 'muted in-progress">in progress<' in page and "no month of the phase-out is complete yet" in page
    clock.move_to(morning_of(dt.date(2026, 12, 2)))
    as_finance.force_login(finance)  # two weeks idle: the session has expired
    page = as_finance.get("/transitions/cash-flow/").content.decode()
    assert "to the end of Nov 2026" in page and page.count('muted in-progress">in progress<') == 2


def test_a_website_is_typed_as_people_type_it(as_admin):
    """A text box the browser does not refuse for a missing scheme; https:// is added on save."""
    page = as_admin.get("/providers/new/").content.decode()
    assert 'type="url"' not in page and 'inputmode="url"' in page
    response = as_admin.post(
        "/providers/new/",
        {"name": "Dupont", "services": "Bookkeeping", "website": "dupont.example", "active": "on"},
    )
    assert response.status_code == 302
    assert AlternativeProvider.objects.get(name="Dupont").website == "https://dupont.example"
    refused = as_admin.post(
        "/providers/new/", {"name": "Bad", "services": "x", "website": "not a site", "active": "on"}
    )
    assert refused.status_code in (200, 400) and not AlternativeProvider.objects.filter(name="Bad").exists()


def test_an_unknown_alternative_is_refused_in_words_and_nothing_is_saved(as_finance, finance):
    _transitions(1, finance)
    transition = Transition.objects.get()
    kept = AlternativeProvider.objects.create(name="Kept", services="x", active=True)
    transition.providers.add(kept)
    response = as_finance.post(f"/transitions/{transition.pk}/alternatives/", {"providers": ["999999"]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved:" in body and "Select a valid choice." in body
    assert list(transition.providers.all()) == [kept]


def test_the_cash_flow_chart_is_drawn_once_for_the_same_figures(as_finance, finance, monkeypatch):
    from django.core.cache import cache

    from audits.reports import charts

    cache.clear()
    client = ClientFactory()
    InvoiceFactory(client=client, issued_on=dt.date(2026, 11, 2))
    transition = services.transition_create(
        client=client, user=finance, reason="x", end_date=dt.date(2027, 6, 30)
    )
    drawn = []
    original = charts.trend
    monkeypatch.setattr(charts, "trend", lambda **kw: drawn.append(kw["narrow"]) or original(**kw))
    first = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    second = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    assert drawn == [False, True]  # wide and narrow, once
    assert (
        first.count('<div class="chart-narrow"><svg') == second.count('<div class="chart-narrow"><svg') == 1
    )
    cache.clear()
