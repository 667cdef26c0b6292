"""Concentration risk: the shares of revenue of the largest clients and the HHI, each with its
level (see docs/figures.md, Concentration)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from audits.profitability.figures import CENT, HUNDRED, ZERO, ratio
from audits.profitability.portfolio.ranking import ranked, with_revenue

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
    order = ranked(positive)
    return concentration_of(
        total=sum(positive.values(), ZERO),
        squares=sum((r * r for r in positive.values()), ZERO),
        largest=[positive[cid] for cid in order[:TOP]],
        limits=limits,
    )


TOP = 10  # the largest clients a concentration needs


def concentration_of(
    *, total: Decimal, squares: Decimal, largest: list[Decimal], limits: Mapping[str, tuple[Decimal, Decimal]]
) -> Concentration:
    """The concentration from the sums it needs: ``total`` and ``squares``, the sum and the sum of
    squares of the positive revenues, and ``largest``, the TOP largest of them, largest first (so
    that a portfolio held in the database needs three aggregates, not every client's revenue)."""
    if total == 0:
        return Concentration(None, None, None, None, dict.fromkeys(("top1", "top5", "top10", "hhi")))

    def top(k):
        return ratio(sum(largest[:k], ZERO) / total)

    hhi = (squares * HUNDRED * HUNDRED / (total * total)).quantize(CENT, rounding=ROUND_HALF_UP)
    shares = {"top1": top(1), "top5": top(5), "top10": top(10)}
    levels = {name: level(value, *limits[name]) for name, value in shares.items()}
    levels["hhi"] = level(hhi, *limits["hhi"])
    return Concentration(hhi=hhi, levels=levels, **shares)
