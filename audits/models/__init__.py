"""The audits app's models: profitability runs, their snapshots, the activity log and the audits."""

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
from audits.models.snapshots import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot

__all__ = [
    "ActivityLog",
    "Audit",
    "AuditClient",
    "AuditComment",
    "AuditPortfolio",
    "CheckAcknowledgement",
    "Decision",
    "FlagReview",
    "RiskAcknowledgement",
    "ClientMonthSnapshot",
    "ClientSnapshot",
    "PortfolioSnapshot",
    "ProfitabilityRun",
]
