import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, **env):
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")  # browser tests set the last one
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_production_configuration_passes_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x7!kq2#p9Lm4Vn8Rt1Zw6Yb3Hc5Jd0Fg-Qs8Ue2Ai7Ox4Pl9Kr6",
        ALLOWED_HOSTS="profit.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_a_bad_currency():
    result = _manage("check", CURRENCY="EURO")
    assert result.returncode != 0
    assert "CURRENCY" in result.stderr


def test_it_refuses_a_log_in_throttle_or_session_age_that_is_not_positive():
    for name in ("AXES_FAILURE_LIMIT", "AXES_COOLOFF_MINUTES", "SESSION_COOKIE_AGE"):
        result = _manage("check", **{name: "0"})
        assert result.returncode != 0, name
        assert f"{name} must be a positive whole number" in result.stderr, name


def test_the_session_lasts_what_the_environment_says():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)",
        SESSION_COOKIE_AGE="3600",
    )
    assert result.stdout.strip().splitlines()[-1] == "3600", result.stderr
