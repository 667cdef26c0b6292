"""Tiers and prospecting effort: tier thresholds from the trimmed mean gross margin, the effort
budget per tier and the day cost it is read in (see docs/figures.md, Tiers)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from audits.profitability.figures import CENT, ZERO, money

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
