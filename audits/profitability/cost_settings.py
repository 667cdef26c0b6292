"""The cost settings as the engine reads them: plain numbers, rates as fractions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count, OuterRef, Subquery, Sum

from audits.models import ClientSnapshot, PortfolioSnapshot
from audits.profitability import portfolio
from audits.profitability.figures import ZERO, money
from clients import display
from clients.models import CostSettings, StaffCost

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Settings:
    """The cost settings as plain numbers (rates as fractions)."""

    late_rate: Decimal
    margin_rate: Decimal
    amortisation_months: int
    referral_share: Decimal
    boundaries: list[Decimal]
    trimmed_share: Decimal
    class_a: Decimal
    class_b: Decimal
    marginal_below: Decimal
    limits: dict
    overheads_per_month: Decimal
    overhead_allocation: str
    ageing: list[int]
    hours_per_day: Decimal

    @classmethod
    def from_model(cls, cs: CostSettings) -> Settings:
        pct = Decimal(100)
        return cls(
            late_rate=cs.late_payment_rate / pct,
            margin_rate=cs.default_margin_rate / pct,
            amortisation_months=cs.amortisation_months,
            referral_share=cs.referral_share / pct,
            boundaries=cs.boundaries,
            trimmed_share=cs.trimmed_share / pct,
            class_a=cs.class_a_limit / pct,
            class_b=cs.class_b_limit / pct,
            marginal_below=cs.marginal_below / pct,
            limits={
                "top1": (cs.top1_amber / pct, cs.top1_red / pct),
                "top5": (cs.top5_amber / pct, cs.top5_red / pct),
                "top10": (cs.top10_amber / pct, cs.top10_red / pct),
                "hhi": (Decimal(cs.hhi_amber), Decimal(cs.hhi_red)),
            },
            overheads_per_month=cs.overheads_per_month,
            overhead_allocation=cs.overhead_allocation,
            ageing=cs.ageing,
            hours_per_day=cs.hours_per_day,
        )


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def staff_day_cost(hours_per_day: Decimal) -> Decimal | None:
    """The mean loaded daily cost of staff (their latest hourly cost x hours per day)."""
    latest = StaffCost.objects.filter(
        effective_from=Subquery(
            StaffCost.objects.filter(user=OuterRef("user"))
            .order_by("-effective_from")
            .values("effective_from")[:1]
        )
    ).aggregate(total=Sum("hourly_cost"), count=Count("pk"))
    if not latest["count"]:
        return None
    return money(_dec(latest["total"]) / latest["count"] * hours_per_day)


# The cost-settings page --------------------------------------------------------------------------


@dataclass(frozen=True)
class TierPreview:
    boundaries: list[Decimal]
    trimmed_share: Decimal  # a fraction
    clients: int
    mean_gross_margin: Decimal
    thresholds: list[Decimal]  # in money, ascending
    counts: list[int]  # tier 1 first
    current_counts: list[int]


def tier_preview(
    *, latest: PortfolioSnapshot, boundaries: list[Decimal], trimmed_share_percent: Decimal
) -> TierPreview:
    """How many clients of the latest snapshot each tier would hold with these boundaries and this
    trimmed share (in %), from one query of the gross margins of the clients with revenue (those
    the tiers count)."""
    gross = dict(
        ClientSnapshot.objects.filter(as_of=latest.as_of, in_portfolio=True, revenue__gt=0).values_list(
            "client_id", "gross_margin"
        )
    )
    share = Decimal(trimmed_share_percent) / 100
    result = portfolio.tiers(gross, boundaries=boundaries, trimmed_share=share)
    return TierPreview(
        boundaries=boundaries,
        trimmed_share=share,
        clients=len(gross),
        mean_gross_margin=result.mean_gross_margin,
        thresholds=result.thresholds,
        counts=result.counts,
        current_counts=list(latest.tier_counts),
    )


@dataclass(frozen=True)
class SettingsChange:
    label: StrOrPromise  # the field's verbose name, translated when shown
    old: object
    new: object


@dataclass(frozen=True)
class SettingsVersion:
    when: dt.datetime
    user: object
    kind: str  # "+" created, "~" changed
    changes: list[SettingsChange]


def cost_settings_history(*, limit: int = 25) -> list[SettingsVersion]:
    """The latest changes of the cost settings, newest first: who, when, and each field that
    changed from what to what (one query; each version is compared with the one before it)."""
    records = list(
        CostSettings.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    fields = {
        field.name: field for field in CostSettings._meta.get_fields() if hasattr(field, "verbose_name")
    }
    versions = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and previous.id == record.id:
            for change in record.diff_against(previous).changes:
                field = fields.get(change.field)
                label = field.verbose_name if field is not None else change.field
                changes.append(
                    SettingsChange(
                        label=label, old=_display(field, change.old), new=_display(field, change.new)
                    )
                )
        versions.append(
            SettingsVersion(
                when=record.history_date, user=record.history_user, kind=record.history_type, changes=changes
            )
        )
    return versions


def _display(field, value):
    """A choice shown by its label, a number as every figure is (``clients.display``: 40,000.00 at its
    field's places, in the user's locale); anything else as stored."""
    if field is not None and getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if value is not None and isinstance(field, models.DecimalField):
        return display.number(value, field.decimal_places)
    if value is not None and isinstance(field, models.IntegerField):
        return display.number(value, 0)
    return value
