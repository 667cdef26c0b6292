"""The what-if of an audit's decisions: the portfolio after them, over the audit's period.

Keep and invest change nothing; reprice raises the client's revenue (and so its margin and net
profit) by the uplift, rounded to the cent; reduce service frees the hours cut over the period
(at most the client's own) at the client's cost per hour, rounded to the cent; transition out
takes the client away (its revenue, margin, costs and hours). Freed hours may then be re-invested
at the top tier's net profit per hour.

The decided clients are summed by the database, kind by kind, in one statement; the rest of the
portfolio is the sums kept with the audit's figures and its largest revenues
(``figures.concentration_of``), so that step 5 costs the same with one decision or a hundred
thousand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal

from django.db.models import BooleanField, Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Least, Round

from audits.models import Audit, AuditClient, AuditPortfolio, Decision
from audits.review import figures
from audits.review.selectors import period_month_count

ZERO = Decimal("0")
AMOUNT: DecimalField = DecimalField(max_digits=30, decimal_places=6)


@dataclass
class WhatIf:
    decisions: int
    leaving: int
    revenue_lost: Decimal
    revenue_gained: Decimal
    gross_margin_lost: Decimal
    costs_freed: Decimal
    hours_freed: Decimal
    net_profit_before: Decimal
    net_profit_after: Decimal
    reinvest_rate: Decimal
    net_profit_after_reinvested: Decimal
    concentration_before: figures.Concentration | None  # None when the audit has no limits
    concentration_after: figures.Concentration | None


def _with_decisions(audit: Audit):
    """The audit's portfolio rows, each with its decision (``audit_decision__kind`` is None without one)."""
    return AuditClient.objects.filter(audit=audit, in_portfolio=True)


def _rules(months: Decimal):
    """Each kind's condition and what it changes, as expressions on a row and its decision."""
    kind = "audit_decision__kind"
    positive = Q(revenue__gt=0)
    gone = Q(**{kind: Decision.Kind.TRANSITION})
    repriced = Q(**{kind: Decision.Kind.REPRICE, "audit_decision__uplift__gt": 0}) & positive
    reduced = Q(
        **{kind: Decision.Kind.REDUCE, "audit_decision__hours_per_month__gt": 0},
        service_minutes__gt=0,
        cost_to_serve__gt=0,
    )
    gain = Round(F("revenue") * F("audit_decision__uplift") / 100, 2, output_field=AMOUNT)
    cut_minutes = Least(
        F("audit_decision__hours_per_month") * Value(months * 60, output_field=AMOUNT),
        F("service_minutes"),
        output_field=AMOUNT,
    )
    saving = Round(F("cost_to_serve") * cut_minutes / F("service_minutes"), 2, output_field=AMOUNT)
    return positive, gone, repriced, reduced, gain, cut_minutes, saving


def what_if(audit: Audit) -> WhatIf:
    info = getattr(audit, "portfolio", None)
    limits = info.limits if info else {}
    reinvest = Decimal(str((info.figures if info else {}).get("top_tier_profit_per_hour") or 0))
    rows = _with_decisions(audit)
    positive, gone, repriced, reduced, gain, cut_minutes, saving = _rules(period_month_count(audit))
    square = F("revenue") * F("revenue")
    sums = rows.filter(audit_decision__kind__isnull=False).aggregate(
        leaving=Count("pk", filter=gone),
        lost_revenue=Sum("revenue", filter=gone),
        lost_positive=Sum("revenue", filter=gone & positive),
        lost_squares=Sum(square, filter=gone & positive, output_field=AMOUNT),
        lost_margin=Sum("gross_margin", filter=gone),
        lost_profit=Sum("net_profit", filter=gone),
        lost_minutes=Sum("service_minutes", filter=gone),
        gained=Sum(gain, filter=repriced),
        gained_squares=Sum((F("revenue") + gain) * (F("revenue") + gain) - square, filter=repriced),
        saved=Sum(saving, filter=reduced),
        cut_minutes=Sum(cut_minutes, filter=reduced),
    )
    got = {name: (value if value is not None else ZERO) for name, value in sums.items()}
    totals = info.sums if info and info.sums else portfolio_sums(rows)
    before = Decimal(totals["net_profit"])
    after = before - got["lost_profit"] + got["gained"] + got["saved"]
    hours = ((Decimal(got["lost_minutes"]) + got["cut_minutes"]) / 60).quantize(Decimal("0.01"))
    concentration_before = concentration_after = None
    if limits:
        revenue, squares = Decimal(totals["revenue"]), Decimal(totals["squares"])
        largest, largest_left = _largest_revenues(rows.filter(positive), gone | repriced)
        largest_repriced = list(
            rows.filter(repriced)
            .annotate(after=F("revenue") + gain)
            .order_by("-after")
            .values_list("after", flat=True)[: figures.TOP]
        )
        concentration_before = figures.concentration_of(
            total=revenue, squares=squares, largest=largest, limits=limits
        )
        concentration_after = figures.concentration_of(
            total=revenue - got["lost_positive"] + got["gained"],
            squares=squares - got["lost_squares"] + got["gained_squares"],
            largest=sorted([*largest_left, *largest_repriced], reverse=True)[: figures.TOP],
            limits=limits,
        )
    return WhatIf(
        decisions=Decision.objects.filter(audit=audit).count(),
        leaving=int(got["leaving"]),
        revenue_lost=got["lost_revenue"],
        revenue_gained=got["gained"],
        gross_margin_lost=got["lost_margin"],
        costs_freed=got["lost_margin"] - got["lost_profit"] + got["saved"],
        hours_freed=hours,
        net_profit_before=before,
        net_profit_after=after,
        reinvest_rate=reinvest,
        net_profit_after_reinvested=figures.money(after + hours * reinvest),
        concentration_before=concentration_before,
        concentration_after=concentration_after,
    )


def what_if_keep(audit: Audit) -> None:
    """Compute the what-if and keep it with the audit's figures: called in the transaction of each
    write that changes it (a decision, a computation of the figures)."""
    fresh = Audit.objects.select_related("portfolio").get(pk=audit.pk)
    AuditPortfolio.objects.filter(audit=audit).update(what_if=asdict(what_if(fresh)))


def what_if_kept(audit: Audit) -> WhatIf:
    """The what-if as last kept, or computed now for an audit that keeps none."""
    info = getattr(audit, "portfolio", None)
    if info is None or not info.what_if:
        return what_if(audit)
    kept = info.what_if

    def concentration(value):
        if value is None:
            return None
        shares = {
            k: None if value[k] is None else Decimal(value[k]) for k in ("top1", "top5", "top10", "hhi")
        }
        return figures.Concentration(**shares, levels=value["levels"])

    values = {}
    for item in fields(WhatIf):
        value = kept[item.name]
        if item.name.startswith("concentration"):
            values[item.name] = concentration(value)
        elif item.name in ("decisions", "leaving"):
            values[item.name] = int(value)
        else:
            values[item.name] = Decimal(value)
    return WhatIf(**values)


def portfolio_sums(rows) -> dict[str, Decimal]:
    """The what-if's sums over the audit's portfolio rows: net profit, and the positive revenues'
    sum and sum of squares (stored with the figures when they are computed)."""
    positive = Q(revenue__gt=0)
    totals = rows.aggregate(
        total_net_profit=Sum("net_profit"),
        total_revenue=Sum("revenue", filter=positive),
        squares=Sum(F("revenue") * F("revenue"), filter=positive, output_field=AMOUNT),
    )
    return {
        "net_profit": totals["total_net_profit"] or ZERO,
        "revenue": totals["total_revenue"] or ZERO,
        "squares": totals["squares"] or ZERO,
    }


def _largest_revenues(rows, changed: Q) -> tuple[list[Decimal], list[Decimal]]:
    """The TOP largest revenues of ``rows``, and the TOP largest of those the decisions leave as
    they are (not ``changed``), read from the top down by the revenue index: one short query
    unless most of the largest clients are decided."""
    limit = 2 * figures.TOP
    while True:
        found = list(
            rows.annotate(changed=Case(When(changed, then=True), default=False, output_field=BooleanField()))
            .order_by("-revenue", "client_id")
            .values_list("revenue", "changed")[:limit]
        )
        left = [revenue for revenue, is_changed in found if not is_changed]
        if len(left) >= figures.TOP or len(found) < limit:
            return [revenue for revenue, _changed in found[: figures.TOP]], left[: figures.TOP]
        limit *= 4
