"""Portfolio maths as pure functions over per-client figures (see docs/figures.md).

Nothing here touches the database: the engine hands in the figures the ledger pass aggregated,
and the functions return rankings, shares, classes, tiers, flags and what-ifs, which keeps every
rule testable with small hand-computed examples and with property-based tests. One module per
concept; this package gathers their names:

- ``ranking``: ranks, cumulative shares, Pareto, ABC classes, the whale curve and its peak;
- ``tiers``: tiers, effort budgets, day cost and effort days;
- ``concentration``: top 1/5/10 shares and HHI, with their levels;
- ``flags``: unprofitable, marginal, declining, and the break-even levers;
- ``shares``: overhead shares, indirect value, NP per hour of a group;
- ``what_if``: the portfolio without some clients.
"""

from audits.profitability.figures import (
    CENT,
    FIGURE_FIELDS,
    HUNDRED,
    SHARE,
    ZERO,
    ClientFigures,
    money,
    ratio,
)
from audits.profitability.portfolio.concentration import (
    AMBER,
    GREEN,
    RED,
    TOP,
    Concentration,
    concentration,
    concentration_of,
    level,
)
from audits.profitability.portfolio.flags import (
    Levers,
    break_even,
    is_declining,
    is_marginal,
    is_unprofitable,
)
from audits.profitability.portfolio.ranking import (
    Figures,
    Pareto,
    Whale,
    abc_classes,
    cumulative_shares,
    pareto,
    pareto_points,
    ranked,
    ranks,
    sample_points,
    top_count,
    whale_curve,
    with_revenue,
)
from audits.profitability.portfolio.shares import indirect_values, np_per_hour, overhead_shares
from audits.profitability.portfolio.tiers import (
    Tiers,
    day_cost,
    effort_days,
    tier_multipliers,
    tier_of,
    tiers,
    trimmed_mean,
)
from audits.profitability.portfolio.what_if import WhatIf, what_if

__all__ = [
    "AMBER",
    "CENT",
    "FIGURE_FIELDS",
    "GREEN",
    "HUNDRED",
    "RED",
    "SHARE",
    "TOP",
    "ZERO",
    "ClientFigures",
    "Concentration",
    "Figures",
    "Levers",
    "Pareto",
    "Tiers",
    "Whale",
    "WhatIf",
    "abc_classes",
    "break_even",
    "concentration",
    "concentration_of",
    "cumulative_shares",
    "day_cost",
    "effort_days",
    "indirect_values",
    "is_declining",
    "is_marginal",
    "is_unprofitable",
    "level",
    "money",
    "np_per_hour",
    "overhead_shares",
    "pareto",
    "pareto_points",
    "ranked",
    "ranks",
    "ratio",
    "sample_points",
    "tier_multipliers",
    "tier_of",
    "tiers",
    "top_count",
    "trimmed_mean",
    "what_if",
    "whale_curve",
    "with_revenue",
]
