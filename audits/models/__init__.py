"""The audits app's models: profitability runs, their snapshots, the activity log and transitions."""

from audits.models.log import ActivityLog
from audits.models.runs import ProfitabilityRun
from audits.models.snapshots import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot
from audits.models.transitions import (
    AlternativeProvider,
    Letter,
    Letterhead,
    LetterTemplate,
    Transition,
    TransitionMonth,
)

__all__ = [
    "ActivityLog",
    "AlternativeProvider",
    "ClientMonthSnapshot",
    "ClientSnapshot",
    "Letter",
    "LetterTemplate",
    "Letterhead",
    "PortfolioSnapshot",
    "ProfitabilityRun",
    "Transition",
    "TransitionMonth",
]
