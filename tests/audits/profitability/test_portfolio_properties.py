"""Invariants of the portfolio maths, for any portfolio (hypothesis)."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.profitability import portfolio as pm

amounts = st.decimals(
    min_value=D("-50000"), max_value=D("200000"), places=2, allow_nan=False, allow_infinity=False
)
positive = st.decimals(
    min_value=D("0"), max_value=D("200000"), places=2, allow_nan=False, allow_infinity=False
)

figures = st.builds(
    pm.ClientFigures,
    client_id=st.integers(min_value=1, max_value=10**6),
    revenue=amounts,
    gross_margin=amounts,
    cost_to_serve=positive,
    direct_expenses=positive,
    acquisition_share=positive,
    late_payment_cost=positive,
    bad_debt=positive,
    service_minutes=st.integers(min_value=0, max_value=100000),
)
portfolios = st.lists(figures, max_size=40, unique_by=lambda f: f.client_id).map(
    lambda items: {f.client_id: f for f in items}
)
LIMITS = {
    "top1": (D("0.1"), D("0.2")),
    "top5": (D("0.3"), D("0.5")),
    "top10": (D("0.5"), D("0.7")),
    "hhi": (D("1500"), D("2500")),
}
boundary_sets = st.lists(
    st.decimals(min_value=D("0.1"), max_value=D("3"), places=2), min_size=2, max_size=4, unique=True
).map(sorted)


@given(st.dictionaries(st.integers(1, 10**6), positive, min_size=1, max_size=60))
def test_cumulative_shares_end_at_one(revenue):
    order = pm.ranked(revenue)
    shares = pm.cumulative_shares(revenue, order)
    if sum(revenue.values()) == 0:
        assert all(share is None for share in shares.values())
    else:
        assert shares[order[-1]] == 1
        values = [shares[cid] for cid in order]
        assert values == sorted(values)


@given(portfolios)
def test_cumulative_shares_of_net_profit_end_at_one(portfolio):
    net = {cid: f.net_profit for cid, f in portfolio.items()}
    shares = pm.cumulative_shares(net, pm.ranked(net))
    if portfolio and sum(net.values()) != 0:
        assert shares[pm.ranked(net)[-1]] == 1


@given(portfolios, boundary_sets, st.decimals(min_value=D("0"), max_value=D("0.3"), places=2))
def test_tiers_partition_the_clients(portfolio, boundaries, trimmed):
    gross = {cid: f.gross_margin for cid, f in portfolio.items()}
    result = pm.tiers(gross, boundaries=boundaries, trimmed_share=trimmed)
    assert set(result.tier) == set(portfolio)
    assert sum(result.counts) == len(portfolio)
    assert all(1 <= tier <= len(boundaries) + 1 for tier in result.tier.values())
    assert len(result.effort_budget) == len(boundaries) + 1


@given(portfolios)
def test_abc_classes_partition_the_clients_with_revenue(portfolio):
    revenue = {cid: f.revenue for cid, f in portfolio.items()}
    classes = pm.abc_classes(revenue, D("0.8"), D("0.95"))
    assert set(classes) == {cid for cid, r in revenue.items() if r > 0}
    assert set(classes.values()) <= {"A", "B", "C"}
    order = [cid for cid in pm.ranked(revenue) if revenue[cid] > 0]
    labels = [classes[cid] for cid in order]
    assert labels == sorted(labels)  # A before B before C along the ranking


@given(figures)
def test_net_profit_is_the_identity(f):
    assert f.net_profit == (
        f.gross_margin
        - f.cost_to_serve
        - f.direct_expenses
        - f.acquisition_share
        - f.late_payment_cost
        - f.bad_debt
    )
    if f.revenue > 0:
        assert f.net_margin == pm.ratio(f.net_profit / f.revenue)
    else:
        assert f.net_margin is None  # undefined for R <= 0, never a positive margin on a loss
        assert not pm.is_marginal(f, D("0.05"))


@given(portfolios)
def test_what_if_of_nobody_leaving_changes_nothing(portfolio):
    result = pm.what_if(portfolio, [], reinvest_np_per_hour=D("55"), limits=LIMITS)
    before = pm.concentration({cid: f.revenue for cid, f in portfolio.items()}, LIMITS)
    assert result.net_profit_after == result.net_profit_before
    assert result.net_profit_after_reinvested == pm.money(result.net_profit_before)
    assert result.revenue_lost == result.costs_freed == result.hours_freed == 0
    assert result.concentration_after == before


@given(portfolios, st.data())
def test_what_if_removes_exactly_the_leavers(portfolio, data):
    leaving = data.draw(st.sets(st.sampled_from(sorted(portfolio)))) if portfolio else set()
    result = pm.what_if(portfolio, leaving)
    kept = sum((f.net_profit for cid, f in portfolio.items() if cid not in leaving), D(0))
    assert result.net_profit_after == kept
    assert result.gross_margin_lost - result.costs_freed == sum(
        (portfolio[cid].net_profit for cid in leaving), D(0)
    )


@settings(max_examples=50)
@given(portfolios)
def test_whale_curve_ends_at_one_and_peaks_at_or_above_it(portfolio):
    net = {cid: f.net_profit for cid, f in portfolio.items()}
    whale = pm.whale_curve(net)
    if portfolio and sum(net.values()) > 0:
        assert whale.points[-1] == (D("1.000000"), D("1.000000"))
        assert whale.peak_profit_share >= 1
    else:
        assert whale.peak_profit_share is None


@given(st.dictionaries(st.integers(1, 10**6), positive, min_size=1, max_size=60))
def test_concentration_shares_are_ordered(revenue):
    result = pm.concentration(revenue, LIMITS)
    if sum(revenue.values()) > 0:
        assert result.top1 <= result.top5 <= result.top10 <= 1
        assert 0 < result.hhi <= 10000


def test_seed_effort_example_gives_3_03_days():
    cost = pm.day_cost(
        annual_income=24000, margin_rate=D("0.5"), working_days=218, charge_coefficient=D("1.5")
    )
    assert pm.effort_days(1000, cost) == D("3.03")


def test_tier_multipliers_follow_the_boundaries():
    assert pm.tier_multipliers([D("0.8"), D("1.2")]) == [D("1.2"), D("1.0"), D("0.8")]
    assert pm.tier_multipliers([D("0.8"), D("1.0"), D("1.2")]) == [D("1.2"), D("1.1"), D("0.9"), D("0.8")]


def test_trimmed_mean_drops_each_end():
    values = [D(v) for v in (0, 10, 10, 10, 1000)]
    assert pm.trimmed_mean(values, D("0.2")) == D(10)
    assert pm.trimmed_mean(values) == D(206)


def test_hhi_and_concentration_levels():
    revenue = {1: D("50"), 2: D("30"), 3: D("20")}
    result = pm.concentration(revenue, LIMITS)
    assert result.hhi == D("3800.00")  # 50^2 + 30^2 + 20^2
    assert result.top1 == D("0.500000")
    assert result.levels == {"top1": "red", "top5": "red", "top10": "red", "hhi": "red"}
    spread = pm.concentration({i: D("1") for i in range(1, 101)}, LIMITS)
    assert spread.hhi == D("100.00")
    assert spread.levels == {"top1": "green", "top5": "green", "top10": "green", "hhi": "green"}


def test_what_if_reinvests_freed_hours_at_the_top_tier_rate():
    portfolio = {
        1: pm.ClientFigures(
            client_id=1, revenue=D("1000"), gross_margin=D("500"), cost_to_serve=D("600"), service_minutes=600
        ),
        2: pm.ClientFigures(client_id=2, revenue=D("9000"), gross_margin=D("4000"), cost_to_serve=D("1000")),
    }
    result = pm.what_if(portfolio, [1], reinvest_np_per_hour=D("50"), limits=LIMITS)
    assert result.revenue_lost == D("1000")
    assert result.net_profit_before == D("2900")
    assert result.net_profit_after == D("3000")
    assert result.hours_freed == D("10.00")
    assert result.net_profit_after_reinvested == D("3500.00")
    assert result.concentration_after.top1 == D("1.000000")


def test_break_even_levers():
    f = pm.ClientFigures(
        client_id=1,
        revenue=D("2000"),
        gross_margin=D("800"),
        cost_to_serve=D("900"),
        late_payment_cost=D("150"),
        service_minutes=600,
    )
    assert f.net_profit == D("-250")
    levers = pm.break_even(f)
    assert levers.price_increase == D("0.125000")  # 250 / 2,000
    assert levers.hours_to_cut == D("2.78")  # 250 / (900 / 10 h)
    assert not levers.delay_removal_suffices
    assert pm.break_even(pm.ClientFigures(client_id=2, revenue=D("1"), gross_margin=D("1"))) is None


@pytest.mark.parametrize(
    "gross_margin, bad_debt, hours",
    [
        ("100", "911", None),  # a loss of 892 against 81 of cost to serve: cutting every hour is not enough
        ("0", "0", D("1.50")),  # a loss of 81, the cost of every hour: all 1.5 h are cut
        ("40.50", "0", D("0.75")),  # a loss of 40.50: half of them
    ],
)
def test_hours_to_cut_are_never_more_than_the_hours_used(gross_margin, bad_debt, hours):
    f = pm.ClientFigures(
        client_id=1, revenue=D("500"), gross_margin=D(gross_margin), cost_to_serve=D("81"),
        bad_debt=D(bad_debt), service_minutes=90,
    )  # fmt: skip
    assert pm.break_even(f).hours_to_cut == hours


def test_overheads_are_shared_by_hours_or_revenue():
    portfolio = {
        1: pm.ClientFigures(client_id=1, revenue=D("300"), service_minutes=60),
        2: pm.ClientFigures(client_id=2, revenue=D("100"), service_minutes=180),
    }
    assert pm.overhead_shares(portfolio, D("1000"), "hours") == {1: D("250.00"), 2: D("750.00")}
    assert pm.overhead_shares(portfolio, D("1000"), "revenue") == {1: D("750.00"), 2: D("250.00")}
    assert pm.overhead_shares(portfolio, D("1000"), "none") == {1: D("0"), 2: D("0")}


def test_declining_needs_three_falls_in_a_row():
    assert pm.is_declining([D(400), D(300), D(200), D(100)], None, D(100))
    assert not pm.is_declining([D(400), D(300), D(300), D(100)], None, D(100))
    assert pm.is_declining([], D(10), D(-1))
    assert not pm.is_declining([], D(-10), D(-1))


@given(
    st.dictionaries(st.integers(1, 10**6), positive, max_size=300), st.integers(min_value=1, max_value=120)
)
def test_a_sampled_pareto_curve_keeps_the_points_sampling_would_keep(revenue, count):
    revenue = pm.Figures(revenue)
    whole = pm.pareto_points(revenue)
    shares = pm.cumulative_shares(revenue, pm.ranked(revenue))
    sampled = pm.pareto_points(revenue, shares=shares, count=count)
    assert pm.sample_points(sampled, count) == pm.sample_points(whole, count)


@given(portfolios)
def test_shares_over_the_clients_with_revenue_sum_to_one(portfolio):
    revenue = pm.Figures((cid, f.revenue) for cid, f in portfolio.items())
    earning = pm.with_revenue(revenue)
    assert all(value > 0 for value in earning.values())
    assert set(earning) == {cid for cid, f in portfolio.items() if f.revenue > 0}
    total = sum(earning.values(), D(0))
    if earning:
        assert sum((r / total for r in earning.values()), D(0)).quantize(D("0.000001")) == 1
        shares = pm.cumulative_shares(earning, pm.ranked(earning))
        assert shares[pm.ranked(earning)[-1]] == 1
    net = {cid: f.net_profit for cid, f in portfolio.items()}
    result = pm.pareto(revenue, net)
    assert result.clients == len(earning)
    assert result.top_clients == pm.top_count(len(earning))
    assert result.top_clients <= len(earning)
    if earning:
        assert 0 < result.top_share_revenue <= 1
        assert 1 <= result.clients_for_80 <= len(earning)
    else:
        assert result.top_share_revenue is None and result.clients_for_80 is None
    # Clients without revenue change none of the shares.
    assert pm.pareto(earning, {cid: net[cid] for cid in earning}) == result
    assert pm.concentration(revenue, LIMITS) == pm.concentration(dict(earning), LIMITS)


@given(portfolios, boundary_sets)
def test_tiers_partition_the_clients_with_revenue(portfolio, boundaries):
    earning = pm.with_revenue({cid: f.revenue for cid, f in portfolio.items()})
    result = pm.tiers({cid: portfolio[cid].gross_margin for cid in earning}, boundaries=boundaries)
    assert set(result.tier) == set(earning)
    assert sum(result.counts) == len(earning)


@given(st.integers(min_value=0, max_value=100000))
def test_the_top_20_percent_is_the_nearest_whole_client(n):
    k = pm.top_count(n)
    if n == 0:
        assert k == 0
    else:
        assert k >= 1
        assert k == 1 or abs(D(k) - D(n) * D("0.2")) <= D("0.5")
