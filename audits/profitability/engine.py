"""The profitability engine: every figure of docs/figures.md, set-based.

A computation runs a constant number of queries whatever the number of clients: the ledger pass
(``audits.profitability.sql``, the reviewed raw SQL) reads each ledger table once into small
per-client, per-month tables and returns one row of figures per client (and, asked to, the months
of the trend summed by account manager); the portfolio maths then runs in Python on those
figures (``audits.profitability.portfolio``, gathered in ``audits.profitability.maths``), in the named
steps of ``_portfolio``.

The same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from django.conf import settings as django_settings
from django.db.models import Sum

from audits.profitability import portfolio as pm
from audits.profitability.cost_settings import Settings, staff_day_cost
from audits.profitability.figures import (
    ZERO,
    ClientFigures,
    acquisition_share,
    amortisation_window,
    ratio,
)
from audits.profitability.maths import Maths, Period, count_flags, portfolio_figures, portfolio_maths
from audits.profitability.phases import phase
from audits.profitability.results import VALUE_NAMES, ClientResults
from audits.profitability.sql.fragments import Window
from audits.profitability.sql.passes import Part, Pass
from audits.profitability.sql.rows import LedgerRow, LedgerRows
from clients.models import Client, CostSettings, Interaction, Invoice
from clients.periods import (
    TREND_MONTHS,
    local_midnight,
    month_index,
    month_start,
    period_months,
    rolling_period,
)

# The computation ---------------------------------------------------------------------------------


class ClientFacts(NamedTuple):
    """What the computation reads of each client beside its ledger: a tuple, not a dict (100,000 of
    them are held for the whole computation)."""

    status: str
    acquired_on: dt.date | None
    acquisition_cost: Decimal | None
    referred_by_id: int | None
    estimated_annual_margin: Decimal | None

    @classmethod
    def of_clients(cls, clients_qs) -> dict[int, ClientFacts]:
        rows = clients_qs.order_by().values_list("id", *cls._fields)
        return {row[0]: cls(*row[1:]) for row in rows}


@dataclass
class Result:
    as_of: dt.date
    start: dt.date
    end: dt.date
    settings: Settings
    clients: ClientResults  # client id -> ClientResult
    portfolio: dict
    # With ``months``: (account manager id, month, *sql.months.TOTAL_COLUMNS) rows.
    months: list[tuple] = field(default_factory=list)


def client_figures(
    cid, row: LedgerRow, *, client, settings: Settings, months: tuple[int, int]
) -> ClientFigures:
    return ClientFigures(
        client_id=cid,
        revenue=row.revenue,
        gross_margin=row.gross_margin,
        cost_to_serve=row.cost_to_serve,
        direct_expenses=row.direct_expenses,
        acquisition_share=acquisition_share(
            client.acquisition_cost, client.acquired_on, settings.amortisation_months, *months
        ),
        late_payment_cost=row.late_payment_cost,
        bad_debt=row.bad_debt,
        service_minutes=row.minutes,
    )


def _lifetime(row: LedgerRow, *, client, settings: Settings, as_of: dt.date) -> Decimal:
    """Lifetime net profit: the lifetime figures since acquisition, less the acquisition share
    amortised up to the as-of month."""
    acquired = client.acquired_on
    if not acquired or not client.acquisition_cost:
        return row.life_operating
    share = acquisition_share(
        client.acquisition_cost,
        acquired,
        settings.amortisation_months,
        month_index(acquired),
        month_index(as_of),
    )
    return row.life_operating - share


def window_for(
    *, as_of: dt.date, start: dt.date, end: dt.date, settings: Settings, trend_months: int = TREND_MONTHS
) -> Window:
    """The dates and rates a ledger pass reads for the period start..end seen on ``as_of``, its trend
    the ``trend_months`` calendar months to the as-of month."""
    return Window(
        start=start,
        end=end,
        as_of=as_of,
        since=month_start(month_index(as_of) - trend_months + 1),
        ageing=tuple(settings.ageing),
        margin_rate=settings.margin_rate,
    )


def compute(
    *,
    as_of: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    scope=None,
    cost_settings: CostSettings | None = None,
    previous_np: dict[int, Decimal] | None = None,
    months: bool = False,
    trend_months: int = TREND_MONTHS,
    split: bool = False,
) -> Result:
    """Every figure of docs/figures.md for the clients in ``scope`` (a Client queryset, or all).

    ``previous_np`` (client -> NP of the previous snapshot) feeds the "declining" flag. With
    ``months``, the result holds the figures of the last ``trend_months`` months summed by
    account manager (``sql.months.month_totals``).
    With ``split`` (PostgreSQL, called at the start of a REPEATABLE READ transaction), a large
    portfolio's ledger pass is shared between this connection and a second one.
    """
    if start is None or end is None:
        start, end = rolling_period(as_of)
    settings = Settings.from_model(cost_settings or CostSettings.load())
    clients_qs = Client.objects.all() if scope is None else scope
    clients = ClientFacts.of_clients(clients_qs)
    window = window_for(as_of=as_of, start=start, end=end, settings=settings, trend_months=trend_months)
    recent = declining_months(as_of)
    part = Part(
        window=window,
        late_rate=settings.late_rate,
        amortisation_months=settings.amortisation_months,
        months=[month_start(m) for m in recent],
        scope=scope,
    )
    split_at = None
    if split and len(clients) >= django_settings.PROFITABILITY_SPLIT_MIN_CLIENTS:
        split_at = sorted(clients)[len(clients) // 2]
    # Everything the portfolio maths reads from the database, read before the ledger pass (which
    # may lend this connection to its writer thread while the maths runs).
    referred_outside, overhead_base = {}, None
    if scope is not None:
        overhead_base = firm_overhead_base(
            allocation=settings.overhead_allocation, start=start, end=min(end, as_of)
        )
        # Clients outside the scope that a client in scope referred (their GM is indirect value).
        referred_outside = dict(
            Client.objects.filter(referred_by__in=scope.values("pk"))
            .exclude(pk__in=clients)
            .values_list("pk", "referred_by_id")
        )
    day_cost = staff_day_cost(settings.hours_per_day)
    with Pass(part, split_at=split_at) as ledger_pass:
        rows = ledger_pass.rows(months=months)
        with phase("portfolio maths"):
            result = _portfolio(
                as_of=as_of,
                start=start,
                end=end,
                settings=settings,
                clients=clients,
                rows=rows,
                referred_outside=referred_outside,
                overhead_base=overhead_base,
                day_cost=day_cost,
                previous_np=previous_np,
            )
        if months:
            result.months = ledger_pass.months()
        return result


def firm_overhead_base(*, allocation: str, start: dt.date, end: dt.date) -> Decimal | None:
    """The weight of all the firm's clients in the overheads (``portfolio.overhead_shares``' base)
    from the ledger: their service minutes, or the sum of their revenues above zero, in the period
    (prospects aside; a client with either is active). A computation over some clients only shares
    the firm's overheads by each one's part of the firm's hours, not of its group's."""
    clients = Client.objects.exclude(status=Client.Status.PROSPECT).values("pk")
    if allocation == "hours":
        minutes = Interaction.objects.filter(
            client__in=clients,
            started_at__gte=local_midnight(start),
            started_at__lt=local_midnight(end + dt.timedelta(days=1)),
        ).aggregate(total=Sum("duration_minutes"))["total"]
        return Decimal(minutes or 0)
    if allocation == "revenue":
        revenues = (
            Invoice.objects.filter(client__in=clients, issued_on__gte=start, issued_on__lte=end)
            .values("client")
            .annotate(revenue=Sum("amount"))
            .values_list("revenue", flat=True)
        )
        return sum((max(revenue, ZERO) for revenue in revenues), ZERO)
    return None


# The portfolio maths, step by step ---------------------------------------------------------------


def _indirect(
    *, clients, rows: LedgerRows, figures, referred_outside, settings: Settings
) -> dict[int, Decimal]:
    """Each referrer's indirect value: the referral credit on the gross margin of the clients it
    referred (in scope or not)."""
    referred_gm = {cid: f.gross_margin for cid, f in figures.items()}
    for cid in rows:
        if cid not in clients:
            referred_gm[cid] = rows.get(cid).gross_margin
    referrers = {cid: c.referred_by_id for cid, c in clients.items()} | referred_outside
    return pm.indirect_values(referrers, referred_gm, settings.referral_share)


def is_active(row: LedgerRow) -> bool:
    """Any invoice (credit notes included), expense or interaction in the period, or an overdue
    amount (open at the as-of date, or overdue for some days of the period, which is what a
    late-payment cost counts): a client who only costs hours is active."""
    return row.activity > 0 or row.overdue > 0 or row.late_payment_cost > 0


def _members(*, clients, figures, active: set[int]) -> tuple[dict[int, ClientFigures], int]:
    """Ranked, flagged and on the whale curve: the clients (not prospects) active in the period
    (``active``, by ``is_active``). Dormant: clients neither prospects nor former with no activity
    at all, counted apart."""
    members, dormant = {}, 0
    for cid, client in clients.items():
        if client.status == Client.Status.PROSPECT:
            continue
        if cid in active:
            members[cid] = figures[cid]
        elif client.status != Client.Status.FORMER:
            dormant += 1
    return members, dormant


def _client_values(
    cid,
    client,
    f: ClientFigures,
    row: LedgerRow,
    *,
    member,
    maths: Maths,
    indirect,
    settings,
    period,
    previous,
) -> dict:
    """The values a client snapshot stores beside its figures.

    Run once per client (100,000 times a night): each value is computed once, from the rules of
    ``ClientFigures`` and ``portfolio``."""
    a0, a1, a2, a3, a4 = row.ageing
    overdue = row.overdue
    open_receivables = a0 + overdue
    paid = row.paid
    np_, revenue = f.net_profit, f.revenue
    lifetime_np = _lifetime(row, client=client, settings=settings, as_of=period.as_of)
    acq_cost = client.acquisition_cost
    oh = maths.overhead.get(cid, ZERO)
    iv = indirect.get(cid, ZERO)
    share_r, share_np = maths.cum_r.get(cid), maths.cum_np.get(cid)
    net_margin = ratio(np_ / revenue) if revenue > 0 else None
    per_hour = maths.per_hour[cid] if member else f.profit_per_hour
    levers = pm.break_even(f)
    payback = None
    if acq_cost:
        contribution = (np_ + f.acquisition_share) / period.month_count
        if contribution > 0:
            payback = ratio(acq_cost / contribution)
    declining = member and pm.is_declining(
        _last_months(row.recent_np, client, settings, period.as_of), previous.get(cid), np_
    )
    values = {
        "net_margin": net_margin,
        "overhead_share": oh,
        "net_profit_after_overhead": np_ - oh,
        "indirect_value": iv,
        "net_profit_with_indirect": np_ + iv,
        "profit_per_hour": per_hour,
        "average_days_late": ratio(row.paid_late_x / paid) if paid else None,
        "average_days_to_pay": ratio(row.paid_days_x / paid) if paid else None,
        "open_receivables": open_receivables,
        "open_overdue": overdue,
        "ageing_current": a0,
        "ageing_1": a1,
        "ageing_2": a2,
        "ageing_3": a3,
        "ageing_4": a4,
        "dso": ratio(open_receivables / revenue * period.days) if revenue > 0 else None,
        "lifetime_net_profit": lifetime_np,
        "lifetime_roi": ratio(lifetime_np / acq_cost) if acq_cost else None,
        "payback_months": payback,
        "rank_net_profit": maths.rank_np.get(cid),
        "rank_revenue": maths.rank_r.get(cid),
        "rank_gross_margin": maths.rank_gm.get(cid),
        "rank_profit_per_hour": maths.rank_hour.get(cid),
        "cumulative_share_revenue": None if share_r is None else ratio(share_r),
        "cumulative_share_net_profit": None if share_np is None else ratio(share_np),
        "abc_class": maths.classes.get(cid, ""),
        "tier": maths.tiers.tier.get(cid),
        "is_unprofitable": member and pm.is_unprofitable(f),
        "is_marginal": member and pm.is_marginal(f, settings.marginal_below),
        "is_declining": declining,
        "breakeven_price_increase": levers.price_increase if levers else None,
        "breakeven_hours_to_cut": levers.hours_to_cut if levers else None,
        "breakeven_by_prompt_payment": bool(levers and levers.delay_removal_suffices),
        "effort_budget": None,
        "effort_spent": None,
        "over_budget": False,
    }
    if client.status == Client.Status.PROSPECT:
        _prospect_effort(values, client, row, maths.tiers)
    return values


def _prospect_effort(values: dict, client, row: LedgerRow, tier_result: pm.Tiers) -> None:
    """A prospect's effort spent (its lifetime cost to serve) against the budget of the tier its
    estimated margin would put it in."""
    spent = row.life_cost_to_serve
    values["effort_spent"] = spent
    estimate = client.estimated_annual_margin
    if estimate is not None:
        tier = tier_result.of(estimate)
        values["tier"] = tier
        values["effort_budget"] = tier_result.effort_budget[tier - 1]
        values["over_budget"] = spent > values["effort_budget"]


def _portfolio(
    *, as_of, start, end, settings, clients, rows, referred_outside, overhead_base, day_cost, previous_np
) -> Result:
    """The per-client values and the portfolio figures, in Python, from the ledger pass's rows:
    the figures of each client, the indirect values, the members, the portfolio maths, each
    client's values, then the portfolio's figures."""
    months = period_months(start, end)
    period = Period(
        as_of=as_of, days=(end - start).days + 1, month_count=Decimal(max(1, months[1] - months[0] + 1))
    )
    with phase("  figures, indirect values, members"):
        figures, active = {}, set()
        for cid, client in clients.items():
            row = rows.get(cid)
            figures[cid] = client_figures(cid, row, client=client, settings=settings, months=months)
            if is_active(row):
                active.add(cid)
        indirect = _indirect(
            clients=clients, rows=rows, figures=figures, referred_outside=referred_outside, settings=settings
        )
        members, dormant = _members(clients=clients, figures=figures, active=active)
    with phase("  ranks, shares, tiers, curves"):
        maths = portfolio_maths(
            members=members,
            clients=clients,
            settings=settings,
            day_cost=day_cost,
            period=period,
            overhead_base=overhead_base,
        )
    previous = previous_np or {}
    results = ClientResults()
    counts: Counter = Counter()
    in_order = itemgetter(*VALUE_NAMES)
    with phase("  client values"):
        for cid, client in clients.items():
            member = cid in members
            # The client's row is made again from the compact rows, and goes once its values are.
            values = _client_values(
                cid,
                client,
                figures[cid],
                rows.get(cid),
                member=member,
                maths=maths,
                indirect=indirect,
                settings=settings,
                period=period,
                previous=previous,
            )
            results.add(cid, client.status, member, figures[cid], in_order(values))
            count_flags(counts, values, member=member, status=client.status)
    with phase("  portfolio figures"):
        portfolio = portfolio_figures(maths=maths, counts=counts, members=members, dormant=dormant)
    return Result(as_of=as_of, start=start, end=end, settings=settings, clients=results, portfolio=portfolio)


def declining_months(as_of: dt.date) -> list[int]:
    """The four complete calendar months before the as-of month, oldest first (month indexes)."""
    current = month_index(as_of)
    return [current - 4, current - 3, current - 2, current - 1]


def _last_months(recent_np: tuple, client, settings: Settings, as_of: dt.date) -> list[Decimal]:
    """Net profit of the declining months, after their acquisition share."""
    acquired, cost = client.acquired_on, client.acquisition_cost
    if not cost or acquired is None:
        return list(recent_np)
    first, last = amortisation_window(acquired, settings.amortisation_months)
    # Each month inside the amortisation window bears the same share: computed once.
    monthly = acquisition_share(cost, acquired, settings.amortisation_months, first, first)
    return [
        value - monthly if first <= index <= last else value
        for index, value in zip(declining_months(as_of), recent_np, strict=True)
    ]
