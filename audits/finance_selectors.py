"""Reads for the cost settings page: a preview of proposed tiers, and the settings' history.

Nothing here recomputes from the ledger on a request; each function runs a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from audits import portfolio
from audits.models import ClientSnapshot, PortfolioSnapshot
from clients.models import CostSettings


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
    label: str
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
    """A choice shown by its label; anything else as stored."""
    if field is not None and getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    return value
