"""Hardening: log-in throttling, the Content-Security-Policy, session expiry, password rules."""

import datetime as dt
import io
import logging
import re

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client as HttpClient

from audits.profitability.runs import profitability_recompute, run_create
from clients.models import Client, ImportJob

PASSWORD = "pw-test-123"  # the factories' password


def _log_in(http, username, password, address="127.0.0.1"):
    return http.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in_as(http):
    return http.get("/dashboard/").status_code == 200


def test_five_failed_log_ins_lock_the_user_name_out_from_that_address(manager, caplog):
    http = HttpClient()
    with caplog.at_level(logging.WARNING, logger="axes"):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            response = _log_in(http, "manager", "wrong")
            assert response.status_code == 200  # the form again, with its error
        response = _log_in(http, "manager", "wrong")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Log-in paused" in page
    assert "After 5 failed log-ins with this user name from your address" in page
    assert "paused for 15 minutes" in page
    assert any("Locking out" in record.getMessage() for record in caplog.records)
    # The right password does not get through while the lock holds.
    assert _log_in(http, "manager", PASSWORD).status_code == 429
    assert not _logged_in_as(http)


def test_the_lock_holds_for_one_user_name_from_one_address(manager, other_manager):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(HttpClient(), "manager", "wrong")

    elsewhere = HttpClient()
    assert _log_in(elsewhere, "manager", PASSWORD, address="10.0.0.9").status_code == 302
    assert _logged_in_as(elsewhere)
    colleague = HttpClient()
    assert _log_in(colleague, "other_manager", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(manager, clock):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(HttpClient(), "manager", "wrong")
    http = HttpClient()
    assert _log_in(http, "manager", PASSWORD).status_code == 429

    clock.shift(dt.timedelta(minutes=14))
    assert _log_in(http, "manager", PASSWORD).status_code == 429  # trying again does not extend it
    clock.shift(dt.timedelta(minutes=2))
    assert _log_in(http, "manager", PASSWORD).status_code == 302
    assert _logged_in_as(http)


def test_a_successful_log_in_forgets_the_earlier_failures(manager):
    http = HttpClient()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(http, "manager", "wrong")
    assert _log_in(http, "manager", PASSWORD).status_code == 302
    http.post("/accounts/logout/")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(http, "manager", "wrong").status_code == 200
    assert _log_in(http, "manager", PASSWORD).status_code == 302


def test_every_page_sends_a_content_security_policy_without_unsafe_inline(as_finance, client):
    for response in (as_finance.get("/dashboard/"), client.get("/accounts/login/")):
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def portfolio(finance):
    """The demo's ledger, computed, with a run and an import under way (their progress scripts)."""
    call_command("seed_demo", "--clients", "40", "--months", "12", stdout=io.StringIO())
    profitability_recompute()
    run_create()
    return ImportJob.objects.create(
        created_by=finance,
        kind="invoices",
        filename="invoices.csv",
        content=b"",
        status=ImportJob.Status.IMPORT_RUNNING,
        total_rows=5000,
        processed_rows=1200,
    )


def test_no_page_carries_an_inline_script_handler_or_style(portfolio, as_finance, client):
    customer = Client.objects.filter(snapshots__isnull=False).first()
    urls = [
        "/dashboard/",
        "/ranking/",
        f"/clients/{customer.pk}/profitability/",
        "/payments/",
        "/prospects/",
        "/clients/",
        f"/clients/{customer.pk}/",
        f"/clients/{customer.pk}/edit/",
        "/interactions/",
        "/interactions/new/",
        "/imports/",
        f"/imports/{portfolio.pk}/",
        "/profitability/recompute/",
        "/profitability/seed-calculator/",
        "/settings/costs/",
    ]
    pages = [(url, as_finance.get(url)) for url in urls]
    pages.append(("/accounts/login/", client.get("/accounts/login/")))
    pages.append(("lock-out", _locked_out_page()))
    for url, response in pages:
        assert response.status_code in (200, 429), url
        html = response.content.decode()
        assert not INLINE_SCRIPT.findall(html), url
        assert not EVENT_HANDLER.findall(html), url
        assert not STYLE.findall(html), url
    dashboard = dict(pages)["/dashboard/"].content.decode()
    assert dashboard.count("<svg") >= 3  # the charts were there to be checked
    assert "audits/recompute.js" in dashboard
    assert "clients/import-progress.js" in dict(pages)[f"/imports/{portfolio.pk}/"].content.decode()


def _locked_out_page():
    http = HttpClient()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = _log_in(http, "finance", "wrong")
    return response


def test_a_session_ends_after_a_working_day_without_a_request(as_manager):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST
    response = as_manager.get("/clients/")
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600


def test_an_idle_session_expires_and_an_active_one_does_not(as_manager, clock):
    clock.shift(dt.timedelta(hours=7))
    assert as_manager.get("/clients/").status_code == 200  # each request starts the day again
    clock.shift(dt.timedelta(hours=7))
    assert as_manager.get("/clients/").status_code == 200
    clock.shift(dt.timedelta(hours=8, minutes=1))
    response = as_manager.get("/clients/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("weak", ["password", "12345678", "short1", "manager-user"])
def test_the_password_validators_refuse_weak_passwords(manager, weak):
    manager.username = "manager-user"
    with pytest.raises(ValidationError):
        password_validation.validate_password(weak, user=manager)


def test_the_password_validators_accept_a_long_uncommon_one(manager):
    password_validation.validate_password("ledger-tulip-harbour-47", user=manager)
