"""Input no page expects (a date of the year 1, a page size of minus two, a number the arithmetic
cannot take) gets a clear message or is ignored, changes nothing and never answers 500."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from audits.models import ProfitabilityRun
from audits.profitability import engine
from clients.models import Client, Invoice, StaffCost
from tests.clients.test_imports import row_errors
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_a_ledger_date_outside_the_years_1900_to_2100_is_refused_on_every_path(as_finance, finance, manager):
    # A model's own rule: the pages, the admin, an audit's step 2 and the imports all run it.
    with pytest.raises(ValidationError, match="from the year 1900 to the year 2100"):
        StaffCost(user=manager, effective_from=dt.date(1, 1, 1), hourly_cost=D("50")).full_clean()
    response = as_finance.post(
        "/clients/new/",
        {"name": "Far", "external_ref": "FAR", "status": "active", "acquired_on": "9999-12-31"},
    )
    assert response.status_code == 200
    assert "Enter a date from the year 1900 to the year 2100." in response.content.decode()
    ClientFactory(external_ref="ACME")
    errors = row_errors(
        finance,
        "invoices",
        ["number", "client_ref", "issued_on", "due_on", "amount"],
        [["F-1", "ACME", "0001-01-01", "0001-01-31", "100"]],
    )
    assert {(line, column) for line, column, _message in errors} == {(2, "issued_on"), (2, "due_on")}
    assert not Client.objects.filter(external_ref="FAR").exists()
    assert not Invoice.objects.exists()


def test_a_negative_acquisition_cost_is_refused_in_words_not_by_the_constraints_name(as_finance):
    response = as_finance.post(
        "/clients/new/", {"name": "Neg", "external_ref": "NEG", "status": "active", "acquisition_cost": "-1"}
    )
    body = response.content.decode()
    assert "An acquisition cost cannot be negative" in body
    assert "client_acquisition_cost_not_negative" not in body
    assert not Client.objects.filter(external_ref="NEG").exists()


@pytest.mark.parametrize("per_page", ["-2", "0", "999999999999999999999999", "abc"])
def test_a_page_size_in_the_address_is_held_to_what_a_table_can_show(as_finance, per_page):
    ClientFactory.create_batch(3)
    for url in ("/clients/", "/ranking/", f"/clients/?per_page={per_page}&_export=csv"):
        response = as_finance.get(url if "?" in url else f"{url}?per_page={per_page}")
        assert response.status_code == 200, url


def test_a_recompute_that_fails_in_the_request_says_so_on_its_page(
    as_finance, monkeypatch, django_capture_on_commit_callbacks
):
    """Celery eager (the embedded first look): the run fails and is recorded as failed; the request
    that asked for it goes on to the run's page."""
    ClientFactory()

    def broken(**kwargs):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(engine, "compute", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_finance.post("/profitability/recompute/")
    run = ProfitabilityRun.objects.get()
    assert response.status_code == 302 and response.url == f"/profitability/recompute/?run={run.pk}"
    assert run.status == ProfitabilityRun.Status.FAILED


@pytest.mark.parametrize(
    ("url", "bad"),
    [
        ("/clients/", "status=bogus"),
        ("/transitions/", "stage=nowhere"),
        ("/audits/", "status=bogus"),
    ],
)
def test_a_filter_that_is_not_understood_is_named_and_lists_nothing(as_finance, url, bad):
    ClientFactory(name="Listed")
    body = as_finance.get(f"{url}?{bad}").content.decode()
    assert "A filter was not understood, so nothing is listed" in body
    assert "is not one of the available choices" in body
    assert "Nothing is listed: a filter was not understood (see above)." in body
    assert "matches these filters" not in body


def test_an_empty_list_says_nothing_matches_only_where_a_filter_is_set(as_finance):
    assert "No transition yet" in as_finance.get("/transitions/").content.decode()
    assert "No audit yet." in as_finance.get("/audits/?page=1").content.decode()
    filtered = as_finance.get("/clients/?q=nobody").content.decode()
    assert "No client matches these filters." in filtered and "not understood" not in filtered
    assert "No client yet." in as_finance.get("/clients/").content.decode()


def test_a_limit_is_said_in_the_users_locale(as_finance):
    """Django writes a field's limit as Python does (0.01); the pages write 0,01 in French."""
    from django.conf import settings

    as_finance.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    body = as_finance.get(
        "/profitability/seed-calculator/",
        {
            "effort": "100",
            "annual_income": "0",
            "margin_rate": "0",
            "working_days": "0",
            "charge_coefficient": "0",
        },
    ).content.decode()
    assert "supérieure ou égale à 0,01" in body and "égale à 0.01" not in body
    assert "supérieure ou égale à 1" in body  # working days: a whole number, as it was


def test_a_model_forms_limits_are_said_in_the_users_locale_too(as_finance):
    from django.conf import settings

    from clients.models import CostSettings

    as_finance.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = as_finance.get("/settings/costs/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    body = as_finance.post("/settings/costs/", {**data, "hours_per_day": "0.4"}).content.decode()
    assert "supérieure ou égale à 0,5" in body and "égale à 0.5" not in body
    assert CostSettings.load().hours_per_day != D("0.4")
