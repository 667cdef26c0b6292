"""Every figure of docs/figures.md, pinned by a small hand-computed portfolio.

As of 2025-12-31 (period 2025-01-01 .. 2025-12-31), default settings: late-payment rate 8 %,
default margin 50 %, amortisation 24 months, referral share 10 %.
"""

import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from audits.models import ClientSnapshot, PortfolioSnapshot
from audits.profitability import engine, runs
from audits.profitability.client import client_months
from clients.models import Client
from tests.factories import (
    ClientFactory,
    ExpenseFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    StaffCostFactory,
)

AS_OF = dt.date(2025, 12, 31)
BRUSSELS = ZoneInfo("Europe/Brussels")


def at(day, hour=10):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BRUSSELS)


@pytest.fixture
def ledger(manager):
    # The manager's hourly cost changes mid-period: 60 until June, 90 from July.
    StaffCostFactory(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    StaffCostFactory(user=manager, effective_from=dt.date(2025, 7, 1), hourly_cost=D("90"))
    a = ClientFactory(
        name="A", account_manager=manager, acquired_on=dt.date(2024, 1, 1), acquisition_cost=D("2400")
    )
    b = ClientFactory(name="B", account_manager=manager, acquired_on=dt.date(2024, 6, 1), referred_by=a)
    c = ClientFactory(name="C", account_manager=manager, referred_by=b)
    d = ClientFactory(name="D", account_manager=manager)
    prospect = ClientFactory(
        name="P",
        account_manager=manager,
        status="prospect",
        acquired_on=None,
        estimated_annual_margin=D("3000"),
    )

    a1 = InvoiceFactory(
        client=a,
        issued_on=dt.date(2025, 3, 1),
        due_on=dt.date(2025, 3, 31),
        amount=D("10000"),
        cost_of_sales=D("6000"),
    )
    PaymentFactory(invoice=a1, paid_on=dt.date(2025, 3, 31), amount=D("6000"))  # on time
    PaymentFactory(invoice=a1, paid_on=dt.date(2025, 4, 10), amount=D("4000"))  # partial, 10 days late
    InvoiceFactory(
        client=a, issued_on=dt.date(2025, 11, 1), due_on=dt.date(2025, 12, 1), amount=D("5000")
    )  # unpaid
    InvoiceFactory(
        client=a, issued_on=dt.date(2025, 6, 1), due_on=dt.date(2025, 6, 1), amount=D("-1000")
    )  # credit note
    before = InvoiceFactory(client=a, issued_on=dt.date(2024, 12, 1), amount=D("999"))  # before the period
    PaymentFactory(invoice=before)  # on its due date, 2024-12-31
    InteractionFactory(client=a, staff=manager, started_at=at(dt.date(2025, 3, 10)), duration_minutes=120)
    InteractionFactory(client=a, staff=manager, started_at=at(dt.date(2025, 9, 10)), duration_minutes=60)
    ExpenseFactory(client=a, spent_on=dt.date(2025, 5, 1), category="commission", amount=D("300"))

    InvoiceFactory(
        client=b,
        issued_on=dt.date(2025, 2, 1),
        due_on=dt.date(2025, 3, 3),
        amount=D("2000"),
        cost_of_sales=D("500"),
        written_off=D("2000"),
    )
    c1 = InvoiceFactory(client=c, issued_on=dt.date(2025, 4, 1), due_on=dt.date(2025, 5, 1), amount=D("1000"))
    PaymentFactory(invoice=c1, paid_on=dt.date(2025, 5, 1), amount=D("1000"))
    InteractionFactory(client=d, staff=manager, started_at=at(dt.date(2025, 2, 1)), duration_minutes=30)
    InteractionFactory(
        client=prospect, staff=manager, started_at=at(dt.date(2025, 10, 1)), duration_minutes=45
    )
    return {"a": a, "b": b, "c": c, "d": d, "p": prospect}


@pytest.fixture
def snapshot(ledger):
    runs.profitability_recompute(as_of=AS_OF)
    return {key: ClientSnapshot.objects.get(client=client, as_of=AS_OF) for key, client in ledger.items()}


def test_it_computes_every_figure_of_a_client(snapshot):
    a = snapshot["a"]
    assert a.revenue == D("14000.00")  # 10,000 + 5,000 - 1,000 credit note; 2024 invoice outside
    assert a.gross_margin == D("6000.00")  # 4,000 + 5,000 x 50 % - 1,000 x 50 %
    assert a.cost_to_serve == D("210.00")  # 2 h x 60 (March) + 1 h x 90 (September)
    assert a.service_minutes == 180
    assert a.direct_expenses == D("300.00")
    assert a.acquisition_share == D("1200.00")  # 2,400 / 24 x 12
    # 4,000 paid 10 days late, 5,000 open 30 days past due at the as-of date: (40,000 + 150,000) x 8 % / 365
    assert a.late_payment_cost == D("41.64")
    assert a.bad_debt == D("0.00")
    assert a.net_profit == D("4248.36")
    assert a.net_margin == D("0.303454")
    assert a.profit_per_hour == D("1416.12")
    assert a.indirect_value == D("150.00")  # 10 % of B's gross margin; C (B's referral) does not count
    assert a.net_profit_with_indirect == D("4398.36")


def test_it_reads_payment_behaviour(snapshot):
    a = snapshot["a"]
    assert a.average_days_late == D("4.000000")  # (6,000 x 0 + 4,000 x 10) / 10,000
    assert a.average_days_to_pay == D("34.000000")  # (6,000 x 30 + 4,000 x 40) / 10,000
    assert a.open_receivables == D("5000.00")
    assert a.open_overdue == D("5000.00")
    assert (a.ageing_current, a.ageing_1, a.ageing_2) == (D("0"), D("5000.00"), D("0"))
    assert a.dso == D("130.357143")  # 5,000 / 14,000 x 365


def test_it_counts_a_write_off_as_bad_debt_and_no_late_cost(snapshot):
    b = snapshot["b"]
    assert b.revenue == D("2000.00")
    assert b.gross_margin == D("1500.00")
    assert b.bad_debt == D("2000.00")
    assert b.late_payment_cost == D("0.00")
    assert b.open_receivables == D("0.00")
    assert b.net_profit == D("-500.00")
    assert b.is_unprofitable
    assert b.indirect_value == D("50.00")  # its own referral, C
    assert b.breakeven_price_increase == D("0.250000")
    assert b.breakeven_hours_to_cut is None
    assert not b.breakeven_by_prompt_payment


def test_a_client_without_revenue_has_no_net_margin(snapshot):
    d = snapshot["d"]
    assert d.revenue == D("0.00")
    assert d.net_profit == D("-30.00")
    assert d.net_margin is None
    assert d.dso is None
    assert d.profit_per_hour == D("-60.00")
    assert d.breakeven_price_increase is None
    assert d.breakeven_hours_to_cut == D("0.50")


def test_it_ranks_and_classes_the_portfolio(snapshot):
    ranks = {key: s.rank_net_profit for key, s in snapshot.items()}
    assert ranks == {"a": 1, "c": 2, "d": 3, "b": 4, "p": None}
    assert snapshot["a"].abc_class == "A"
    assert not snapshot["p"].in_portfolio
    portfolio = PortfolioSnapshot.objects.get(as_of=AS_OF)
    assert portfolio.clients == 4  # D only costs hours: ranked
    assert portfolio.clients_with_revenue == 3
    assert portfolio.dormant == 0
    assert portfolio.revenue == D("17000.00")
    assert portfolio.top_clients == 1  # 3 x 20 % = 0.6 -> at least one
    assert portfolio.top20_share_revenue == D("0.823529")  # 14,000 / 17,000
    assert portfolio.unprofitable == 2
    # Tiers count the clients with revenue (not D): mean GM (6,000 + 1,500 + 500) / 3 = 2,666.67,
    # tier 1 from 3,200, tier 3 under 2,133.33.
    assert portfolio.mean_gross_margin == D("2666.67")
    assert portfolio.tier_counts == [1, 0, 2]
    assert snapshot["d"].tier is None
    assert snapshot["d"].abc_class == ""
    assert portfolio.mean_acquisition_cost == D("2400.00")
    assert portfolio.effort_budget == ["2880.00", "2400.00", "1920.00"]


def test_a_prospect_gets_a_budget_from_its_estimated_margin(snapshot):
    p = snapshot["p"]
    assert p.tier == 2  # estimated 3,000: from 2,133.33, under 3,200
    assert p.effort_budget == D("2400.00")
    assert p.effort_spent == D("67.50")  # 45 min at 90
    assert not p.over_budget


def test_the_monthly_trend_adds_up(snapshot, ledger):
    rows = {r.month: r for r in client_months(ledger["a"], as_of=AS_OF)}
    march = rows[dt.date(2025, 3, 1)]
    assert march.revenue == D("10000.00")
    assert march.gross_margin == D("4000.00")
    assert march.cost_to_serve == D("120.00")
    assert march.acquisition_share == D("100.00")
    # The March invoice is late from 1 April: its late-payment cost falls in April, not March.
    assert march.late_payment_cost == D("0.00")
    assert march.net_profit == D("3780.00")
    assert rows[dt.date(2025, 4, 1)].late_payment_cost == D("8.77")  # 4,000 x 10 days x 8 % / 365
    assert rows[dt.date(2025, 4, 1)].average_days_late == D("10.000000")  # the payment made in April
    # 5,000 open from 2 December: 30 days x 8 % / 365 = 32.877
    assert rows[dt.date(2025, 12, 1)].late_payment_cost == D("32.88")
    # Rounded month by month, 8.77 + 32.88 is a cent over the year's 41.64 (8.767 + 32.877 = 41.644).
    assert sum(row.late_payment_cost for row in rows.values()) == D("41.65")
    assert rows[dt.date(2025, 9, 1)].cost_to_serve == D("90.00")
    for row in rows.values():
        assert row.net_profit == (
            row.gross_margin
            - row.cost_to_serve
            - row.direct_expenses
            - row.acquisition_share
            - row.late_payment_cost
            - row.bad_debt
        )


def test_it_computes_the_lifetime(snapshot):
    a = snapshot["a"]
    # Since January 2024: the 2024 invoice (999 x 50 %) and 24 months of amortisation (2,400).
    assert a.lifetime_net_profit == D("4248.36") + D("499.50") - D("1200.00")
    assert a.lifetime_roi == D("1.478275")  # 3,547.86 / 2,400
    # (NP + AQ) per month = 5,448.36 / 12 = 454.03 -> 2,400 / 454.03 months
    assert a.payback_months == D("5.285994")


def test_a_second_run_the_same_day_replaces_the_rows(snapshot, ledger):
    run = runs.profitability_recompute(as_of=AS_OF)
    assert ClientSnapshot.objects.filter(as_of=AS_OF).count() == 5
    assert set(ClientSnapshot.objects.values_list("run", flat=True)) == {run.pk}
    assert PortfolioSnapshot.objects.filter(as_of=AS_OF).count() == 1


def test_crossing_into_loss_since_the_last_snapshot_is_declining(ledger):
    runs.profitability_recompute(as_of=dt.date(2025, 12, 30))
    InvoiceFactory(
        client=ledger["c"], issued_on=dt.date(2025, 12, 31), amount=D("3000"), cost_of_sales=D("4000")
    )
    runs.profitability_recompute(as_of=AS_OF)
    c = ClientSnapshot.objects.get(client=ledger["c"], as_of=AS_OF)
    assert c.net_profit == D("-500.00")
    assert c.is_declining


def test_the_period_can_be_chosen_and_scoped(ledger):
    result = engine.compute(
        as_of=AS_OF,
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 3, 31),
        scope=ledger["a"].__class__.objects.filter(pk__in=[ledger["a"].pk]),
    )
    assert set(result.clients) == {ledger["a"].pk}
    a = result.clients[ledger["a"].pk]
    assert a.figures.revenue == D("10000.00")
    assert a.figures.acquisition_share == D("100.00")
    assert a.values["indirect_value"] == D("0.00")  # B issued nothing in March


def test_top_20_percent_bring_80_percent(finance):
    from audits.reports.dashboard import dashboard_for

    clients = ClientFactory.create_batch(100)
    for index, client in enumerate(clients):
        InvoiceFactory(
            client=client, issued_on=dt.date(2025, 6, 1), amount=D("4000") if index < 20 else D("250")
        )
    runs.profitability_recompute(as_of=AS_OF)
    portfolio = PortfolioSnapshot.objects.get(as_of=AS_OF)
    assert portfolio.revenue == D("100000.00")
    assert portfolio.top20_share_revenue == D("0.800000")
    assert portfolio.clients_for_80_percent == 20
    assert portfolio.class_counts == {"A": 20, "B": 60, "C": 20}
    # What the dashboard's sentence reads: the top 20 % (20 clients) bring 80 % of revenue.
    board = dashboard_for(user=finance)
    assert (board.top_clients, board.top20_share) == (20, D("0.800000"))


def test_the_portfolio_concentration_and_whale_curve(snapshot):
    portfolio = PortfolioSnapshot.objects.get(as_of=AS_OF)
    assert portfolio.top1_share == D("0.823529")  # A: 14,000 of 17,000
    assert portfolio.top5_share == D("1.000000")
    assert portfolio.concentration_levels["top1"] == "red"
    # HHI: (14,000 / 17,000 x 100)^2 + (2,000 / ...)^2 + (1,000 / ...)^2 = 6,782.0 + 138.4 + 34.6
    assert portfolio.hhi == D("6955.02")
    # NP 4,248.36 + 500 - 30 - 500 = 4,218.36: the best half earn 4,748.36 / 4,218.36 = 112.6 %
    assert portfolio.whale_peak_client_share == D("0.500000")
    assert portfolio.whale_peak_profit_share == D("1.125641")


def test_overheads_are_shared_by_service_hours(ledger):
    from clients.models import CostSettings

    settings = CostSettings.load()
    settings.overheads_per_month = D("100")
    settings.save()
    runs.profitability_recompute(as_of=AS_OF)
    a = ClientSnapshot.objects.get(client=ledger["a"], as_of=AS_OF)
    d = ClientSnapshot.objects.get(client=ledger["d"], as_of=AS_OF)
    # 1,200 of overheads over 210 service minutes in the portfolio (A 180, D 30; the prospect is out)
    assert a.overhead_share == D("1028.57")
    assert a.net_profit_after_overhead == D("4248.36") - D("1028.57")
    assert d.overhead_share == D("171.43")
    assert PortfolioSnapshot.objects.get(as_of=AS_OF).overheads == D("1200.00")


@pytest.mark.parametrize("allocation", ["hours", "revenue"])
def test_a_scoped_computation_shares_the_firms_overheads_by_the_firms_hours(ledger, allocation):
    """An audit of some clients gives each the share of the overheads it has in the whole firm:
    the group does not bear the overheads of the clients outside it."""
    from clients.models import CostSettings

    settings = CostSettings.load()
    settings.overheads_per_month = D("100")
    settings.overhead_allocation = allocation
    settings.save()
    whole = engine.compute(as_of=AS_OF)
    scoped = engine.compute(as_of=AS_OF, scope=Client.objects.filter(pk=ledger["a"].pk))
    share = scoped.clients[ledger["a"].pk].values["overhead_share"]
    assert share == whole.clients[ledger["a"].pk].values["overhead_share"]
    # By hours: A's 180 of the firm's 210 minutes (not 180 of 180: all 1,200 of the overheads).
    # By revenue: A's 14,000 of the firm's 17,000.
    assert share == {"hours": D("1028.57"), "revenue": D("988.24")}[allocation]
    assert scoped.portfolio["net_profit_after_overhead"] == scoped.portfolio["net_profit"] - share


def test_the_hourly_cost_in_force_is_read_on_the_local_date(manager):
    StaffCostFactory(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    StaffCostFactory(user=manager, effective_from=dt.date(2025, 7, 1), hourly_cost=D("90"))
    client = ClientFactory(account_manager=manager)
    # 00:30 in Brussels on 1 July is still 30 June in UTC: the new rate applies.
    InteractionFactory(client=client, staff=manager, started_at=at(dt.date(2025, 7, 1), 0).replace(minute=30))
    InteractionFactory(
        client=client, staff=manager, started_at=at(dt.date(2025, 6, 30), 23).replace(minute=30)
    )
    result = engine.compute(as_of=AS_OF)
    assert result.clients[client.pk].figures.cost_to_serve == D("75.00")  # 30 min at 90 + 30 min at 60


def test_what_if_a_set_of_clients_leaves(snapshot, ledger):
    from audits.profitability import portfolio as pm
    from audits.profitability.runs import portfolio_latest

    latest = portfolio_latest()
    rows = ClientSnapshot.objects.filter(as_of=latest.as_of, in_portfolio=True)
    figures = {row.client_id: pm.ClientFigures.of(row) for row in rows}

    def what_if_latest(leaving):
        return pm.what_if(figures, leaving, reinvest_np_per_hour=latest.top_tier_profit_per_hour)

    result = what_if_latest([ledger["b"].pk, ledger["d"].pk])
    assert result.leaving == 2
    assert result.revenue_lost == D("2000.00")
    assert result.net_profit_before == D("4218.36")
    assert result.net_profit_after == D("4748.36")  # the two loss makers gone
    assert result.hours_freed == D("0.50")  # D's half hour
    # re-invested at the top tier's NP per hour (A: 4,248.36 / 3 h = 1,416.12)
    assert result.net_profit_after_reinvested == D("5456.42")
    assert what_if_latest([]).net_profit_after == result.net_profit_before


def test_boundaries_of_the_period_the_ageing_and_the_acquisition(manager):
    """As of 2025-11-15 (period 2024-11-16 .. 2025-11-15), a client acquired on 2025-03-10."""
    as_of = dt.date(2025, 11, 15)
    StaffCostFactory(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    e = ClientFactory(name="E", account_manager=manager, acquired_on=dt.date(2025, 3, 10))
    # Due on the as-of date: not yet due, so in the current bucket.
    InvoiceFactory(client=e, issued_on=dt.date(2025, 10, 16), due_on=as_of, amount=D("500"))
    # Issued before the period, paid inside it 20 days late: its days late count for the period.
    before = InvoiceFactory(
        client=e, issued_on=dt.date(2024, 10, 1), due_on=dt.date(2024, 10, 31), amount=D("1000")
    )
    PaymentFactory(invoice=before, paid_on=dt.date(2024, 11, 20), amount=D("1000"))
    # A payment recorded on a credit note counts nowhere.
    credit = InvoiceFactory(
        client=e, issued_on=dt.date(2025, 5, 1), due_on=dt.date(2025, 5, 1), amount=D("-100")
    )
    PaymentFactory(invoice=credit, paid_on=dt.date(2025, 5, 2), amount=D("100"))
    # Interactions: the day before acquisition (not lifetime), the acquisition day's local midnight
    # (lifetime), and the local midnight after the as-of date (outside everything).
    InteractionFactory(client=e, staff=manager, started_at=at(dt.date(2025, 3, 9), 23), duration_minutes=60)
    InteractionFactory(client=e, staff=manager, started_at=at(dt.date(2025, 3, 10), 0), duration_minutes=30)
    InteractionFactory(client=e, staff=manager, started_at=at(dt.date(2025, 11, 16), 0), duration_minutes=600)

    values = engine.compute(as_of=as_of).clients[e.pk]
    f = values.figures
    assert f.revenue == D("400.00")  # 500 - 100; the 2024-10 invoice is before the period
    assert values.values["ageing_current"] == D("500.00")
    assert values.values["ageing_1"] == D("0.00")
    assert values.values["average_days_late"] == D("20.000000")
    assert f.service_minutes == 90
    assert f.cost_to_serve == D("90.00")
    # Lifetime since 2025-03-10: GM 50 % of (500 - 100) = 200, minus 30 minutes at 60 = 30.
    assert values.values["lifetime_net_profit"] == D("170.00")


def test_an_unknown_acquisition_cost_is_not_zero(ledger):
    """A's acquisition cost 2,400; D's is known to be 0 (a free client); B's and C's are unknown."""
    from audits.profitability import client as selectors
    from clients.models import Client

    Client.objects.filter(pk=ledger["d"].pk).update(acquisition_cost=D("0"))
    runs.profitability_recompute(as_of=AS_OF)
    portfolio = PortfolioSnapshot.objects.get(as_of=AS_OF)
    # The mean is over the known costs, the free client included: (2,400 + 0) / 2 = 1,200.
    assert portfolio.mean_acquisition_cost == D("1200.00")
    assert (portfolio.acquisition_costs_known, portfolio.acquisition_costs_unknown) == (2, 2)
    assert portfolio.effort_budget == ["1440.00", "1200.00", "960.00"]  # x 1.2 / 1.0 / 0.8
    b, d = (ClientSnapshot.objects.get(client=ledger[key], as_of=AS_OF) for key in "bd")
    # B, acquired 2024-06-01 at an unknown cost: nothing to amortise, no ROI, no payback.
    assert b.acquisition_share == D("0.00")
    assert b.net_profit == D("-500.00")  # 1,500 GM - 2,000 written off
    assert (b.lifetime_roi, b.payback_months) == (None, None)
    assert d.lifetime_roi is None  # a cost of 0 gives no ROI either
    months = {row.month: row for row in client_months(ledger["b"], as_of=AS_OF)}
    assert months and {row.acquisition_share for row in months.values()} == {D("0.00")}
    assert months[dt.date(2025, 2, 1)].net_profit == D("-500.00")
    trend = selectors.client_month_trend(ledger["b"], as_of=AS_OF)
    assert len(trend) == 24 and {row.acquisition_share for row in trend} == {D("0.00")}
