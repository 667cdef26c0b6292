from django.urls import URLPattern, URLResolver, include, path

from audits.review import actions, views

app_name = "review"

# A flagged client of step 4, and a client's decision at step 5, under the client's id.
flag_patterns = [
    path("review/", actions.ReviewView.as_view(), name="review"),
    path("comment/", actions.CommentView.as_view(), name="comment"),
]

# One audit, under its id: its pages (one a step), then the writes of each step.
audit_patterns: list[URLPattern | URLResolver] = [
    path("", views.AuditDetailView.as_view(), name="detail"),
    path("status/", views.AuditStatusView.as_view(), name="status"),
    path("identify/", views.ClientStepView.as_view(step=1), name="identify"),
    path("costs/", views.ClientStepView.as_view(step=2), name="costs"),
    path("rank/", views.ClientStepView.as_view(step=3), name="rank"),
    path("flags/", views.FlagStepView.as_view(), name="flags"),
    path("strategy/", views.StrategyStepView.as_view(), name="strategy"),
    path("move/", actions.MoveView.as_view(), name="move"),
    path("refresh/", actions.RefreshView.as_view(), name="refresh"),
    path("checks/", actions.CheckView.as_view(), name="check"),
    path("checks/<slug:code>/", views.CheckRowsView.as_view(), name="check_rows"),
    path("costs/expense/", actions.ExpenseView.as_view(), name="expense"),
    path("costs/staff-cost/", actions.StaffCostView.as_view(), name="staff_cost"),
    path("flags/<int:client_id>/", include(flag_patterns)),
    path("strategy/<int:client_id>/decision/", actions.DecisionView.as_view(), name="decision"),
    path("strategy/invest/", actions.InvestView.as_view(), name="invest"),
    path("strategy/risks/", actions.RiskView.as_view(), name="risk"),
    path("report.xlsx", views.ReportView.as_view(), name="report"),
    path("report.pdf", views.ReportPdfView.as_view(), name="report_pdf"),
    path("complete/", actions.CompleteView.as_view(), name="complete"),
]

urlpatterns = [
    path("", views.AuditListView.as_view(), name="list"),
    path("new/", views.AuditStartView.as_view(), name="start"),
    path("<int:pk>/", include(audit_patterns)),
]
