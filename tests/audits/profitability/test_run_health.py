"""The health of an instance for a load balancer (/healthz), and the dashboard's warning when the
nightly recompute failed or is late."""

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from audits.models import ProfitabilityRun

NOBODY_LISTENS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there


def _run(status, *, hours_ago):
    finished = timezone.now() - dt.timedelta(hours=hours_ago)
    day = timezone.localdate(finished)
    return ProfitabilityRun.objects.create(
        status=status,
        as_of=day,
        period_start=day - dt.timedelta(days=364),
        period_end=day,
        started_at=finished - dt.timedelta(minutes=3),
        finished_at=finished,
    )


def _health():
    response = HttpClient().get("/healthz")
    return response.status_code, response.json()


@pytest.mark.django_db
def test_it_answers_200_without_log_in_when_all_is_well():
    _run(ProfitabilityRun.Status.SUCCEEDED, hours_ago=3)
    status, body = _health()
    assert status == 200
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert body["checks"]["recompute"]["age_hours"] == 3.0


@pytest.mark.django_db
def test_it_is_never_cached():
    response = HttpClient().get("/healthz")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_nothing_listens(settings):
    _run(ProfitabilityRun.Status.SUCCEEDED, hours_ago=3)
    settings.CELERY_BROKER_URL = NOBODY_LISTENS
    status, body = _health()
    assert status == 503
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"]


@pytest.mark.django_db
def test_it_answers_503_when_the_last_success_is_27_hours_old():
    _run(ProfitabilityRun.Status.SUCCEEDED, hours_ago=27)
    status, body = _health()
    assert status == 503
    assert body["failing"] == ["recompute"]
    assert body["checks"]["recompute"]["error"] == "last success too old"
    assert body["checks"]["recompute"]["age_hours"] == 27.0


@pytest.mark.django_db
def test_it_answers_503_when_no_run_ever_succeeded():
    _run(ProfitabilityRun.Status.FAILED, hours_ago=1)
    status, body = _health()
    assert status == 503
    assert body["failing"] == ["recompute"]
    assert body["checks"]["recompute"]["error"] == "no successful run"
    assert body["checks"]["recompute"]["last_failure"] is not None


@pytest.mark.django_db
def test_a_failure_after_a_recent_success_is_reported_but_still_healthy():
    _run(ProfitabilityRun.Status.SUCCEEDED, hours_ago=5)
    _run(ProfitabilityRun.Status.FAILED, hours_ago=1)
    status, body = _health()
    assert status == 200  # the figures are still fresh; the dashboard warns finance
    assert body["checks"]["recompute"]["last_failure"] is not None


WARNING = 'class="message error run-warning"'
FAILED = "The last recompute failed"
LATE = "The nightly recompute is late"


def test_the_dashboard_warns_when_the_latest_run_failed(as_finance):
    _run(ProfitabilityRun.Status.SUCCEEDED, hours_ago=20)
    _run(ProfitabilityRun.Status.FAILED, hours_ago=1)
    page = as_finance.get("/dashboard/").content.decode()
    assert WARNING in page and FAILED in page and LATE not in page
    assert 'href="/profitability/recompute/"' in page


def test_the_dashboard_warns_when_the_last_success_is_older_than_26_hours(as_manager):
    _run(ProfitabilityRun.Status.SUCCEEDED, hours_ago=27)
    page = as_manager.get("/dashboard/").content.decode()
    assert WARNING in page and LATE in page and FAILED not in page
    assert 'href="/profitability/recompute/"' not in page  # a manager cannot recompute


def test_the_dashboard_says_nothing_when_the_last_run_succeeded_recently(as_finance):
    _run(ProfitabilityRun.Status.FAILED, hours_ago=30)
    _run(ProfitabilityRun.Status.SUCCEEDED, hours_ago=25)
    page = as_finance.get("/dashboard/").content.decode()
    assert WARNING not in page
