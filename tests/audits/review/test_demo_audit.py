"""The demo's completed audit: last year's, walked through its five steps, with its transitions."""

import pytest
from django.core.management import call_command

from audits.models import Audit, Decision, Letter, Transition
from clients.models import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--clients", "40", verbosity=0)
    call_command("demo_users", verbosity=0)


def test_the_demo_holds_last_years_completed_audit_and_its_transitions(
    demo, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the task sent: it finds nothing left to do
        call_command("seed_demo_audit")
    audit = Audit.objects.get()
    assert audit.is_completed and audit.owner.username == "fiona"
    assert (
        audit.period_start.month,
        audit.period_start.day,
        audit.period_end.month,
        audit.period_end.day,
    ) == (
        1,
        1,
        12,
        31,
    )
    transitions = Transition.objects.filter(audit=audit)
    assert transitions.count() == 2
    assert all(t.client.status == Client.Status.TRANSITIONING for t in transitions)
    assert Letter.objects.filter(transition__in=transitions, kind="announcement").count() == 2
    assert Decision.objects.filter(audit=audit, kind="transition").count() == 2
    assert "transitions started" in capsys.readouterr().out
    call_command("seed_demo_audit")  # a second run adds nothing
    assert Audit.objects.count() == 1
    assert "already there" in capsys.readouterr().out


def test_it_asks_for_the_demo_users_first(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="run demo_users first"):
        call_command("seed_demo_audit")


def test_a_reset_of_the_demo_after_its_audit_says_what_keeps_its_clients(
    demo, django_capture_on_commit_callbacks
):
    from django.core.management.base import CommandError

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_audit", verbosity=0)
    before = Client.objects.count()
    with pytest.raises(CommandError, match="an audit keeps its clients") as refused:
        call_command("seed_demo", "--clients", "40", "--reset", verbosity=0)
    assert len(str(refused.value)) < 400  # named, not listed row by row
    assert Client.objects.count() == before  # nothing changed
