"""The audits app's models: profitability runs, their snapshots, and the activity log."""

from audits.models.log import ActivityLog
from audits.models.runs import ProfitabilityRun
from audits.models.snapshots import ClientMonthSnapshot, ClientSnapshot, PortfolioSnapshot

__all__ = ["ActivityLog", "ClientMonthSnapshot", "ClientSnapshot", "PortfolioSnapshot", "ProfitabilityRun"]
