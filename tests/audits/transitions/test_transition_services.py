"""Transitions: the stage rules, the client's status, the schedule and the cash flow, by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audits.log import activity_for
from audits.models import Transition
from audits.transitions import selectors, services
from clients.models import Client
from tests.conftest import morning_of
from tests.factories import ClientFactory, InvoiceFactory

D = Decimal
Stage = Transition.Stage


@pytest.fixture
def phased(own_client, finance):
    """Own Client invoiced 9,000 over the 12 months before November 2026 (750 a month on average),
    phased out to 15 March 2027."""
    for month, amount in [
        (dt.date(2025, 11, 5), "4000"),
        (dt.date(2026, 3, 10), "3000"),
        (dt.date(2026, 10, 31), "2000"),
    ]:
        InvoiceFactory(client=own_client, issued_on=month, amount=D(amount))
    InvoiceFactory(
        client=own_client, issued_on=dt.date(2025, 10, 31), amount=D("99999")
    )  # before the 12 months
    return services.transition_create(
        client=own_client, user=finance, reason="Unprofitable for three years", end_date=dt.date(2027, 3, 15)
    )


def test_creating_a_transition_prefills_a_linear_schedule_and_marks_the_client(phased, own_client):
    own_client.refresh_from_db()
    assert own_client.status == Client.Status.TRANSITIONING
    assert phased.stage == Stage.PLANNED and phased.monthly_baseline == D("750.00")
    schedule = [(m.month, m.expected_revenue) for m in phased.months.all()]
    assert schedule == [
        (dt.date(2026, 11, 1), D("750.00")),
        (dt.date(2026, 12, 1), D("562.50")),
        (dt.date(2027, 1, 1), D("375.00")),
        (dt.date(2027, 2, 1), D("187.50")),
        (dt.date(2027, 3, 1), D("0.00")),
    ]
    assert [entry.action for entry in activity_for(phased)] == ["transition.created"]


def test_the_cash_flow_matches_a_hand_computed_schedule(phased, own_client, clock):
    # On the pinned day November is in progress: what was invoiced so far is shown, and nothing is
    # lost or missed yet (the month may still be invoiced).
    InvoiceFactory(client=own_client, issued_on=dt.date(2026, 11, 3), amount=D("600"))
    flow = selectors.cashflow(transition=phased)
    assert [(m.actual, m.in_progress, m.loss, m.gap) for m in flow.months] == [
        (D("600"), True, None, None)
    ] + [(None, False, None, None)] * 4
    assert flow.last_complete is None
    assert (flow.loss_to_date, flow.expected_to_date, flow.actual_to_date) == (0, 0, 0)
    InvoiceFactory(client=own_client, issued_on=dt.date(2026, 12, 20), amount=D("400"))
    InvoiceFactory(client=own_client, issued_on=dt.date(2026, 12, 21), amount=D("100"))
    InvoiceFactory(
        client=ClientFactory(), issued_on=dt.date(2026, 12, 21), amount=D("5000")
    )  # another client
    clock.move_to(morning_of(dt.date(2027, 1, 20)))
    flow = selectors.cashflow(transition=phased)
    assert [m.actual for m in flow.months] == [D("600"), D("500"), D("0.00"), None, None]
    assert [(m.loss, m.gap) for m in flow.months[:3]] == [
        (D("150.00"), D("-150.00")),
        (D("250.00"), D("-62.50")),
        (None, None),  # January is in progress: not yet a loss
    ]
    assert flow.last_complete == dt.date(2026, 12, 1)
    assert flow.loss_to_date == D("150") + D("250")  # below the 750 a month before, November and December
    assert flow.expected_to_date == D("750.00") + D("562.50")
    assert flow.gap_to_date == D("1100") - D("1312.50")
    assert flow.expected_total == D("1875.00")
    total, each = selectors.cashflow_all(user=phased.created_by)
    assert total.loss_to_date == D("400.00") and [t for t, _f in each] == [phased]
    assert [m.in_progress for m in total.months] == [False, False, True, False, False]
    # Once January has ended, it counts in full.
    clock.move_to(morning_of(dt.date(2027, 2, 1)))
    assert selectors.cashflow(transition=phased).loss_to_date == D("150") + D("250") + D("750")


def test_stages_move_forward_only_and_the_client_follows(phased, own_client, finance):
    services.transition_advance(transition=phased, stage=Stage.ANNOUNCED, user=finance)
    with pytest.raises(ValidationError):
        services.transition_advance(transition=phased, stage=Stage.PLANNED, user=finance)
    with pytest.raises(ValidationError):
        services.transition_advance(transition=phased, stage=Stage.ANNOUNCED, user=finance)
    services.transition_advance(transition=phased, stage=Stage.PHASING_OUT, user=finance)  # a stage skipped
    phased = services.transition_advance(transition=phased, stage=Stage.COMPLETED, user=finance)
    own_client.refresh_from_db()
    assert own_client.status == Client.Status.FORMER
    assert phased.announced_at and phased.phasing_out_at and phased.completed_at
    assert phased.alternatives_offered_at is None
    with pytest.raises(ValidationError):
        services.transition_advance(transition=phased, stage=Stage.CANCELLED, user=finance)
    entries = list(activity_for(phased))
    assert [e.data for e in entries if e.action == "transition.stage_changed"][0] == {
        "from": "phasing_out",
        "to": "completed",
        "end_date": {"from": "2027-03-15", "to": "2026-11-18"},
    }
    assert all(e.user == finance for e in entries)


def test_cancelling_gives_the_client_back_its_active_status(phased, own_client, finance):
    services.transition_advance(transition=phased, stage=Stage.CANCELLED, user=finance)
    own_client.refresh_from_db()
    assert own_client.status == Client.Status.ACTIVE
    # A new transition may start once the first is closed.
    again = services.transition_create(
        client=own_client, user=finance, reason="Again", end_date=dt.date(2027, 1, 1)
    )
    assert again.stage == Stage.PLANNED


def test_a_refused_move_changes_nothing(phased, own_client, finance):
    services.transition_advance(transition=phased, stage=Stage.COMPLETED, user=finance)
    with pytest.raises(ValidationError):
        services.transition_advance(transition=phased, stage=Stage.ANNOUNCED, user=finance)
    phased.refresh_from_db()
    own_client.refresh_from_db()
    assert (phased.stage, phased.announced_at, own_client.status) == (
        Stage.COMPLETED,
        None,
        Client.Status.FORMER,
    )


@pytest.mark.parametrize(
    "status, end_date, reason",
    [
        (Client.Status.PROSPECT, dt.date(2027, 1, 1), "x"),
        (Client.Status.FORMER, dt.date(2027, 1, 1), "x"),
        (Client.Status.ACTIVE, dt.date(2026, 11, 17), "x"),  # in the past
        (Client.Status.ACTIVE, dt.date(2032, 1, 1), "x"),  # over five years
        (Client.Status.ACTIVE, dt.date(2027, 1, 1), "   "),
    ],
)
def test_creation_refuses_what_makes_no_sense(finance, status, end_date, reason):
    client = ClientFactory(status=status)
    with pytest.raises(ValidationError):
        services.transition_create(client=client, user=finance, reason=reason, end_date=end_date)
    assert not Transition.objects.exists()
    client.refresh_from_db()
    assert client.status == status


def test_one_open_transition_per_client(phased, own_client, finance):
    with pytest.raises(ValidationError):
        services.transition_create(
            client=own_client, user=finance, reason="twice", end_date=dt.date(2027, 1, 1)
        )
    assert Transition.objects.count() == 1


def test_the_schedule_is_edited_month_by_month_or_remade_from_a_new_end_date(phased, finance):
    services.schedule_update(
        transition=phased,
        user=finance,
        end_date=phased.end_date,
        amounts={dt.date(2026, 12, 1): D("700.00"), dt.date(2027, 1, 1): D("375.00")},
    )
    assert [m.expected_revenue for m in phased.months.all()][:2] == [D("750.00"), D("700.00")]
    with pytest.raises(ValidationError):
        services.schedule_update(
            transition=phased, user=finance, end_date=phased.end_date, amounts={dt.date(2027, 2, 1): D("-1")}
        )
    assert phased.months.get(month=dt.date(2027, 2, 1)).expected_revenue == D("187.50")
    services.schedule_update(transition=phased, user=finance, end_date=dt.date(2027, 1, 10), amounts={})
    assert [m.expected_revenue for m in phased.months.all()] == [D("750.00"), D("375.00"), D("0.00")]


def test_the_audit_creates_a_transition_through_the_same_service(own_client, finance):
    from audits.models import Audit

    audit = Audit.objects.create(
        title="Audit", period_start=dt.date(2025, 11, 19), period_end=dt.date(2026, 11, 18), owner=finance
    )
    transition = services.transition_create(
        client=own_client, user=None, reason="Audit decision", end_date=dt.date(2027, 6, 30), audit=audit
    )
    assert transition.audit == audit and transition.created_by is None
    assert list(audit.transitions.all()) == [transition]


def test_a_transition_completed_early_expects_nothing_after_the_month_it_ends(phased, finance):
    """Completed on 18 November 2026, four months before its schedule's end: November keeps what it
    expected, and the schedule ends there (the client is former: no month to come)."""
    services.transition_advance(transition=phased, stage=Stage.COMPLETED, user=finance)
    assert [(m.month, m.expected_revenue) for m in phased.months.all()] == [
        (dt.date(2026, 11, 1), D("750.00")),
    ]
    assert selectors.cashflow(transition=phased).expected_total == D("750.00")
    # It ended today: the end date says so, and the final thank-you gives that date.
    phased.refresh_from_db()
    assert phased.end_date == dt.date(2026, 11, 18)


def test_completing_a_transition_says_its_end_date_moved(as_finance, phased):
    body = as_finance.post(
        f"/transitions/{phased.pk}/stage/", {"stage": "completed"}, follow=True
    ).content.decode()
    assert (
        "It ended before its planned end date: the end date is now 18 Nov 2026, where it was 15 Mar 2027."
        in body
    )


@pytest.mark.parametrize("typed", ["1 000,50", "1\u00a0000,50", "1000,50", "1000.50"])
def test_the_schedule_takes_an_amount_as_a_french_page_writes_it(phased, typed):
    from django.utils import translation

    from audits.transitions.forms import ScheduleForm

    first = phased.months.first()
    data = {"end_date": phased.end_date.isoformat()}
    data.update({ScheduleForm.key(m.month): str(m.expected_revenue) for m in phased.months.all()})
    data[ScheduleForm.key(first.month)] = typed
    with translation.override("fr"):
        form = ScheduleForm(data, transition=phased)
        assert form.is_valid(), form.errors
    assert form.amounts()[first.month] == D("1000.50")
