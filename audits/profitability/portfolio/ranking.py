"""Ranking and shares: ranks, cumulative shares, the Pareto figures, ABC classes and the whale
curve (see docs/figures.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from audits.profitability.figures import ONE, ZERO, ratio

# Ranking and shares ------------------------------------------------------------------------------


class Figures(dict):
    """Client id -> value, for a mapping that is ranked several times (Pareto, whale curve, ranks,
    classes): its order is computed once. Not to be changed once ranked."""

    order: list[int] | None = None


def ranked(values: Mapping[int, Decimal]) -> list[int]:
    """Client ids from the highest value down; ties by id so the order is stable."""
    if isinstance(values, Figures) and values.order is not None:
        return values.order
    order = sorted(values)
    order.sort(key=values.__getitem__, reverse=True)  # a stable sort keeps equal values by id
    if isinstance(values, Figures):
        values.order = order
    return order


def ranks(values: Mapping[int, Decimal | None]) -> dict[int, int]:
    """Rank 1 = highest. Undefined values (None) rank after every defined one."""
    undefined = sorted(cid for cid, v in values.items() if v is None)
    defined: Mapping[int, Decimal]
    if undefined:
        defined = {cid: v for cid, v in values.items() if v is not None}
    else:
        defined = cast(Mapping[int, Decimal], values)  # no None among them: the same mapping, ranked once
    order = ranked(defined) + undefined
    return {cid: position for position, cid in enumerate(order, start=1)}


def cumulative_shares(values: Mapping[int, Decimal], order: list[int]) -> dict[int, Decimal | None]:
    """Running total over ``order`` as a share of the grand total; None when the total is zero."""
    total = sum((values[cid] for cid in order), ZERO)
    if total == 0:
        return dict.fromkeys(order)
    running = ZERO
    shares: dict[int, Decimal | None] = {}
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


def whale_curve(net_profit: Mapping[int, Decimal], *, count: int | None = None) -> Whale:
    """Clients by NP, best first; cumulative NP as a share of total NP. Undefined when total NP <= 0.

    With ``count``, ``points`` holds only the points ``sample_points(points, count)`` would keep
    (the same ones, without holding one point per client); the peak is that of every point."""
    order = ranked(net_profit)
    total = sum(net_profit.values(), ZERO)
    n = len(order)
    if n == 0 or total <= 0:
        return Whale(points=[], peak_client_share=None, peak_profit_share=None)
    kept = None
    if count is not None and n + 1 > count + 1:
        step = n / count
        kept = {round(i * step) for i in range(count + 1)}
    points = [(ZERO, ZERO)]
    running = ZERO
    best = (ZERO, ZERO)
    for position, cid in enumerate(order, start=1):
        running += net_profit[cid]
        point = (ratio(Decimal(position) / n), ratio(running / total))
        if kept is None or position in kept:
            points.append(point)
        if point[1] > best[1]:
            best = point
    return Whale(points=points, peak_client_share=best[0], peak_profit_share=best[1])


def pareto_points(revenue, *, shares=None, count=None):
    """The Pareto curve: (share of clients, cumulative share of revenue), over the clients with
    revenue > 0, by revenue. With ``count``, only the points ``sample_points`` would keep (the
    same ones, computed alone); ``shares`` are those of the same clients."""
    revenue = with_revenue(revenue)
    order = ranked(revenue)
    if shares is None:
        shares = cumulative_shares(revenue, order)
    n = len(order)
    if any(shares[cid] is None for cid in order[:1]):
        return []  # no revenue: every share is undefined
    if count is None or n + 1 <= count + 1:
        positions = range(1, n + 1)
    else:
        step = n / count
        positions = [round(i * step) for i in range(1, count + 1)]
    return [(ZERO, ZERO)] + [(ratio(Decimal(p) / n), ratio(shares[order[p - 1]])) for p in positions]


def sample_points(points, count=100):
    """At most ``count`` + 1 points, evenly spread, first and last kept, as JSON-ready strings."""
    if len(points) > count + 1:
        step = (len(points) - 1) / count
        points = [points[round(i * step)] for i in range(count + 1)]
    return [[str(x), str(y)] for x, y in points]
