import pytest
from django.db import transaction

from audits.log import activity_for, log_action
from audits.models import ActivityLog, ProfitabilityRun
from audits.profitability.runs import profitability_run_request
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_recompute_request_is_logged_with_who_and_what(django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    user = UserFactory(username="fiona")
    with django_capture_on_commit_callbacks(execute=False):
        run, created = profitability_run_request(user=user)
    assert created
    [entry] = activity_for(run)
    assert entry.user == user and entry.action == "profitability.recompute_requested"
    assert entry.data == {"as_of": run.as_of.isoformat()}
    assert str(entry.description) == "asked for the figures to be recomputed"


def test_the_entry_is_rolled_back_with_the_change():
    user = UserFactory()
    with pytest.raises(RuntimeError, match="the import failed"), transaction.atomic():
        run = ProfitabilityRun.objects.create(
            as_of="2026-11-18", period_start="2025-11-19", period_end="2026-11-18"
        )
        log_action(run, "profitability.recompute_requested", user=user)
        raise RuntimeError("the import failed")
    assert not ActivityLog.objects.exists()


def test_an_unknown_action_is_refused():
    run = ProfitabilityRun.objects.create(
        as_of="2026-11-18", period_start="2025-11-19", period_end="2026-11-18"
    )
    with pytest.raises(ValueError, match="Unknown activity"):
        log_action(run, "audit.nonsense")
    assert not ActivityLog.objects.exists()
