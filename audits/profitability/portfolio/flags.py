"""The flags of a client (unprofitable, marginal, declining) and its break-even levers (see
docs/figures.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from audits.profitability.figures import ClientFigures, money, ratio

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
    """What alone would bring a loss-making client's NP to zero; None for a profitable client. The
    hours to cut are None where cutting every hour the client used would not be enough (a loss
    larger than its cost to serve)."""
    np_ = figures.net_profit
    if np_ >= 0:
        return None
    price = ratio(-np_ / figures.revenue) if figures.revenue > 0 else None
    hours = None
    if figures.service_minutes and -np_ <= figures.cost_to_serve:  # a loss, so a cost to serve > 0
        per_hour = figures.cost_to_serve / figures.service_hours
        hours = money(-np_ / per_hour)
    return Levers(
        price_increase=price,
        hours_to_cut=hours,
        delay_removal_suffices=figures.late_payment_cost >= -np_,
    )
