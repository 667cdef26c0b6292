"""The what-if: the portfolio without some clients (see docs/figures.md, What-if)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from audits.profitability.figures import CENT, ZERO, ClientFigures, money
from audits.profitability.portfolio.concentration import Concentration, concentration

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
