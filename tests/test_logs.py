"""Logs: one JSON line per request and per task end, with ids, and nothing secret in any record."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from config import logs
from tests.factories import UserFactory


@login_not_required
def boom(request):
    raise RuntimeError("the view fell over")


urlpatterns = [path("boom/", boom, name="boom")]


@pytest.fixture
def lines():
    """Every record logged during the test, written by the JSON formatter; the list of parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)

    def parsed():
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]

    parsed.text = stream.getvalue
    yield parsed
    root.removeHandler(handler)
    root.setLevel(old_level)


def request_lines(lines):
    return [line for line in lines() if line["logger"] == "clientprofit.request"]


def test_a_request_logs_one_json_line_with_its_id_user_route_status_and_duration(as_finance, finance, lines):
    response = as_finance.get("/dashboard/")

    assert response.status_code == 200
    (line,) = request_lines(lines)
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == finance.pk
    assert line["route"] == "reports:dashboard"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert {"time", "level", "logger", "message"} <= set(line)


def test_it_keeps_a_safe_request_id_and_replaces_an_unsafe_one(client, lines):
    kept = client.get("/accounts/login/", headers={"X-Request-ID": "lb-7f3a.42"})
    replaced = client.get("/accounts/login/", headers={"X-Request-ID": 'x"\n{"level": "forged"}'})

    assert kept["X-Request-ID"] == "lb-7f3a.42"
    assert replaced["X-Request-ID"] != 'x"\n{"level": "forged"}'
    assert len(replaced["X-Request-ID"]) == 32
    assert [line["request_id"] for line in request_lines(lines)] == ["lb-7f3a.42", replaced["X-Request-ID"]]
    assert "forged" not in lines.text()


def test_no_password_session_or_csrf_token_reaches_a_log_record(client, lines, settings, db):
    UserFactory(username="carol", password="s3cret-Pa55word!")
    client.get("/accounts/login/")
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "carol", "password": "s3cret-Pa55word!", "csrfmiddlewaretoken": csrf},
        headers={"Authorization": "Bearer tok-abcdef123456"},
    )
    assert response.status_code == 302
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get("/dashboard/")
    logging.getLogger("clientprofit.test").warning(
        "login of %s with password=%s", "carol", "s3cret-Pa55word!", extra={"cookies": {"sessionid": session}}
    )

    text = lines.text()
    assert len(request_lines(lines)) == 3
    for secret in ("s3cret-Pa55word!", session, csrf, "tok-abcdef123456", settings.SECRET_KEY):
        assert secret not in text
    assert request_lines(lines)[-1]["user_id"] is not None


def test_an_exception_is_logged_with_its_traceback_as_a_field(client, lines, settings):
    settings.ROOT_URLCONF = "tests.test_logs"
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == 500
    errors = [line for line in lines() if line["logger"] == "django.request"]
    assert errors
    assert "RuntimeError: the view fell over" in errors[0]["traceback"]
    assert errors[0]["request_id"] == response["X-Request-ID"]
    (line,) = request_lines(lines)
    assert line["status"] == 500
    assert line["route"] == "boom"
    assert line["level"] == "ERROR"


def test_the_text_format_shows_the_same_fields():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("password=hunter22",), None)
    record.request_id = "abc"
    text = logs.TextFormatter().format(record)
    assert "request_id=abc" in text
    assert "hunter22" not in text


def test_scrub_masks_secrets_by_key_and_in_text():
    assert logs.scrub({"Authorization": "Bearer x", "n": 1}) == {"Authorization": "[filtered]", "n": 1}
    assert logs.scrub("redis://user:hunter2@host:6379/0") == "redis://user:[filtered]@host:6379/0"
    assert "abc123" not in logs.scrub('{"sessionid": "abc123"}')
    assert "d3f" not in logs.scrub("Cookie: csrftoken=d3f; sessionid=x")


def test_a_task_logs_its_name_id_run_and_duration(lines, db):
    from audits import tasks
    from audits.models import ProfitabilityRun
    from audits.profitability import runs

    run = runs.run_create(trigger=ProfitabilityRun.Trigger.MANUAL)
    result = tasks.profitability_recompute_task.apply(kwargs={"run_id": run.pk})

    task_lines = [line for line in lines() if line["logger"] == "clientprofit.task"]
    started, finished = task_lines[0], task_lines[-1]
    assert started["task"] == finished["task"] == "audits.tasks.profitability_recompute_task"
    assert finished["task_id"] == result.id
    assert finished["run_id"] == run.pk
    assert finished["state"] == "SUCCESS"
    assert finished["duration_ms"] >= 0
    assert "task" not in logs.context_get()


def test_a_failing_task_logs_its_traceback(lines, settings):
    from celery import shared_task

    @shared_task(name="tests.failing_task")
    def failing_task():
        raise ValueError("no luck")

    settings.CELERY_TASK_EAGER_PROPAGATES = False
    failing_task.apply(throw=False)

    (finished,) = [
        line for line in lines() if line["logger"] == "clientprofit.task" and "finished" in line["message"]
    ]
    assert finished["level"] == "ERROR"
    assert finished["state"] == "FAILURE"
    assert "ValueError: no luck" in finished["traceback"]
    assert finished["duration_ms"] >= 0


def test_it_refuses_an_unknown_log_format():
    env = {**os.environ, "LOG_FORMAT": "xml"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text" in result.stderr
