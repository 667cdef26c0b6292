"""The audits app's models: profitability runs, their snapshots, the activity log, the audits and
the transitions."""

from audits.models.log import ActivityLog
from audits.models.review import (
    Audit,
    AuditClient,
    AuditComment,
    AuditPortfolio,
    CheckAcknowledgement,
    Decision,
    FlagReview,
    RiskAcknowledgement,
)
from audits.models.runs import ProfitabilityRun
from audits.models.snapshots import ClientSnapshot, PortfolioMonth, PortfolioSnapshot
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
    "Audit",
    "AuditClient",
    "AuditComment",
    "AuditPortfolio",
    "CheckAcknowledgement",
    "ClientSnapshot",
    "Decision",
    "FlagReview",
    "Letter",
    "LetterTemplate",
    "Letterhead",
    "PortfolioMonth",
    "PortfolioSnapshot",
    "ProfitabilityRun",
    "RiskAcknowledgement",
    "Transition",
    "TransitionMonth",
]
