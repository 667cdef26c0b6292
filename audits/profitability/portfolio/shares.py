"""Overhead shares, indirect value and NP per hour over a group (see docs/figures.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from audits.profitability.figures import ZERO, ClientFigures, money, referral_credit

# Overheads and indirect value --------------------------------------------------------------------


def overhead_weight(figures: ClientFigures, allocation: str) -> Decimal:
    """What a client's share of the overheads is in proportion to: its service minutes or its
    revenue (none below zero); nothing with the allocation 'none'."""
    if allocation == "hours":
        return Decimal(figures.service_minutes)
    if allocation == "revenue":
        return max(figures.revenue, ZERO)
    return ZERO


def overhead_shares(
    figures: Mapping[int, ClientFigures],
    total_overheads: Decimal,
    allocation: str,
    *,
    base: Decimal | None = None,
) -> dict[int, Decimal]:
    """Each client's share of the period's overheads, by service hours or revenue ('none': zero).

    ``base`` is the weight of every client of the firm, where ``figures`` holds only some of them
    (an audit of one account manager's clients): each client's share is of all the firm's hours
    (or revenue), not of its group's. By default, the group is the whole firm."""
    weights = {cid: overhead_weight(f, allocation) for cid, f in figures.items()}
    total = sum(weights.values(), ZERO) if base is None else base
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
    return {cid: referral_credit(total, share) for cid, total in values.items()}


def np_per_hour(figures: Iterable[ClientFigures]) -> Decimal:
    """NP per service hour over a group of clients (zero without hours)."""
    group = list(figures)
    minutes = sum(f.service_minutes for f in group)
    if not minutes:
        return ZERO
    return money(sum((f.net_profit for f in group), ZERO) / (Decimal(minutes) / 60))
