"""/healthz: what a load balancer asks each instance before sending it requests."""

from urllib.parse import urlparse

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from audits.profitability.runs import RUN_LATE_AFTER, run_health

# A check that hangs is a check that failed: the load balancer's own timeout is a few seconds.
TIMEOUT_SECONDS = 2


class Unhealthy(Exception):
    """A check that answered, with what it found wrong and the facts a person would look at."""

    def __init__(self, error, **facts):
        super().__init__(error)
        self.error, self.facts = error, facts


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


def _broker():
    url = settings.CELERY_BROKER_URL
    if urlparse(url).scheme not in ("redis", "rediss"):
        return {"transport": urlparse(url).scheme}  # the embedded first look: an in-memory broker
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def _recompute():
    health = run_health()
    facts = {
        "last_success": health.last_success.finished_at.isoformat() if health.last_success else None,
        "age_hours": round(health.age.total_seconds() / 3600, 1) if health.last_success else None,
        "late_after_hours": int(RUN_LATE_AFTER.total_seconds() // 3600),
        "last_failure": health.failure.finished_at.isoformat() if health.failure else None,
    }
    if health.late:
        raise Unhealthy(
            "no successful run" if health.last_success is None else "last success too old", **facts
        )
    return facts


CHECKS = {"database": _database, "broker": _broker, "recompute": _recompute}


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """200 when the database and the broker answer and the last successful recompute is recent;
    503 naming what is not. Errors are reported by kind only: this page is public."""
    checks, failing = {}, []
    for name, check in CHECKS.items():
        try:
            checks[name] = {"ok": True, **check()}
        except Unhealthy as exc:
            checks[name] = {"ok": False, "error": exc.error, **exc.facts}
            failing.append(name)
        except Exception as exc:  # a health check reports every failure, whatever its kind
            checks[name] = {"ok": False, "error": type(exc).__name__}
            failing.append(name)
    return JsonResponse(
        {"status": "fail" if failing else "ok", "failing": failing, "checks": checks},
        status=503 if failing else 200,
    )
