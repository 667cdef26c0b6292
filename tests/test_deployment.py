"""A deployment's settings, and `make serve`: plain HTTP on this machine, its secret key and its Procfile."""

import importlib.util
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
)


def _manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "LOCAL_HTTP")}
    full_env.update(env, DEBUG="false", SECRET_KEY="x7!kq2#p9Lm4Vn8Rt1Zw6Yb3Hc5Jd0Fg-Qs8Ue2Ai7Ox4Pl9Kr6")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_production_keeps_https_only_by_default():
    result = _manage("shell", "-v", "0", "-c", SHOW, ALLOWED_HOSTS="profit.example.com")
    assert result.stdout.split() == ["True", "True", "True", "31536000"], result.stderr


def test_local_http_serves_plain_http_on_loopback():
    result = _manage("shell", "-v", "0", "-c", SHOW, ALLOWED_HOSTS="127.0.0.1,localhost", LOCAL_HTTP="true")
    assert result.stdout.split() == ["False", "False", "False", "0"], result.stderr


def test_local_http_refuses_a_public_host():
    result = _manage("check", ALLOWED_HOSTS="127.0.0.1,profit.example.com", LOCAL_HTTP="true")
    assert result.returncode != 0
    assert "LOCAL_HTTP" in result.stderr and "profit.example.com" in result.stderr


def test_one_variable_configures_smtp():
    show = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS)"
    result = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        show,
        ALLOWED_HOSTS="profit.example.com",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "True",
    ], result.stderr


def _serve_module():
    spec = importlib.util.spec_from_file_location("serve", ROOT / "scripts" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path):
    path = tmp_path / ".env.serve"
    serve = _serve_module()
    first = serve.secret_key_file(path)
    assert len(first["SECRET_KEY"]) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert serve.secret_key_file(path) == first


def test_the_procfile_runs_the_web_server_first_and_exactly_one_beat():
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    names = [line.split(":", 1)[0] for line in lines]
    assert names[0] == "web"  # honcho gives the first process the port asked for
    assert names.count("beat") == 1 and names.count("worker") == 1
    assert "${WEB_CONCURRENCY:-2}" in lines[0]


def test_the_serve_files_stay_out_of_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env.serve"], cwd=ROOT)
    assert ignored.returncode == 0


def test_a_web_worker_loads_every_view_at_start_and_keeps_its_database_connection():
    """gunicorn's settings and the WSGI module, as a worker reads them: the views are imported before
    the first request, and the database connection is kept between requests (checked before reuse)."""
    show = (
        "import runpy, sys; runpy.run_path('config/gunicorn.py'); import config.wsgi; "
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print('audits.reports.views' in sys.modules, 'matplotlib' in sys.modules, "
        "d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "LOCAL_HTTP", "CONN_MAX_AGE")
    }
    env.update(DEBUG="false", SECRET_KEY="x7!kq2#p9Lm4Vn8Rt1Zw6Yb3Hc5Jd0Fg-Qs8Ue2Ai7Ox4Pl9Kr6")
    env.update(ALLOWED_HOSTS="127.0.0.1", LOCAL_HTTP="true")
    result = subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["True", "True", "60", "True"], result.stderr
    result = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT,
        env={**env, "CONN_MAX_AGE": "5"},
        capture_output=True,
        text=True,
    )
    assert result.stdout.split()[2] == "5", result.stderr


def _children(pid):
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(child) for child in found]


def _wait_for_child(pid, *, other_than=None, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = [child for child in _children(pid) if child != other_than]
        if children:
            return children[0]
        time.sleep(0.05)
    raise AssertionError(f"no child of {pid} within {timeout} s")


def test_the_worker_killed_by_a_signal_is_started_again_and_stops_with_the_stack():
    """The Procfile's worker runs under scripts/respawn.py: SIGKILL brings it back (honcho would
    otherwise stop the web server and beat with it); SIGTERM, as honcho sends on Ctrl-C, ends both."""
    assert "worker: python scripts/respawn.py celery " in (ROOT / "Procfile").read_text()
    wrapper = subprocess.Popen(
        [sys.executable, "scripts/respawn.py", sys.executable, "-c", "import time; time.sleep(60)"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = _wait_for_child(wrapper.pid)
        os.kill(first, signal.SIGKILL)
        second = _wait_for_child(wrapper.pid, other_than=first)
        assert wrapper.poll() is None

        wrapper.send_signal(signal.SIGTERM)
        assert wrapper.wait(timeout=10) == 128 + signal.SIGTERM
        assert "killed by SIGKILL; starting it again" in wrapper.stdout.read()
        with pytest.raises(ProcessLookupError):
            os.kill(second, 0)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
