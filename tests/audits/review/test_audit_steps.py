"""The client audit's rules: computing its figures, each step's conditions, stale forms, the
what-if of mixed decisions, and the freeze at completion."""

import contextlib
import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone, translation

from audits.log import activity_for
from audits.models import Audit, AuditClient, Decision, FlagReview, RiskAcknowledgement, Transition
from audits.profitability import runs
from audits.review import computation, costs, decisions, selectors, services
from audits.review.services import AuditError, StaleAudit
from audits.transitions.services import transition_create
from clients.models import Client, Contact, StaffCost
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory, PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(manager, other_manager):
    """Four clients: two profitable, two losing money on service hours (one of each manager)."""
    today = timezone.localdate()
    for user in (manager, other_manager):
        StaffCost.objects.create(user=user, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    rows = {}
    for name, owner, amount, minutes in [
        ("Alpha", manager, "9000", 60),
        ("Bravo", manager, "800", 1800),
        ("Charlie", other_manager, "4000", 0),
        ("Delta", other_manager, "500", 1200),
    ]:
        client = ClientFactory(name=name, account_manager=owner)
        Contact.objects.create(client=client, name=f"{name} contact", is_primary=True)
        invoice = InvoiceFactory(
            client=client,
            issued_on=today - dt.timedelta(days=60),
            due_on=today - dt.timedelta(days=30),
            amount=D(amount),
            cost_of_sales=D(amount) / 2,
        )
        PaymentFactory(invoice=invoice)  # paid on time: no late-payment cost
        if minutes:
            InteractionFactory(
                client=client,
                staff=owner,
                started_at=timezone.now() - dt.timedelta(days=20),
                duration_minutes=minutes,
            )
        rows[name] = client
    return rows


def start(user, django_capture_on_commit_callbacks, **kwargs):
    today = timezone.localdate()
    kwargs.setdefault("period_start", today - dt.timedelta(days=364))
    kwargs.setdefault("period_end", today)
    kwargs.setdefault("scope", Audit.Scope.ALL)
    with django_capture_on_commit_callbacks(execute=True):
        audit = computation.audit_start(user=user, title="Audit 2026", **kwargs)
    audit.refresh_from_db()
    return audit


@pytest.fixture
def audit(finance, portfolio, django_capture_on_commit_callbacks):
    return start(finance, django_capture_on_commit_callbacks)


def refresh(audit, user, django_capture_on_commit_callbacks):
    """Compute the audit's figures and checks again from the ledger as it is now."""
    with django_capture_on_commit_callbacks(execute=True):
        computation.audit_refresh(audit=audit, user=user, version=v(audit))
    audit.refresh_from_db()
    return audit


def move(audit, user, step):
    audit.refresh_from_db()
    return services.audit_move(audit=audit, user=user, version=audit.version, step=step)


def v(audit):
    audit.refresh_from_db()
    return audit.version


def decide(audit, user, client, kind, **values):
    """A decision on ``client`` (a Client or its id), drawn from the audit as it is now."""
    client_id = getattr(client, "pk", client)
    return services.decision_record(
        audit=audit, user=user, version=v(audit), client_id=client_id, kind=kind, **values
    )


def expense(audit, user, client, amount, spent_on, category="travel"):
    """A direct expense on ``client`` added at step 2 of the audit as it is now."""
    return costs.expense_add(
        audit=audit,
        user=user,
        version=v(audit),
        client=client,
        category=category,
        amount=amount,
        spent_on=spent_on,
    )


def review(audit, user, client, verdict, reason="seen"):
    """A review of ``client``'s flag (a Client or its id), on the audit as it is now."""
    client_id = getattr(client, "pk", client)
    return services.flag_review(
        audit=audit, user=user, version=v(audit), client_id=client_id, verdict=verdict, reason=reason
    )


def review_all(audit, user, verdict="confirm"):
    for row in AuditClient.objects.filter(audit=audit, is_flagged=True):
        review(audit, user, row.client_id, verdict)


def to_step(audit, user, step):
    """Walk the audit forward to ``step``, satisfying each step's conditions on the way."""
    while audit.step < step:
        if audit.step == 1:
            for check in selectors.audit_checks(audit):
                if not check.is_clear:
                    services.check_acknowledge(
                        audit=audit, user=user, version=v(audit), code=check.code, reason="known"
                    )
        if audit.step == 4:
            review_all(audit, user)
        audit = move(audit, user, audit.step + 1)
    return audit


def test_starting_computes_the_audit_figures_for_its_period_and_scope(audit, portfolio):
    assert audit.computation == Audit.Computation.DONE and audit.progress == 100
    rows = {row.client.name: row for row in AuditClient.objects.filter(audit=audit).select_related("client")}
    assert set(rows) == {"Alpha", "Bravo", "Charlie", "Delta"}
    assert rows["Alpha"].revenue == D("9000.00")
    assert rows["Bravo"].cost_to_serve == D("1800.00")  # 30 h x 60
    assert rows["Bravo"].net_profit == D("400.00") - D("1800.00")
    assert {name for name, row in rows.items() if row.is_flagged} == {"Bravo", "Delta"}
    assert audit.portfolio.figures["clients"] == 4
    assert [e.action for e in activity_for(audit)] == ["audit.started"]


def test_a_manager_scope_holds_that_managers_clients_only(
    finance, manager, portfolio, django_capture_on_commit_callbacks
):
    audit = start(
        finance, django_capture_on_commit_callbacks, scope=Audit.Scope.MANAGER, scope_manager=manager
    )
    names = set(AuditClient.objects.filter(audit=audit).values_list("client__name", flat=True))
    assert names == {"Alpha", "Bravo"}


def test_a_quarter_holds_only_its_invoices(finance, portfolio, django_capture_on_commit_callbacks):
    audit = start(
        finance,
        django_capture_on_commit_callbacks,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
    )
    assert not AuditClient.objects.filter(audit=audit, revenue__gt=0).exists()


def test_step_one_closes_only_once_every_check_is_fixed_or_acknowledged(
    audit, finance, portfolio, django_capture_on_commit_callbacks
):
    Contact.objects.filter(client=portfolio["Delta"]).delete()
    InvoiceFactory(
        client=portfolio["Alpha"], issued_on=timezone.localdate() - dt.timedelta(days=10), amount=D("100")
    )
    # The checks are those of the last computation: the ledger's changes count at a refresh.
    assert {c.code: c.count for c in selectors.audit_checks(audit)}["no_primary_contact"] == 0
    audit = refresh(audit, finance, django_capture_on_commit_callbacks)
    checks = {c.code: c for c in selectors.audit_checks(audit)}
    assert checks["no_primary_contact"].count == 1
    assert checks["no_cost_of_sales"].count == 1
    assert checks["no_invoices"].count == 0
    with pytest.raises(AuditError, match="acknowledge"):
        move(audit, finance, 2)
    with pytest.raises(AuditError, match="reason"):
        services.check_acknowledge(
            audit=audit, user=finance, version=v(audit), code="no_primary_contact", reason=" "
        )
    services.check_acknowledge(
        audit=audit, user=finance, version=v(audit), code="no_primary_contact", reason="letter by hand"
    )
    with pytest.raises(AuditError):
        move(audit, finance, 2)
    # Fixed in the ledger instead of acknowledged.
    portfolio["Alpha"].invoices.filter(cost_of_sales__isnull=True).update(cost_of_sales=D("10"))
    with pytest.raises(AuditError):
        move(audit, finance, 2)
    audit = refresh(audit, finance, django_capture_on_commit_callbacks)
    audit = move(audit, finance, 2)
    assert audit.step == 2


def test_staff_without_an_hourly_cost_and_untrusted_ledger_states_are_found(
    audit, finance, portfolio, django_capture_on_commit_callbacks
):
    newcomer = UserFactory(username="newcomer")
    InteractionFactory(
        client=portfolio["Alpha"], staff=newcomer, started_at=timezone.now() - dt.timedelta(days=3)
    )
    credit = InvoiceFactory(
        client=portfolio["Charlie"], issued_on=timezone.localdate() - dt.timedelta(days=5), amount=D("-50")
    )
    from clients.models import Payment

    Payment.objects.bulk_create(
        [Payment(invoice=credit, paid_on=timezone.localdate(), amount=D("10"))]
    )  # past the rules
    audit = refresh(audit, finance, django_capture_on_commit_callbacks)
    checks = {c.code: c for c in selectors.audit_checks(audit)}
    assert checks["staff_without_cost"].count == 1
    assert "/admin/clients/staffcost/add/" in checks["staff_without_cost"].rows[0].url
    assert checks["untrusted_ledger"].count == 1
    assert checks["untrusted_ledger"].rows[0].url.endswith(f"/{credit.pk}/change/")


def test_steps_go_forward_one_at_a_time_and_back_keeps_what_was_decided(audit, finance):
    with pytest.raises(AuditError, match="one at a time"):
        move(audit, finance, 3)
    audit = to_step(audit, finance, 5)
    bravo = AuditClient.objects.get(audit=audit, client__name="Bravo")
    services.decision_record(
        audit=audit, user=finance, version=v(audit), client_id=bravo.client_id, kind="transition", months=3
    )
    audit = move(audit, finance, 2)
    assert audit.step == 2
    assert Decision.objects.filter(audit=audit).count() == 1
    assert FlagReview.objects.filter(audit=audit).count() == 2
    steps = [e.data for e in activity_for(audit) if e.action == "audit.step_changed"]
    assert steps[0] == {"from": 5, "to": 2}


def test_step_four_cannot_close_while_a_flag_is_undecided(audit, finance):
    audit = to_step(audit, finance, 4)
    rows = list(AuditClient.objects.filter(audit=audit, is_flagged=True))
    services.flag_review(
        audit=audit,
        user=finance,
        version=v(audit),
        client_id=rows[0].client_id,
        verdict="confirm",
        reason="yes",
    )
    with pytest.raises(AuditError, match="no review"):
        move(audit, finance, 5)
    with pytest.raises(AuditError, match="reason"):
        services.flag_review(
            audit=audit,
            user=finance,
            version=v(audit),
            client_id=rows[1].client_id,
            verdict="override",
            reason="",
        )
    services.flag_review(
        audit=audit,
        user=finance,
        version=v(audit),
        client_id=rows[1].client_id,
        verdict="override",
        reason="strategic",
    )
    assert move(audit, finance, 5).step == 5


def test_a_stale_form_is_refused_with_who_changed_what_and_when(audit, finance):
    colleague = UserFactory(username="colleague", first_name="Carla", last_name="Count", role="Finance")
    audit = to_step(audit, finance, 4)
    row = AuditClient.objects.filter(audit=audit, is_flagged=True).first()
    drawn_at = v(audit)  # both open the page
    services.flag_review(
        audit=audit,
        user=colleague,
        version=drawn_at,
        client_id=row.client_id,
        verdict="confirm",
        reason="mine",
    )
    with pytest.raises(StaleAudit) as refused:
        services.flag_review(
            audit=audit,
            user=finance,
            version=drawn_at,
            client_id=row.client_id,
            verdict="override",
            reason="yours",
        )
    assert "Carla Count" in str(refused.value) and "reviewed a flag" in str(refused.value)
    assert FlagReview.objects.get(audit=audit, client=row.client).reason == "mine"


def test_decisions_check_their_parameters(audit, finance, portfolio):
    audit = to_step(audit, finance, 5)
    bravo = portfolio["Bravo"].pk
    with pytest.raises(AuditError, match="reason"):
        services.decision_record(audit=audit, user=finance, version=v(audit), client_id=bravo, kind="keep")
    with pytest.raises(AuditError, match="price increase"):
        services.decision_record(
            audit=audit, user=finance, version=v(audit), client_id=bravo, kind="reprice", uplift=D("0")
        )
    with pytest.raises(AuditError, match="months"):
        services.decision_record(
            audit=audit, user=finance, version=v(audit), client_id=bravo, kind="transition", months=0
        )
    with pytest.raises(AuditError, match="top-tier"):
        services.decision_record(audit=audit, user=finance, version=v(audit), client_id=bravo, kind="invest")
    with pytest.raises(AuditError, match="flagged clients and top-tier"):
        services.decision_record(
            audit=audit,
            user=finance,
            version=v(audit),
            client_id=portfolio["Charlie"].pk,
            kind="keep",
            reason="x",
        )
    alpha_tier = AuditClient.objects.get(audit=audit, client=portfolio["Alpha"]).tier
    assert alpha_tier == 1
    services.decision_record(
        audit=audit,
        user=finance,
        version=v(audit),
        client_id=portfolio["Alpha"].pk,
        kind="invest",
        reason="grow",
    )


def test_a_decision_assumes_no_more_than_the_client_gives(audit, finance, portfolio):
    """A price at most eleven times today's; no more hours cut than the client used (Bravo: 30 hours
    over the 12 months, 2.50 a month). A refused decision stores nothing."""
    audit = to_step(audit, finance, 5)
    bravo = portfolio["Bravo"]
    with pytest.raises(AuditError, match="2.50 service hours a month"):
        decide(audit, finance, bravo, "reduce", hours_per_month=D("2.51"))
    with pytest.raises(AuditError, match="more than 1,000 %"):
        decide(audit, finance, bravo, "reprice", uplift=D("1000.01"))
    assert not Decision.objects.filter(audit=audit).exists()
    decide(audit, finance, bravo, "reduce", hours_per_month=D("2.50"))
    decide(audit, finance, bravo, "reprice", uplift=D("1000"))
    assert Decision.objects.get(audit=audit, client=bravo).uplift == D("1000")


def test_the_what_if_of_mixed_decisions(audit, finance, portfolio):
    """Bravo repriced by 10 %, Delta transitioned out, Alpha kept."""
    rows = {r.client.name: r for r in AuditClient.objects.filter(audit=audit).select_related("client")}
    for name, kind, values in [
        ("Bravo", "reprice", {"uplift": D("10")}),
        ("Delta", "transition", {"months": 3}),
        ("Alpha", "keep", {"reason": "fine"}),
    ]:
        Decision.objects.create(audit=audit, client=portfolio[name], kind=kind, user=finance, **values)
    result = decisions.what_if(audit)
    before = sum(r.net_profit for r in rows.values())
    delta = rows["Delta"]
    assert result.net_profit_before == before
    assert result.revenue_lost == D("500.00")
    assert result.gross_margin_lost == delta.gross_margin == D("250.00")
    assert result.costs_freed == delta.gross_margin - delta.net_profit
    assert result.revenue_gained == D("80.00")
    assert result.net_profit_after == before - delta.net_profit + D("80.00")
    assert result.hours_freed == D("20.00")
    rate = D(str(audit.portfolio.figures["top_tier_profit_per_hour"]))
    assert result.net_profit_after_reinvested == (result.net_profit_after + 20 * rate).quantize(D("0.01"))
    # Concentration over the revenue left: Alpha 9000, Charlie 4000, Bravo 880.
    total = D("9000") + D("4000") + D("880")
    assert result.concentration_after.top1 == (D("9000") / total).quantize(D("0.000001"))
    assert result.concentration_after.levels["top1"] == "red"


def test_a_transition_is_decided_only_for_a_client_that_can_be_phased_out(audit, finance, portfolio):
    """Refused when decided, with the reason the completion would give, not only at completion."""
    audit = to_step(audit, finance, 5)
    bravo = portfolio["Bravo"]
    transition_create(client=bravo, user=finance, reason="Already leaving", end_date=dt.date(2027, 6, 30))
    with pytest.raises(AuditError, match="already has an open transition"):
        services.decision_record(
            audit=audit, user=finance, version=v(audit), client_id=bravo.pk, kind="transition", months=3
        )
    Client.objects.filter(pk=bravo.pk).update(status=Client.Status.FORMER)
    with pytest.raises(AuditError, match="former client: only a current client can be phased out"):
        services.decision_record(
            audit=audit, user=finance, version=v(audit), client_id=bravo.pk, kind="transition", months=3
        )
    assert not Decision.objects.filter(audit=audit, client=bravo).exists()
    services.decision_record(
        audit=audit, user=finance, version=v(audit), client_id=bravo.pk, kind="keep", reason="Left already"
    )


def test_a_transition_decided_before_the_client_left_holds_the_audit_back_in_words(audit, finance, portfolio):
    """A client phased out (or gone) after its "transition out" was decided: step 5 says so before
    completion is tried, and stops saying it once the decision is changed."""
    audit = to_step(audit, finance, 5)
    bravo = portfolio["Bravo"]
    services.decision_record(
        audit=audit, user=finance, version=v(audit), client_id=bravo.pk, kind="transition", months=3
    )
    assert not any("Transition out" in blocker for blocker in selectors.step_blockers(audit, 5))
    transition_create(client=bravo, user=finance, reason="Already leaving", end_date=dt.date(2027, 6, 30))
    blockers = selectors.step_blockers(audit, 5)
    assert (
        f"Transition out: {bravo.name} already has an open transition. Choose another decision." in blockers
    )
    services.decision_record(
        audit=audit, user=finance, version=v(audit), client_id=bravo.pk, kind="keep", reason="Leaving anyway"
    )
    assert not any("Transition out" in blocker for blocker in selectors.step_blockers(audit, 5))


def test_reduce_service_frees_the_hours_cut_at_the_clients_cost_per_hour(audit, finance, portfolio):
    Decision.objects.create(
        audit=audit, client=portfolio["Bravo"], kind="reduce", hours_per_month=D("1"), user=finance
    )
    result = decisions.what_if(audit)
    assert result.hours_freed == D("12.00")  # 1 h a month over 12 months
    assert result.costs_freed == D("720.00")  # at 60 an hour
    assert result.net_profit_after == result.net_profit_before + D("720.00")


def complete(audit, finance, portfolio):
    audit = to_step(audit, finance, 5)
    services.decision_record(
        audit=audit,
        user=finance,
        version=v(audit),
        client_id=portfolio["Bravo"].pk,
        kind="transition",
        months=6,
    )
    services.decision_record(
        audit=audit,
        user=finance,
        version=v(audit),
        client_id=portfolio["Delta"].pk,
        kind="reprice",
        uplift=D("300"),
    )
    for risk in RiskAcknowledgement.Risk.values:
        with pytest.raises(AuditError):
            services.audit_complete(audit=audit, user=finance, version=v(audit))
        services.risk_acknowledge(audit=audit, user=finance, version=v(audit), risk=risk, note="planned for")
    return services.audit_complete(audit=audit, user=finance, version=v(audit))


def test_completion_needs_every_decision_and_risk(audit, finance, portfolio):
    audit = to_step(audit, finance, 5)
    for risk in RiskAcknowledgement.Risk.values:
        services.risk_acknowledge(audit=audit, user=finance, version=v(audit), risk=risk, note="ok")
    with pytest.raises(AuditError, match="no decision"):
        services.audit_complete(audit=audit, user=finance, version=v(audit))


def test_a_completed_audit_never_changes(audit, finance, portfolio, django_capture_on_commit_callbacks):
    audit = complete(audit, finance, portfolio)
    assert audit.is_completed
    with translation.override("en"):
        assert audit.outcome_text.startswith("2 decisions, 1 client to transition out; net profit ")
    # Worded when read, in the reader's language, whoever completed the audit.
    with translation.override("fr"):
        assert audit.outcome_text.startswith("2 décisions")
    assert audit.outcome == ""  # nothing was written at completion
    frozen = list(AuditClient.objects.filter(audit=audit).order_by("client_id").values())
    frozen_portfolio = audit.portfolio.figures
    # The ledger changes and the nightly recompute runs: the audit keeps its own copies.
    InvoiceFactory(
        client=portfolio["Bravo"], issued_on=timezone.localdate() - dt.timedelta(days=1), amount=D("50000")
    )
    runs.profitability_recompute()
    assert computation.audit_compute(audit_id=audit.pk) is False
    Audit.objects.filter(pk=audit.pk).update(
        computation=Audit.Computation.QUEUED
    )  # even a task sent by mistake
    assert computation.audit_compute(audit_id=audit.pk) is False
    assert list(AuditClient.objects.filter(audit=audit).order_by("client_id").values()) == frozen
    audit.refresh_from_db()
    assert audit.portfolio.figures == frozen_portfolio
    for write in (
        lambda: computation.audit_refresh(audit=audit, user=finance, version=v(audit)),
        lambda: services.audit_move(audit=audit, user=finance, version=v(audit), step=4),
        lambda: services.risk_acknowledge(
            audit=audit, user=finance, version=v(audit), risk="team", note="late"
        ),
        lambda: services.flag_comment(
            audit=audit, user=finance, client_id=portfolio["Bravo"].pk, text="late"
        ),
    ):
        with pytest.raises(AuditError, match="completed"):
            write()


def test_the_transition_out_decisions_of_a_completed_audit(audit, finance, portfolio):
    assert services.audit_transition_decisions(audit) == []
    audit = complete(audit, finance, portfolio)
    (transition,) = services.audit_transition_decisions(audit)
    assert transition["client"] == portfolio["Bravo"]
    assert transition["months"] == 6
    assert transition["end_on"] == dt.date(2027, 5, 18)
    assert transition["decided_by"] == finance


def test_completion_starts_a_planned_transition_for_each_client_leaving(audit, finance, portfolio):
    audit = complete(audit, finance, portfolio)
    (transition,) = Transition.objects.filter(audit=audit)
    assert transition.client == portfolio["Bravo"] and transition.stage == Transition.Stage.PLANNED
    assert transition.end_date == dt.date(2027, 5, 18) and transition.created_by == finance
    assert Client.objects.get(pk=portfolio["Bravo"].pk).status == Client.Status.TRANSITIONING
    assert [e.action for e in activity_for(transition)] == ["transition.created"]


def test_completion_is_refused_when_a_leaving_client_cannot_start_a_transition(audit, finance, portfolio):
    transition_create(
        client=portfolio["Bravo"], user=finance, reason="Earlier", end_date=dt.date(2027, 1, 31)
    )
    with pytest.raises(AuditError, match="already has an open transition"):
        complete(audit, finance, portfolio)
    audit.refresh_from_db()
    assert not audit.is_completed
    assert Transition.objects.filter(client=portfolio["Bravo"]).count() == 1


def test_a_refresh_keeps_reviews_and_counts_a_cost_added_on_the_spot(
    audit, finance, portfolio, django_capture_on_commit_callbacks
):
    audit = to_step(audit, finance, 2)
    expense(audit, finance, portfolio["Alpha"], D("123.45"), timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        computation.audit_refresh(audit=audit, user=finance, version=v(audit))
    row = AuditClient.objects.get(audit=audit, client=portfolio["Alpha"])
    assert row.direct_expenses == D("123.45")
    assert [e.action for e in activity_for(audit)][:2] == ["audit.refreshed", "audit.cost_added"]


def test_account_managers_comment_on_their_own_clients_flags_only(audit, manager, portfolio):
    services.flag_comment(
        audit=audit, user=manager, client_id=portfolio["Bravo"].pk, text="They pay on time now."
    )
    with pytest.raises(AuditError):
        services.flag_comment(audit=audit, user=manager, client_id=portfolio["Delta"].pk, text="not mine")
    assert [r.client.name for r in selectors.flagged_clients(audit, user=manager)] == ["Bravo"]
    (entry,) = [e for e in activity_for(audit) if e.action == "audit.commented"]
    assert entry.user == manager


def test_an_audit_runs_on_sqlite(tmp_path):
    """The embedded default (SQLite, Celery eager): migrate, a tiny ledger, an audit from start to
    completion."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    base = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    env["CELERY_TASK_ALWAYS_EAGER"] = "true"
    script = """
import datetime as dt
from decimal import Decimal as D
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
settings.CELERY_TASK_ALWAYS_EAGER = True
from clients.models import Client, Interaction, Invoice, StaffCost
from audits.models import Audit, AuditClient
from audits.review import computation, services, selectors
user = get_user_model().objects.create(username="f")
StaffCost.objects.create(user=user, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
client = Client.objects.create(name="S", external_ref="S1", acquired_on=dt.date(2020, 1, 1))
Invoice.objects.create(client=client, number="S-1", issued_on=dt.date(2025, 3, 1), due_on=dt.date(2025, 3, 31), amount=D("100"), cost_of_sales=D("50"))
Interaction.objects.create(client=client, staff=user, kind="call", started_at=timezone.make_aware(dt.datetime(2025, 5, 5, 10)), duration_minutes=600)
audit = computation.audit_start(user=user, title="T", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), scope="all")
audit.refresh_from_db()
row = AuditClient.objects.get(audit=audit)
print("FIGURES", audit.computation, row.revenue, row.cost_to_serve, row.net_profit, row.is_flagged)
def v():
    audit.refresh_from_db()
    return audit.version
for check in selectors.audit_checks(audit):
    if not check.is_clear:
        services.check_acknowledge(audit=audit, user=user, version=v(), code=check.code, reason="r")
for step in (2, 3, 4):
    services.audit_move(audit=audit, user=user, version=v(), step=step)
services.flag_review(audit=audit, user=user, version=v(), client_id=client.pk, verdict="confirm", reason="r")
services.audit_move(audit=audit, user=user, version=v(), step=5)
services.decision_record(audit=audit, user=user, version=v(), client_id=client.pk, kind="transition", months=2)
for risk in ("revenue", "reputation", "team", "concentration"):
    services.risk_acknowledge(audit=audit, user=user, version=v(), risk=risk, note="n")
audit = services.audit_complete(audit=audit, user=user, version=v())
print("DONE", audit.status, len(services.audit_transition_decisions(audit)))
"""
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    # GM 50, CTS 10 h x 60, LPC 100 x 8 % / 365 x 275 days open past due up to the period's end.
    assert "FIGURES done 100.00 600.00 -556.03 True" in run.stdout
    assert "DONE completed 1" in run.stdout


def test_over_the_nightly_period_declining_also_compares_with_the_previous_snapshot(
    finance, portfolio, django_capture_on_commit_callbacks, monkeypatch
):
    asked = []

    def previous(as_of):
        asked.append(as_of)
        return {portfolio["Bravo"].pk: D("100.00")}  # profitable in yesterday's snapshot

    monkeypatch.setattr(runs, "previous_net_profit", previous)
    audit = start(finance, django_capture_on_commit_callbacks)
    assert asked == [timezone.localdate()]
    assert AuditClient.objects.get(audit=audit, client=portfolio["Bravo"]).is_declining
    assert not AuditClient.objects.get(audit=audit, client=portfolio["Alpha"]).is_declining
    start(
        finance,
        django_capture_on_commit_callbacks,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
    )
    assert asked == [timezone.localdate()]  # no snapshot holds a quarter's figures


@pytest.mark.parametrize("second, flagged", [(D("388.89"), False), (D("388.90"), True)])
def test_an_invoice_paid_in_full_in_instalments_is_trusted_a_cent_over_is_not(
    audit, finance, portfolio, django_capture_on_commit_callbacks, second, flagged
):
    from clients.models import Payment

    invoice = InvoiceFactory(
        client=portfolio["Alpha"], issued_on=timezone.localdate() - dt.timedelta(days=40), amount=D("878.93")
    )
    Payment.objects.bulk_create(
        [
            Payment(
                invoice=invoice, paid_on=timezone.localdate() - dt.timedelta(days=20), amount=D("490.04")
            ),
            Payment(invoice=invoice, paid_on=timezone.localdate() - dt.timedelta(days=10), amount=second),
        ]
    )  # past the rules, as an old import might have left it
    audit = refresh(audit, finance, django_capture_on_commit_callbacks)
    checks = {c.code: c for c in selectors.audit_checks(audit)}
    assert (checks["untrusted_ledger"].count == 1) is flagged


LIMITS = {"top1": ["0.1", "0.2"], "top5": ["0.3", "0.5"], "top10": ["0.4", "0.6"], "hhi": ["1500", "2500"]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_what_if_concentration_from_sums_matches_the_portfolio_rule(finance, seed):
    """The what-if reads the decided clients, three sums and the largest revenues; its concentration
    must be the portfolio rule's over every client's revenue after the decisions, including when the
    largest clients leave or a repriced client becomes one of the largest."""
    import random

    from audits.models import AuditPortfolio
    from audits.profitability import portfolio as pm

    rng = random.Random(seed)
    audit = Audit.objects.create(
        title="Sums", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), owner=finance
    )
    AuditPortfolio.objects.create(audit=audit, figures={"top_tier_profit_per_hour": "40"}, limits=LIMITS)
    clients = ClientFactory.create_batch(40)
    rows = []
    for client in clients:
        revenue = D(rng.choice([0, -100, rng.randint(1, 5000), rng.randint(1, 200000)])) / 100
        rows.append(
            AuditClient(
                audit=audit,
                client=client,
                status=client.status,
                in_portfolio=rng.random() > 0.1,
                revenue=revenue,
                gross_margin=revenue / 2,
                net_profit=revenue / 4,
                cost_to_serve=revenue / 4,
                service_minutes=rng.randint(0, 600),
            )
        )
    AuditClient.objects.bulk_create(rows)
    by_revenue = sorted(rows, key=lambda r: r.revenue, reverse=True)
    decided = by_revenue[:6] + rng.sample(by_revenue[6:], 10)  # the largest clients are decided
    for row in decided:
        kind = rng.choice(["transition", "reprice", "keep", "reduce"])
        Decision.objects.create(
            audit=audit,
            client=row.client,
            kind=kind,
            uplift=D(rng.randint(1, 900)) if kind == "reprice" else None,
            hours_per_month=D("2") if kind == "reduce" else None,
            months=3 if kind == "transition" else None,
            reason="r",
            user=finance,
        )

    result = decisions.what_if(audit)

    decided = {d.client_id: d for d in Decision.objects.filter(audit=audit)}
    before, after = {}, {}
    for row in rows:
        if not row.in_portfolio:
            continue
        before[row.client_id] = row.revenue
        decision = decided.get(row.client_id)
        if decision and decision.kind == "transition":
            continue
        gain = D(0)
        if decision and decision.kind == "reprice" and row.revenue > 0:
            gain = (row.revenue * decision.uplift / 100).quantize(D("0.01"))
        after[row.client_id] = row.revenue + gain
    limits = {name: (D(a), D(r)) for name, (a, r) in LIMITS.items()}
    assert result.concentration_before == pm.concentration(before, limits)
    assert result.concentration_after == pm.concentration(after, limits)
    assert result.revenue_gained == sum(after.values()) - sum(before.values()) + result.revenue_lost


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_kept_counts_follow_every_review_and_decision(
    audit, finance, portfolio, django_capture_on_commit_callbacks, seed
):
    """Steps 4 and 5 read what holds them back, and the what-if, from what the audit keeps: after
    any sequence of reviews (confirm, override, changed again), decisions and a refresh, they equal
    a full count and a what-if computed afresh."""
    import random

    rng = random.Random(seed)

    def assert_kept():
        audit.refresh_from_db()
        assert {
            "flags_undecided": audit.flags_undecided,
            "decisions_missing": audit.decisions_missing,
        } == selectors.audit_counts(audit)
        fresh = Audit.objects.get(pk=audit.pk)
        assert decisions.what_if_kept(fresh) == decisions.what_if(fresh)
        # Every decision kept still stands: none on a flag overridden or gone.
        assert not selectors.stale_decisions(fresh).exists()

    flagged = [portfolio["Bravo"].pk, portfolio["Delta"].pk]
    audit = to_step(audit, finance, 3)
    audit = move(audit, finance, 4)
    assert_kept()
    assert audit.flags_undecided == 2
    for client_id in rng.sample(flagged, 2):
        services.flag_review(
            audit=audit,
            user=finance,
            version=v(audit),
            client_id=client_id,
            verdict=rng.choice(["confirm", "override"]),
            reason="seen",
        )
        assert_kept()
    audit = move(audit, finance, 5)
    for step in range(12):
        client_id = rng.choice(flagged)
        action = rng.choice(["review", "decide", "refresh"] if step % 5 == 4 else ["review", "decide"])
        if action == "review":
            services.flag_review(
                audit=audit,
                user=finance,
                version=v(audit),
                client_id=client_id,
                verdict=rng.choice(["confirm", "override"]),
                reason="again",
            )
        elif action == "decide":
            confirmed = FlagReview.objects.filter(
                audit=audit, client_id=client_id, verdict="confirm"
            ).exists()
            with (
                contextlib.nullcontext()
                if confirmed
                else pytest.raises(AuditError, match="flag is confirmed")
            ):
                services.decision_record(
                    audit=audit,
                    user=finance,
                    version=v(audit),
                    client_id=client_id,
                    kind=rng.choice(["keep", "transition", "reprice", "reduce"]),
                    months=3,
                    uplift=D("12.5"),
                    hours_per_month=D("1"),
                    reason="because",
                )
        else:
            audit = refresh(audit, finance, django_capture_on_commit_callbacks)
        assert_kept()


def test_what_holds_step_five_back_counts_in_words_that_agree(audit, finance, portfolio):
    """One client left undecided reads "1 flagged client has ...", two read "2 flagged clients have ..."."""
    audit = to_step(audit, finance, 5)
    flagged = list(
        AuditClient.objects.filter(audit=audit, is_flagged=True).values_list("client_id", flat=True)
    )
    assert len(flagged) == 2
    assert "2 flagged clients have no decision yet." in selectors.step_blockers(audit, 5)
    services.decision_record(
        audit=audit, user=finance, version=v(audit), client_id=flagged[0], kind="keep", reason="strategic"
    )
    audit.refresh_from_db()
    assert "1 flagged client has no decision yet." in selectors.step_blockers(audit, 5)


def test_a_decision_on_a_flag_overridden_since_is_withdrawn_and_never_carried_out(audit, finance, portfolio):
    """Decided at step 5, then the flag overridden at step 4: the client is kept as it is; the
    decision is withdrawn (logged), leaves the what-if, and completing starts no transition."""
    audit = to_step(audit, finance, 5)
    decide(audit, finance, portfolio["Bravo"], "transition", months=3)
    assert decisions.what_if(audit).leaving == 1
    move(audit, finance, 4)
    review(audit, finance, portfolio["Bravo"], "override", reason="New framework agreement: kept after all")
    assert not Decision.objects.filter(audit=audit, client=portfolio["Bravo"]).exists()
    assert decisions.what_if(audit).leaving == 0
    withdrawn = [e for e in activity_for(audit) if e.action == "audit.decision_withdrawn"]
    assert [(e.user, e.data["decision"]) for e in withdrawn] == [(finance, "transition")]
    # Newest first: the withdrawal reads after the review that caused it.
    assert [e.action for e in activity_for(audit)][:2] == ["audit.decision_withdrawn", "audit.flag_reviewed"]
    # An overridden flag takes no decision but "invest" (top tier only).
    audit = move(audit, finance, 5)
    with pytest.raises(AuditError, match="whose flag is confirmed"):
        decide(audit, finance, portfolio["Bravo"], "transition", months=3)
    decide(audit, finance, portfolio["Delta"], "keep", reason="Known")
    for risk in RiskAcknowledgement.Risk.values:
        services.risk_acknowledge(audit=audit, user=finance, version=v(audit), risk=risk, note="ok")
    services.audit_complete(audit=audit, user=finance, version=v(audit))
    assert not Transition.objects.filter(client=portfolio["Bravo"]).exists()


def test_a_decision_on_a_client_a_refresh_no_longer_flags_is_withdrawn(
    audit, finance, portfolio, django_capture_on_commit_callbacks
):
    audit = to_step(audit, finance, 5)
    decide(audit, finance, portfolio["Bravo"], "transition", months=3)
    decide(audit, finance, portfolio["Delta"], "keep", reason="Known")
    # Bravo's new invoice makes it profitable: the refresh no longer flags it.
    InvoiceFactory(
        client=portfolio["Bravo"],
        issued_on=timezone.localdate() - dt.timedelta(days=10),
        due_on=timezone.localdate() + dt.timedelta(days=20),
        amount=D("30000"),
        cost_of_sales=D("10000"),
    )
    audit = refresh(audit, finance, django_capture_on_commit_callbacks)
    assert not AuditClient.objects.get(audit=audit, client=portfolio["Bravo"]).is_flagged
    assert list(Decision.objects.filter(audit=audit).values_list("client__name", flat=True)) == ["Delta"]
    assert decisions.what_if(audit).leaving == 0
    (entry,) = [e for e in activity_for(audit) if e.action == "audit.decision_withdrawn"]
    assert entry.data["client"] == portfolio["Bravo"].pk


def test_a_client_won_after_the_period_is_not_one_without_invoices_in_it(
    finance, portfolio, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    ClientFactory(name="Won since", acquired_on=today - dt.timedelta(days=5))
    ClientFactory(name="Silent", acquired_on=today - dt.timedelta(days=900))
    audit = start(
        finance,
        django_capture_on_commit_callbacks,
        period_start=today - dt.timedelta(days=400),
        period_end=today - dt.timedelta(days=30),
    )
    (check,) = [c for c in selectors.audit_checks(audit) if c.code == "no_invoices"]
    names = {row.client.name for row in selectors.check_rows(audit, "no_invoices")}
    assert "Silent" in names and "Won since" not in names
    assert check.count == len(names)


def test_a_former_client_counts_in_the_figures_but_is_not_flagged_for_a_decision(
    finance, manager, portfolio, django_capture_on_commit_callbacks
):
    gone = ClientFactory(name="Gone", status=Client.Status.FORMER, account_manager=manager)
    InteractionFactory(
        client=gone, staff=manager, started_at=timezone.now() - dt.timedelta(days=20), duration_minutes=600
    )
    audit = start(finance, django_capture_on_commit_callbacks)
    row = AuditClient.objects.get(audit=audit, client=gone)
    assert row.in_portfolio and row.is_unprofitable  # its loss is in the figures
    assert not row.is_flagged  # nothing is left to decide on it
    assert gone.pk not in {r.client_id for r in selectors.flagged_clients(audit)}
    # The count of unprofitable clients says it holds a client no flag puts up for review.
    assert selectors.unprofitable_unflagged(audit) == 1
    import io

    import openpyxl
    from django.test import Client as Browser

    http = Browser()
    http.force_login(finance)
    body = http.get(f"/audits/{audit.pk}/").content.decode()
    assert "1 former client among them, not flagged" in body
    report = b"".join(http.get(f"/audits/{audit.pk}/report.xlsx").streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(report))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    assert summary["Unprofitable clients"] == 3 and summary["of which former clients, not flagged"] == 1
