"""Portfolio maths (DESIGN section 4) as pure functions over per-client figures.

Nothing here touches the database: the engine hands in the figures it aggregated, and the
functions return rankings, shares, classes, tiers, flags and what-ifs. That keeps every rule
testable with small hand-computed examples and with property-based tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
ONE = Decimal("1")
CENT = Decimal("0.01")
SHARE = Decimal("0.000001")
HUNDRED = Decimal("100")


def money(value) -> Decimal:
    return (value if isinstance(value, Decimal) else Decimal(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(value) -> Decimal:
    return (value if isinstance(value, Decimal) else Decimal(value)).quantize(SHARE, rounding=ROUND_HALF_UP)


# The figures a client snapshot stores for ClientFigures (net profit is derived from them).
FIGURE_FIELDS = (
    "revenue",
    "gross_margin",
    "cost_to_serve",
    "direct_expenses",
    "acquisition_share",
    "late_payment_cost",
    "bad_debt",
    "service_minutes",
)


@dataclass(frozen=True)
class ClientFigures:
    """One client's period figures, already rounded to cents."""

    client_id: int
    revenue: Decimal = ZERO
    gross_margin: Decimal = ZERO
    cost_to_serve: Decimal = ZERO
    direct_expenses: Decimal = ZERO
    acquisition_share: Decimal = ZERO
    late_payment_cost: Decimal = ZERO
    bad_debt: Decimal = ZERO
    service_minutes: int = 0
    net_profit: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Read for every ranking, share and flag: computed once.
        net_profit = (
            self.gross_margin
            - self.cost_to_serve
            - self.direct_expenses
            - self.acquisition_share
            - self.late_payment_cost
            - self.bad_debt
        )
        object.__setattr__(self, "net_profit", net_profit)

    @classmethod
    def of(cls, snapshot) -> ClientFigures:
        """The figures of a stored client snapshot (anything with client_id and FIGURE_FIELDS)."""
        return cls(client_id=snapshot.client_id, **{name: getattr(snapshot, name) for name in FIGURE_FIELDS})

    @property
    def costs(self) -> Decimal:
        """Everything between gross margin and net profit."""
        return self.gross_margin - self.net_profit

    @property
    def service_hours(self) -> Decimal:
        return Decimal(self.service_minutes) / 60

    @property
    def net_margin(self) -> Decimal | None:
        """NP / R; undefined when revenue is not positive (-250 / -500 is no +50 % margin)."""
        return ratio(self.net_profit / self.revenue) if self.revenue > 0 else None

    @property
    def profit_per_hour(self) -> Decimal | None:
        return None if self.service_minutes == 0 else money(self.net_profit / self.service_hours)


# Ranking and shares ------------------------------------------------------------------------------


class Figures(dict):
    """Client id -> value, for a mapping that is ranked several times (Pareto, whale curve, ranks,
    classes): its order is computed once. Not to be changed once ranked."""

    order: list[int] | None = None


def ranked(values: Mapping[int, Decimal]) -> list[int]:
    """Client ids from the highest value down; ties by id so the order is stable."""
    if getattr(values, "order", None) is not None:
        return values.order
    order = sorted(values)
    order.sort(key=values.__getitem__, reverse=True)  # a stable sort keeps equal values by id
    if isinstance(values, Figures):
        values.order = order
    return order


def ranks(values: Mapping[int, Decimal | None]) -> dict[int, int]:
    """Rank 1 = highest. Undefined values (None) rank after every defined one."""
    undefined = sorted(cid for cid, v in values.items() if v is None)
    defined = {cid: v for cid, v in values.items() if v is not None} if undefined else values
    order = ranked(defined) + undefined
    return {cid: position for position, cid in enumerate(order, start=1)}


def cumulative_shares(values: Mapping[int, Decimal], order: list[int]) -> dict[int, Decimal | None]:
    """Running total over ``order`` as a share of the grand total; None when the total is zero."""
    total = sum((values[cid] for cid in order), ZERO)
    if total == 0:
        return dict.fromkeys(order)
    running = ZERO
    shares = {}
    for cid in order:
        running += values[cid]
        shares[cid] = running / total
    return shares


def top_count(n: int, share: Decimal = Decimal("0.2")) -> int:
    """How many clients make 'the top 20 %': rounded to the nearest client (half up), at least one
    when there are clients. 147 -> 29 (29.4), 13 -> 3 (2.6), 2 -> 1 (0.4)."""
    if n == 0:
        return 0
    return max(1, int((Decimal(n) * share).quantize(ONE, rounding=ROUND_HALF_UP)))


def with_revenue(revenue: Mapping[int, Decimal]) -> Mapping[int, Decimal]:
    """The clients with revenue > 0, those that shares of revenue and tiers count (the same
    mapping when every client has some, so that its ranked order is kept)."""
    if all(value > 0 for value in revenue.values()):
        return revenue
    return Figures((cid, value) for cid, value in revenue.items() if value > 0)


@dataclass(frozen=True)
class Pareto:
    clients: int
    top_clients: int
    top_share_revenue: Decimal | None
    top_share_net_profit: Decimal | None
    clients_for_80: int | None


def pareto(revenue: Mapping[int, Decimal], net_profit: Mapping[int, Decimal]) -> Pareto:
    """Shares of R and of NP brought by the top 20 % of the clients with revenue > 0, and how many
    of them make 80 % of R. ``net_profit`` holds the same clients' NP (it may hold more: those
    without revenue count in neither the top nor the totals)."""
    revenue = with_revenue(revenue)
    if len(net_profit) != len(revenue):
        net_profit = Figures((cid, net_profit[cid]) for cid in revenue)
    n = len(revenue)
    k = top_count(n)
    order = ranked(revenue)
    total_r = sum(revenue.values(), ZERO)
    total_np = sum(net_profit.values(), ZERO)
    top_r = sum((revenue[cid] for cid in order[:k]), ZERO)
    np_order = ranked(net_profit)
    top_np = sum((net_profit[cid] for cid in np_order[:k]), ZERO)
    clients_for_80 = None
    if total_r > 0:
        running = ZERO
        for position, cid in enumerate(order, start=1):
            running += revenue[cid]
            if running >= total_r * Decimal("0.8"):
                clients_for_80 = position
                break
    return Pareto(
        clients=n,
        top_clients=k,
        top_share_revenue=ratio(top_r / total_r) if total_r else None,
        top_share_net_profit=ratio(top_np / total_np) if total_np else None,
        clients_for_80=clients_for_80,
    )


def abc_classes(revenue: Mapping[int, Decimal], a_limit: Decimal, b_limit: Decimal) -> dict[int, str]:
    """A while the revenue ranked before a client is under the A limit (the client crossing the line
    belongs to A), then B up to the B limit, then C. Limits are fractions (0.8, 0.95). Only the
    clients with revenue > 0 get a class."""
    revenue = with_revenue(revenue)
    order = ranked(revenue)
    total = sum(revenue.values(), ZERO)
    classes = {}
    before = ZERO
    for cid in order:
        share_before = before / total
        classes[cid] = "A" if share_before < a_limit else "B" if share_before < b_limit else "C"
        before += revenue[cid]
    return classes


@dataclass(frozen=True)
class Whale:
    points: list[tuple[Decimal, Decimal]]  # (share of clients, cumulative NP / total NP)
    peak_client_share: Decimal | None
    peak_profit_share: Decimal | None


def whale_curve(net_profit: Mapping[int, Decimal]) -> Whale:
    """Clients by NP, best first; cumulative NP as a share of total NP. Undefined when total NP <= 0."""
    order = ranked(net_profit)
    total = sum(net_profit.values(), ZERO)
    n = len(order)
    if n == 0 or total <= 0:
        return Whale(points=[], peak_client_share=None, peak_profit_share=None)
    points = [(ZERO, ZERO)]
    running = ZERO
    best = (ZERO, ZERO)
    for position, cid in enumerate(order, start=1):
        running += net_profit[cid]
        point = (ratio(Decimal(position) / n), ratio(running / total))
        points.append(point)
        if point[1] > best[1]:
            best = point
    return Whale(points=points, peak_client_share=best[0], peak_profit_share=best[1])


# Tiers and prospecting effort --------------------------------------------------------------------


def trimmed_mean(values: Iterable[Decimal], trimmed_share: Decimal = ZERO) -> Decimal:
    """Mean after dropping ``trimmed_share`` (a fraction) of the values at each end."""
    ordered = sorted(values)
    if not ordered:
        return ZERO
    cut = int(Decimal(len(ordered)) * trimmed_share)
    if cut and len(ordered) - 2 * cut >= 1:
        ordered = ordered[cut:-cut]
    return sum(ordered, ZERO) / len(ordered)


def tier_of(value: Decimal, thresholds: list[Decimal]) -> int:
    """Tier 1 at or above the highest threshold, the last tier below the lowest."""
    return 1 + sum(1 for threshold in thresholds if value < threshold)


def tier_multipliers(boundaries: list[Decimal]) -> list[Decimal]:
    """Effort multiplier per tier, tier 1 first: the upper boundary, the midpoints, the lower one."""
    high_to_low = sorted(boundaries, reverse=True)
    middles = [(a + b) / 2 for a, b in zip(high_to_low, high_to_low[1:], strict=False)]
    return [high_to_low[0], *middles, high_to_low[-1]]


@dataclass(frozen=True)
class Tiers:
    mean_gross_margin: Decimal
    thresholds: list[Decimal]  # in money, ascending
    tier: dict[int, int]
    counts: list[int]  # tier 1 first
    multipliers: list[Decimal]
    mean_acquisition_cost: Decimal
    effort_budget: list[Decimal]  # money per tier, tier 1 first
    effort_days: list[Decimal | None]
    day_cost: Decimal | None
    acquisition_costs_known: int = 0  # the clients the mean acquisition cost is taken over
    acquisition_costs_unknown: int = 0  # the clients left out of it, their cost unknown

    def of(self, value: Decimal) -> int:
        return tier_of(value, self.thresholds)


def day_cost(*, annual_income, margin_rate, working_days, charge_coefficient) -> Decimal:
    """Annual income / margin rate / working days x charge coefficient (margin rate as a fraction)."""
    return Decimal(annual_income) / Decimal(margin_rate) / Decimal(working_days) * Decimal(charge_coefficient)


def effort_days(effort, cost_per_day) -> Decimal | None:
    """Effort / day cost, the day cost taken as shown (rounded half-up to the cent); None when
    there is no day cost or it rounds to zero."""
    if cost_per_day is None:
        return None
    cost = money(cost_per_day)
    if not cost:
        return None
    return (Decimal(effort) / cost).quantize(CENT, rounding=ROUND_HALF_UP)


def tiers(
    gross_margin: Mapping[int, Decimal],
    *,
    boundaries: list[Decimal],
    trimmed_share: Decimal = ZERO,
    acquisition_costs: Iterable[Decimal | None] = (),
    cost_per_day: Decimal | None = None,
) -> Tiers:
    mean = trimmed_mean(gross_margin.values(), trimmed_share)
    thresholds = sorted(b * mean for b in boundaries)
    assignment = {cid: tier_of(value, thresholds) for cid, value in gross_margin.items()}
    count = len(boundaries) + 1
    counts = [0] * count
    for tier in assignment.values():
        counts[tier - 1] += 1
    multipliers = tier_multipliers(boundaries)
    # An unknown cost (None) is left out of the mean; a known cost of 0 (a free client) counts.
    costs = list(acquisition_costs)
    known = [cost for cost in costs if cost is not None]
    mean_aq = sum(known, ZERO) / len(known) if known else ZERO
    budget = [money(mean_aq * m) for m in multipliers]
    return Tiers(
        mean_gross_margin=money(mean),
        thresholds=[money(t) for t in thresholds],
        tier=assignment,
        counts=counts,
        multipliers=multipliers,
        mean_acquisition_cost=money(mean_aq),
        effort_budget=budget,
        effort_days=[effort_days(b, cost_per_day) for b in budget],
        day_cost=money(cost_per_day) if cost_per_day else None,
        acquisition_costs_known=len(known),
        acquisition_costs_unknown=len(costs) - len(known),
    )


# Concentration -----------------------------------------------------------------------------------

GREEN, AMBER, RED = "green", "amber", "red"


def level(value: Decimal | None, amber: Decimal, red: Decimal) -> str | None:
    if value is None:
        return None
    return RED if value >= red else AMBER if value >= amber else GREEN


@dataclass(frozen=True)
class Concentration:
    top1: Decimal | None
    top5: Decimal | None
    top10: Decimal | None
    hhi: Decimal | None
    levels: dict[str, str | None] = field(default_factory=dict)


def concentration(
    revenue: Mapping[int, Decimal], limits: Mapping[str, tuple[Decimal, Decimal]]
) -> Concentration:
    """Shares of positive revenue held by the top 1, 5 and 10 clients, and HHI = sum (share x 100)^2.

    ``limits`` maps top1/top5/top10 (fractions) and hhi (points) to (amber, red)."""
    positive = with_revenue(revenue)
    total = sum(positive.values(), ZERO)
    if total == 0:
        return Concentration(None, None, None, None, dict.fromkeys(("top1", "top5", "top10", "hhi")))
    order = ranked(positive)

    def top(k):
        return ratio(sum((positive[cid] for cid in order[:k]), ZERO) / total)

    hhi = sum(((r / total * HUNDRED) ** 2 for r in positive.values()), ZERO).quantize(CENT)
    shares = {"top1": top(1), "top5": top(5), "top10": top(10)}
    levels = {name: level(value, *limits[name]) for name, value in shares.items()}
    levels["hhi"] = level(hhi, *limits["hhi"])
    return Concentration(hhi=hhi, levels=levels, **shares)


# Flags and levers --------------------------------------------------------------------------------


def is_unprofitable(figures: ClientFigures) -> bool:
    return figures.net_profit < 0


def is_marginal(figures: ClientFigures, marginal_below: Decimal) -> bool:
    """Profitable, but with a net margin under the setting (a fraction)."""
    margin = figures.net_margin
    return figures.net_profit >= 0 and margin is not None and margin < marginal_below


def is_declining(monthly_np: list[Decimal], previous_np: Decimal | None, net_profit: Decimal) -> bool:
    """NP lower in each of the last three months (``monthly_np`` oldest first, four months), or the
    client crossed from profitable to unprofitable since the previous snapshot."""
    last = monthly_np[-4:]
    falling = len(last) == 4 and last[0] > last[1] > last[2] > last[3]
    crossed = previous_np is not None and previous_np >= 0 and net_profit < 0
    return falling or crossed


@dataclass(frozen=True)
class Levers:
    price_increase: Decimal | None  # fraction of revenue
    hours_to_cut: Decimal | None
    delay_removal_suffices: bool


def break_even(figures: ClientFigures) -> Levers | None:
    """What alone would bring a loss-making client's NP to zero; None for a profitable client."""
    np_ = figures.net_profit
    if np_ >= 0:
        return None
    price = ratio(-np_ / figures.revenue) if figures.revenue > 0 else None
    hours = None
    if figures.service_minutes and figures.cost_to_serve > 0:
        per_hour = figures.cost_to_serve / figures.service_hours
        hours = money(-np_ / per_hour)
    return Levers(
        price_increase=price,
        hours_to_cut=hours,
        delay_removal_suffices=figures.late_payment_cost >= -np_,
    )


# Overheads and indirect value --------------------------------------------------------------------


def overhead_shares(
    figures: Mapping[int, ClientFigures], total_overheads: Decimal, allocation: str
) -> dict[int, Decimal]:
    """Each client's share of the period's overheads, by service hours or revenue ('none': zero)."""
    if allocation == "hours":
        weights = {cid: Decimal(f.service_minutes) for cid, f in figures.items()}
    elif allocation == "revenue":
        weights = {cid: max(f.revenue, ZERO) for cid, f in figures.items()}
    else:
        weights = {}
    total = sum(weights.values(), ZERO)
    if not total or not total_overheads:
        return dict.fromkeys(figures, ZERO)
    return {cid: money(total_overheads * weights[cid] / total) for cid in figures}


def indirect_values(
    referred_by: Mapping[int, int | None], gross_margin: Mapping[int, Decimal], share: Decimal
) -> dict[int, Decimal]:
    """Referral share x the GM of the clients each client referred directly."""
    values: dict[int, Decimal] = {}
    for cid, referrer in referred_by.items():
        if referrer is not None:
            values[referrer] = values.get(referrer, ZERO) + gross_margin.get(cid, ZERO)
    return {cid: money(total * share) for cid, total in values.items()}


# What-if -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    leaving: int
    revenue_lost: Decimal
    gross_margin_lost: Decimal
    costs_freed: Decimal
    hours_freed: Decimal
    net_profit_before: Decimal
    net_profit_after: Decimal
    net_profit_after_reinvested: Decimal
    concentration_after: Concentration | None


def what_if(
    figures: Mapping[int, ClientFigures],
    leaving: Iterable[int],
    *,
    reinvest_np_per_hour: Decimal = ZERO,
    limits: Mapping[str, tuple[Decimal, Decimal]] | None = None,
) -> WhatIf:
    """The portfolio without the ``leaving`` clients; freed hours may be re-invested at the top
    tier's NP per hour."""
    gone = [figures[cid] for cid in set(leaving) if cid in figures]
    before = sum((f.net_profit for f in figures.values()), ZERO)
    lost_np = sum((f.net_profit for f in gone), ZERO)
    hours = sum((f.service_hours for f in gone), ZERO)
    gone_ids = {f.client_id for f in gone}
    after = before - lost_np
    remaining = {cid: f.revenue for cid, f in figures.items() if cid not in gone_ids}
    return WhatIf(
        leaving=len(gone),
        revenue_lost=sum((f.revenue for f in gone), ZERO),
        gross_margin_lost=sum((f.gross_margin for f in gone), ZERO),
        costs_freed=sum((f.costs for f in gone), ZERO),
        hours_freed=hours.quantize(CENT),
        net_profit_before=before,
        net_profit_after=after,
        net_profit_after_reinvested=money(after + hours * reinvest_np_per_hour),
        concentration_after=concentration(remaining, limits) if limits else None,
    )


def np_per_hour(figures: Iterable[ClientFigures]) -> Decimal:
    """NP per service hour over a group of clients (zero without hours)."""
    group = list(figures)
    minutes = sum(f.service_minutes for f in group)
    if not minutes:
        return ZERO
    return money(sum((f.net_profit for f in group), ZERO) / (Decimal(minutes) / 60))
