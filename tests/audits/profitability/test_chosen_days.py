"""The rules that read today, tried on the chosen days (tests/conftest.py: a month end, a leap day, the
days after both daylight-saving changes, New Year's Day): the period, the ageing, the interaction edit
window. The demo is tried on the same days in test_seed_demo.py."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from audits.models import ClientSnapshot
from audits.profitability import runs
from clients.services import interaction_editable
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory, StaffCostFactory

pytestmark = pytest.mark.django_db

# The first day of the 12 months ending on each chosen day, worked out by hand.
PERIOD_STARTS = {
    dt.date(2027, 1, 31): dt.date(2026, 2, 1),
    dt.date(2028, 2, 29): dt.date(2027, 3, 1),
    dt.date(2027, 3, 29): dt.date(2026, 3, 30),
    dt.date(2026, 10, 26): dt.date(2025, 10, 27),
    dt.date(2027, 1, 1): dt.date(2026, 1, 2),
}


def local(day, hour=0, minute=0, second=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)))


def test_a_recompute_covers_the_12_months_ending_today(chosen_day, manager):
    start = PERIOD_STARTS[chosen_day]
    StaffCostFactory(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    client = ClientFactory(account_manager=manager, acquired_on=dt.date(2020, 1, 1))
    InvoiceFactory(client=client, issued_on=start, amount=D("1000"))
    InvoiceFactory(client=client, issued_on=start - dt.timedelta(days=1), amount=D("7"))
    InvoiceFactory(client=client, issued_on=chosen_day, amount=D("300"))
    InteractionFactory(client=client, staff=manager, started_at=local(start), duration_minutes=60)
    InteractionFactory(
        client=client,
        staff=manager,
        started_at=local(start - dt.timedelta(days=1), 23, 59, 59),
        duration_minutes=600,
    )
    InteractionFactory(client=client, staff=manager, started_at=local(chosen_day, 9), duration_minutes=30)

    run = runs.profitability_recompute()

    assert (run.as_of, run.period_start, run.period_end) == (chosen_day, start, chosen_day)
    snapshot = ClientSnapshot.objects.get(run=run, client=client)
    assert snapshot.revenue == D("1300.00")
    assert snapshot.cost_to_serve == D("90.00")  # 1 h + 0.5 h at 60 per hour


def test_the_ageing_buckets_count_days_past_due_from_today(chosen_day):
    client = ClientFactory(acquired_on=dt.date(2020, 1, 1))
    # (days past due on the chosen day, amount): the limits are 30, 60 and 90 days.
    for days, amount in [(0, "1"), (1, "10"), (30, "20"), (31, "100"), (90, "1000"), (91, "10000")]:
        due = chosen_day - dt.timedelta(days=days)
        InvoiceFactory(client=client, issued_on=due - dt.timedelta(days=30), due_on=due, amount=D(amount))

    run = runs.profitability_recompute()

    snapshot = ClientSnapshot.objects.get(run=run, client=client)
    buckets = (
        snapshot.ageing_current,
        snapshot.ageing_1,
        snapshot.ageing_2,
        snapshot.ageing_3,
        snapshot.ageing_4,
    )
    assert buckets == (D("1.00"), D("30.00"), D("100.00"), D("1000.00"), D("10000.00"))


def test_interactions_stay_editable_for_the_current_local_month_only(chosen_day, manager, own_client):
    first = chosen_day.replace(day=1)
    this_month = InteractionFactory(client=own_client, staff=manager, started_at=local(first))
    last_month = InteractionFactory(
        client=own_client, staff=manager, started_at=local(first - dt.timedelta(days=1), 23, 59, 59)
    )

    assert interaction_editable(interaction=this_month, user=manager)
    assert not interaction_editable(interaction=last_month, user=manager)


def test_the_suite_runs_on_the_pinned_day():
    from tests.conftest import PINNED_DAY

    assert timezone.localdate() == PINNED_DAY == dt.date.today()
